package syncer

import (
	"testing"

	"github.com/prometheus/client_golang/prometheus/testutil"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/depsync/depsync/config"
)

// TestWorkerSaysWhenItsServerLacksTheNoticedRevisionForLong: what the
// worker reports while it waits for a revision its server lacks (see
// worker.TestWorkerReportsALongWaitForTheNoticedRevision) shows in
// /v1/status (server_behind, not in step) and the lag metric, and goes
// once the server has the revision.
func TestWorkerSaysWhenItsServerLacksTheNoticedRevisionForLong(t *testing.T) {
	c := testConfig(t, config.RoleWorker)
	d := newTestDaemon(t, c, &fakeSVN{})
	ts := d.tenants.list[0]
	state := ts // what newWorker lends the worker as its State
	state.Succeeded(7, true)
	state.Wanted(9, "")
	shown := func() TenantStatus { // the tenant as /v1/status?tenant= shows it
		st, ok := d.StatusOf(ts.ID())
		require.True(t, ok)
		require.Len(t, st.Tenants, 1)
		return st.Tenants[0]
	}

	st := shown()
	assert.Equal(t, int64(9), st.WantedRevision)
	assert.Empty(t, st.ServerBehind, "not a poll interval yet")
	assert.False(t, st.InStep, "behind the noticed revision")
	assert.Equal(t, 2.0, testutil.ToFloat64(d.m.replicaLag.WithLabelValues(ts.Label())))

	state.Wanted(9, ts.Tenant().URL+" has lacked revision 9 for 1s (it has 7)")
	st = shown()
	assert.Contains(t, st.ServerBehind, "has lacked revision 9 for")
	assert.False(t, st.InStep)

	state.Wanted(9, "")
	assert.Empty(t, shown().ServerBehind)
	state.Succeeded(9, true)
	assert.Equal(t, 0.0, testutil.ToFloat64(d.m.replicaLag.WithLabelValues(ts.Label())))
	assert.True(t, shown().InStep)
}
