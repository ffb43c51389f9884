package syncer

import (
	"context"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus/testutil"
	"github.com/stretchr/testify/assert"

	"github.com/depsync/depsync/config"
	"github.com/depsync/depsync/svn"
)

// TestWorkerSaysWhenItsServerLacksTheNoticedRevisionForLong: a wait that
// has lasted svn.poll_interval shows in /v1/status (server_behind, not in
// step, the lag) and goes once the server has the revision.
func TestWorkerSaysWhenItsServerLacksTheNoticedRevisionForLong(t *testing.T) {
	f := &fakeSVN{info: &svn.Info{Kind: "dir", Revision: 7, LastChangedRev: 7}}
	c := testConfig(t, config.RoleWorker)
	d := newTestDaemon(t, c, f)
	ts := d.tenants.list[0]
	w := newWorker(ts)
	w.SetRev(7)
	ts.succeeded(7, true)
	ts.wanted(9, "")
	long := time.Now().Add(-c.SVN.PollInterval)

	assert.False(t, w.LookFor(context.Background(), 9, time.Now(), false), "the server has 7")
	st := ts.tenantStatus()
	assert.Equal(t, int64(9), st.WantedRevision)
	assert.Empty(t, st.ServerBehind, "not a poll interval yet")
	assert.False(t, st.InStep, "behind the noticed revision")
	assert.Equal(t, 2.0, testutil.ToFloat64(d.m.replicaLag.WithLabelValues(ts.label)))

	assert.False(t, w.LookFor(context.Background(), 9, long, false))
	st = ts.tenantStatus()
	assert.Contains(t, st.ServerBehind, "has lacked revision 9 for")
	assert.False(t, st.InStep)

	f.info = &svn.Info{Kind: "dir", Revision: 9, LastChangedRev: 9}
	assert.True(t, w.LookFor(context.Background(), 9, long, true), "the server has it now")
	assert.Empty(t, ts.tenantStatus().ServerBehind)
	ts.succeeded(9, true)
	assert.Equal(t, 0.0, testutil.ToFloat64(d.m.replicaLag.WithLabelValues(ts.label)))
	assert.True(t, ts.tenantStatus().InStep)
}
