package syncer

import "github.com/depsync/depsync/syncer/internal/tenantrun"

// heldForNotices is how many deletions this manager holds, or -1 while
// it cannot tell yet (see holdsKnown).
func (d *Daemon) heldForNotices() int {
	if !d.holdsKnown(nil) {
		return -1
	}
	return len(d.deletions.Holds())
}

// holdsKnown reports whether the tenants (only, or every one) of this
// manager have been looked at whole since the daemon started: until then
// its held deletions are not known (a carbonapps moved away while it was
// down is not held yet), and a worker must not take what it lacks as a
// word on what should go. A worker asks about its own tenant
// (/v1/status?tenant=<id>), so one tenant that cannot start leaves the
// others' answers alone.
func (d *Daemon) holdsKnown(only *tenantrun.Runtime) bool {
	if only != nil {
		return only.HoldsKnown()
	}
	for _, t := range d.tenantList() {
		if !t.HoldsKnown() {
			return false
		}
	}
	return true
}

// removeTenant forgets a tenant whose loop stopped because it was removed;
// found again (its folder made anew), it starts afresh.
func (d *Daemon) removeTenant(ts *tenantrun.Runtime) {
	d.tenants.remove(ts, ts.ForgetMetrics)
}

// removedBy reports whether revision rev of tenant id is no newer than its
// removal: the removal's own news, which must not bring the tenant back.
func (d *Daemon) removedBy(id int, rev int64) bool {
	return d.tenants.removedBy(id, rev)
}
