package syncer

import (
	"context"
	"runtime"
	"strings"
	"testing"
	"time"

	"github.com/depsync/depsync/config"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// watcherGoroutines counts the goroutines running a Watcher.
func watcherGoroutines() int {
	buf := make([]byte, 1<<20)
	for {
		n := runtime.Stack(buf, true)
		if n < len(buf) {
			return strings.Count(string(buf[:n]), "fswatch.(*Watcher).Run(")
		}
		buf = make([]byte, 2*len(buf))
	}
}

func TestManagerRunJoinsItsWatcher(t *testing.T) {
	require.Zero(t, watcherGoroutines(), "another test's watcher is still running")
	c := testConfig(t, config.RoleManager)
	d := newTestDaemon(t, c, &fakeSVN{commitRev: 2})
	m := newManager(d.tenants.list[0])
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- m.run(ctx) }()
	require.Eventually(t, func() bool { return watcherGoroutines() == 1 }, 10*time.Second, time.Millisecond,
		"the manager watches its directory")
	cancel()
	select {
	case err := <-done:
		require.NoError(t, err)
	case <-time.After(10 * time.Second):
		t.Fatal("run did not return after its context was cancelled")
	}
	assert.Zero(t, watcherGoroutines(), "the watcher ended before run returned")
}
