package syncer

import (
	"errors"
	"testing"

	"github.com/stretchr/testify/assert"

	"github.com/depsync/depsync/config"
)

// TestHandoverWaitShowsInReadyz: what package handover says while it
// waits for Carbon's old JVM (see handover.TestAwaitWaitsForTheOldJVM)
// shows in /readyz and /v1/status, and goes when the wait is over.
func TestHandoverWaitShowsInReadyz(t *testing.T) {
	d := newTestDaemon(t, testConfig(t, config.RoleManager), &fakeSVN{})
	env := d.handoverEnv()
	const why = "waiting for Carbon to restart: its JVM pid 4242 (found by -Dcarbon.home, started 2026-11-01T10:00:00Z) " +
		"started before Carbon's own synchronizer was turned off in carbon.xml (depsync turned it off, 2026-11-01T10:30:00Z) " +
		"and still runs that synchronizer; depsync runs no svn command on the working copy until it is gone or restarted"
	env.Waiting(errors.New(why))
	ok, reason := d.Ready()
	assert.False(t, ok)
	assert.Contains(t, reason, "waiting for Carbon to restart: its JVM pid 4242 (found by -Dcarbon.home")
	assert.Contains(t, d.Status().Reason, "depsync runs no svn command on the working copy")

	env.WaitOver(why)
	_, reason = d.Ready()
	assert.NotContains(t, reason, "waiting for Carbon")
	assert.NotContains(t, d.Status().Reason, "waiting for Carbon")
	for _, ts := range d.Status().Tenants {
		assert.Empty(t, ts.LastError, "the wait was no failure of the tenant's")
	}
}
