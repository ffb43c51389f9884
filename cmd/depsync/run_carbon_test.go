package main

import (
	"bufio"
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/depsync/depsync/api"
	"github.com/depsync/depsync/carbonlog"
	"github.com/depsync/depsync/config"
	"github.com/depsync/depsync/internal/carbontest"
)

// TestCarbonLogKeepsOnDiskCApps: the daemon's reader of a log naming
// 50,000 C-Apps keeps a bounded number of states, and among them the C-Apps
// present in carbonapps (of the super tenant and of a tenant), however old
// their lines.
func TestCarbonLogKeepsOnDiskCApps(t *testing.T) {
	home := t.TempDir()
	depDir := filepath.Join(home, "repository", "deployment", "server")
	tenantApps := filepath.Join(home, "repository", "tenants", "7", "carbonapps")
	for _, d := range []string{filepath.Join(depDir, "carbonapps"), tenantApps} {
		require.NoError(t, os.MkdirAll(d, 0o755))
	}
	require.NoError(t, os.WriteFile(filepath.Join(depDir, "carbonapps", "Keep_1.0.0.car"), []byte("x"), 0o644))
	require.NoError(t, os.WriteFile(filepath.Join(tenantApps, "T_1.0.0.car"), []byte("x"), 0o644))

	logFile := filepath.Join(home, "repository", "logs", "wso2carbon.log")
	require.NoError(t, os.MkdirAll(filepath.Dir(logFile), 0o755))
	f, err := os.Create(logFile)
	require.NoError(t, err)
	w := bufio.NewWriter(f)
	now := time.Date(2024, 5, 1, 10, 0, 0, 0, time.Local)
	rec := func(tenant int, msg string) {
		_, err := w.WriteString(carbontest.Format(carbontest.LayoutEI64, tenant, "t7.com", carbontest.Record{Time: now, Level: "INFO",
			Logger: carbontest.LoggerAppManager, Msg: msg}))
		require.NoError(t, err)
	}
	rec(-1234, "Deploying Carbon Application : Keep_1.0.0.car...")
	rec(-1234, "Successfully Deployed Carbon Application : Keep_1.0.0 {super-tenant}")
	rec(7, "Deploying Carbon Application : T_1.0.0.car...")
	rec(7, "Successfully Deployed Carbon Application : T_1.0.0 {tenant-7}")
	const n = 50_000
	for i := range n {
		rec(-1234, fmt.Sprintf("Deploying Carbon Application : Gone%d_1.0.0.car...", i))
		rec(-1234, fmt.Sprintf("Successfully Deployed Carbon Application : Gone%d_1.0.0 {super-tenant}", i))
	}
	require.NoError(t, w.Flush())
	require.NoError(t, f.Close())

	cfg := &config.Config{Carbon: config.Carbon{Home: home, DeploymentDir: depDir, Tenants: []int{7}}}
	r := newCarbonLog(cfg, prometheus.NewRegistry(), slog.New(slog.DiscardHandler))
	require.NotNil(t, r)
	r.Poll()

	assert.Less(t, len(r.States()), n/10, "the states are bounded, not one per name in the log")
	s, ok := r.State(carbonlog.SuperTenant, "Keep_1.0.0")
	require.True(t, ok, "a C-App on disk stays known")
	assert.Equal(t, carbonlog.Deployed, s.State)
	s, ok = r.StateOfFile(7, "T_1.0.0.car")
	require.True(t, ok, "a tenant's C-App on disk stays known")
	assert.Equal(t, "T_1.0.0", s.ID)
	s, ok = r.State(carbonlog.SuperTenant, fmt.Sprintf("Gone%d_1.0.0", n-1))
	require.True(t, ok, "the most recent C-Apps stay known")
	assert.Equal(t, carbonlog.Deployed, s.State)
}

// TestCarbonLogOnADevice: carbon.log_file = /dev/zero is reported not
// readable in /v1/status, after a poll that returns at once (it used to read
// for ever, and say readable).
func TestCarbonLogOnADevice(t *testing.T) {
	cfg := &config.Config{Carbon: config.Carbon{LogFile: "/dev/zero"}}
	r := newCarbonLog(cfg, prometheus.NewRegistry(), slog.New(slog.DiscardHandler))
	require.NotNil(t, r)
	done := make(chan struct{})
	go func() { r.Poll(); close(done) }()
	select {
	case <-done:
	case <-time.After(10 * time.Second):
		t.Fatal("the reader's poll of /dev/zero did not return")
	}
	var st api.Status
	carbonStatus(r)(&st)
	require.NotNil(t, st.CarbonLog)
	assert.False(t, st.CarbonLog.Readable)
}
