package reconcile

import (
	"context"
	"os"
	"path/filepath"
	"runtime"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/depsync/depsync/config"
	"github.com/depsync/depsync/deploy"
	"github.com/depsync/depsync/internal/testcapp"
)

// TestReconcilerPushesOnlyClosedCApps: a valid C-App that a writer still
// holds open is not provably complete and stays back; once the writer closes
// it, the reconciler's next pass (soon, not after CheckInterval) pushes it.
func TestReconcilerPushesOnlyClosedCApps(t *testing.T) {
	if runtime.GOOS != "linux" {
		t.Skip("the proof of no writer is a Linux file lease")
	}
	mgrDir := t.TempDir()
	mgr, err := deploy.NewStore(mgrDir, 0)
	require.NoError(t, err)
	w := newTestNode(t, config.RoleWorker)
	testcapp.Write(t, mgrDir, "A_1.car", "A", "1")
	testcapp.Write(t, mgrDir, "B_1.car", "B", "1")
	writer, err := os.OpenFile(filepath.Join(mgrDir, "B_1.car"), os.O_WRONLY, 0)
	require.NoError(t, err)
	defer writer.Close()

	r, err := New(Options{
		Store: mgr, Peers: []string{w.url}, Client: testClient(t), Prune: true, NodeName: "mgr",
		Interval: time.Hour, CheckInterval: time.Hour,
	})
	require.NoError(t, err)
	require.NoError(t, r.SyncOnce(context.Background()))
	got := manifest(t, w.dir)
	assert.Contains(t, got, "A_1.car")
	assert.NotContains(t, got, "B_1.car", "pushed while a writer had it open")
	assert.False(t, r.InSync(), "a C-App left behind: not in step")

	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	done := make(chan struct{})
	go func() { _ = r.Run(ctx); close(done) }()
	time.Sleep(100 * time.Millisecond) // Run's first passes find it open too
	require.NoError(t, writer.Close())
	start := time.Now()
	waitFor(t, func() bool { _, ok := manifest(t, w.dir)["B_1.car"]; return ok })
	assert.Less(t, time.Since(start), 5*time.Second, "pushed soon after the close, not after CheckInterval")
	waitFor(t, r.InSync)
	cancel()
	<-done
}
