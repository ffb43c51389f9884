package syncer

import (
	"github.com/depsync/depsync/config"
	"github.com/depsync/depsync/syncer/internal/poll"
)

// newHub is the daemon's one look at the server per poll (package poll),
// dealing out to the daemon's tenants.
func newHub(d *Daemon) *poll.Hub {
	return poll.New(poll.Env{
		URL:            d.cfg.SVN.URL,
		Interval:       d.cfg.SVN.PollInterval,
		AppendTenantID: d.cfg.SVN.AppendTenantID,
		SuperID:        d.superID(),
		SVN:            d.svn,
		Log:            d.log,
		Tenants: func() []poll.Tenant {
			list := d.tenantList()
			out := make([]poll.Tenant, len(list))
			for i, t := range list {
				out[i] = t
			}
			return out
		},
		Unknown:   func(id int, rev int64) { d.unknownTenant(id, rev, false) },
		OpContext: d.opContext,
		Result:    d.svnResult,
		AfterLook: d.announceHolds,
	})
}

// announceHolds tells the peers how many deletions this manager holds,
// when that changed since the last notice: a worker that cannot ask the
// manager (no peers) removes nothing on its word while it holds any.
// Notices after commits carry the count too; this one covers a hold that
// begins or clears with no commit. It names the super tenant at the
// revision the worker has, so it wakes no update.
func (d *Daemon) announceHolds() {
	if d.cfg.Role != config.RoleManager {
		return
	}
	n := int64(d.heldForNotices())
	if d.notices.heldSaid.Swap(n) == n {
		// Said already. (Not again at every poll: a worker backing off
		// would try an update at each notice, and back off further.)
		return
	}
	if t := d.tenant(d.superID()); t != nil {
		d.peers.NotifyTenant(t.ID(), t.Status().Revision)
	}
}
