package syncer

import (
	"github.com/depsync/depsync/config"
	"github.com/depsync/depsync/syncer/internal/handover"
)

// handoverEnv lends the daemon to package handover, which takes the node
// over from Carbon's own synchronizer before any tenant syncs.
func (d *Daemon) handoverEnv() handover.Env {
	return handover.Env{Config: d.cfg, Log: d.log, CheckSVN: d.checkSVN, Waiting: d.setWaiting, WaitOver: d.waitOver}
}

// CheckCarbonConfig is the daemon's refusal of carbon.xml without its
// writes, for the checks run and config check make before anything starts
// (see handover.Check).
func CheckCarbonConfig(cfg *config.Config) error { return handover.Check(cfg) }

// setWaiting says on every tenant why none can sync.
func (d *Daemon) setWaiting(err error) {
	for _, t := range d.tenantList() {
		t.Waiting(err)
	}
}

// waitOver takes back what setWaiting said, also as the last error: the
// wait was no failure of the tenant's.
func (d *Daemon) waitOver(why string) {
	for _, t := range d.tenantList() {
		t.WaitOver(why)
	}
}
