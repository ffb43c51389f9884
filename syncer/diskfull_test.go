package syncer

import (
	"context"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/depsync/depsync/config"
	"github.com/depsync/depsync/svn"
)

func TestWorkerOnAFullDiskReportsRetriesAndCleansUp(t *testing.T) {
	full := &svn.Error{Op: "update", Message: "svn: E000028: Can't write to file '/wc/.svn/tmp/svn-1': No space left on device"}
	f := &fakeSVN{}
	d := newTestDaemon(t, testConfig(t, config.RoleWorker), f)
	w := d.newWorker(d.tenants.list[0])
	require.NoError(t, w.Sync(context.Background(), "start", 0))
	ok, _ := d.Ready()
	require.True(t, ok)

	f.updateErr = []error{full}
	require.Error(t, w.Sync(context.Background(), "notice", 0))
	st := d.Status()
	assert.False(t, st.Ready, "a full disk is not ready, whatever the server checks say")
	assert.Contains(t, st.Reason, "no space left on device")
	assert.Contains(t, st.Tenants[0].LastError, "No space left on device")
	d.tenants.list[0].Probed() // a poll of the server succeeds meanwhile
	ok, _ = d.Ready()
	assert.False(t, ok)

	before := len(f.Calls())
	require.NoError(t, w.Sync(context.Background(), "retry", 0))
	calls := f.Calls()[before:]
	require.GreaterOrEqual(t, len(calls), 2)
	// After a look (svn status) that svn cleanup can run (see heal).
	assert.Equal(t, []string{"status", "cleanup"}, calls[:2], "the next try starts with svn cleanup")
	ok, why := d.Ready()
	assert.True(t, ok, why)
	assert.Empty(t, d.Status().Tenants[0].LastError)
}
