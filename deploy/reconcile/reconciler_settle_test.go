package reconcile

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/depsync/depsync/config"
	"github.com/depsync/depsync/deploy"
	"github.com/depsync/depsync/internal/guard"
	"github.com/depsync/depsync/internal/testcapp"
)

// TestReconcilerJudgesCAppsRemovedInSlicesWhole: on the reconciler's
// clock, C-Apps removed from the manager a few per pass are pruned from no
// peer while more keep going, nor until none has gone for DeleteSettle;
// then they are judged together (8 of 12: over the limit, all held). A
// C-App added meanwhile is pushed. The last ones gone (nothing left to
// lose) are held at once. A single removal is pruned once its window is
// over.
func TestReconcilerJudgesCAppsRemovedInSlicesWhole(t *testing.T) {
	mgrDir := t.TempDir()
	var names []string
	for i := range 13 {
		n := fmt.Sprintf("App%02d", i)
		testcapp.Write(t, mgrDir, n+"_1.car", n, "1")
		names = append(names, n+"_1.car")
	}
	mgr, err := deploy.NewStore(mgrDir, 0)
	require.NoError(t, err)
	w := newTestNode(t, config.RoleWorker)
	limit, err := config.ParseDeleteLimit("50%")
	require.NoError(t, err)
	g := guard.New(guard.Options{Limit: limit})
	const window = 2 * time.Second
	clock := time.Now()
	r, err := New(Options{
		Store: mgr, Peers: []string{w.url}, Client: testClient(t), Prune: true, NodeName: "mgr",
		Guard: g, AttemptTimeout: 5 * time.Second, DeleteSettle: window,
		Now: func() time.Time { return clock },
	})
	require.NoError(t, err)
	pass := func() {
		t.Helper()
		require.NoError(t, r.SyncOnce(context.Background()))
	}
	remove := func(ns []string) {
		for _, n := range ns {
			require.NoError(t, os.Remove(filepath.Join(mgrDir, n)))
		}
	}
	pass()
	require.Len(t, manifest(t, w.dir), 13)
	require.True(t, r.InSync())

	// One removal waits its window, then goes.
	remove(names[12:])
	names = names[:12]
	pass()
	assert.Len(t, manifest(t, w.dir), 13, "judged once quiet, not at first sight")
	assert.False(t, r.InSync())
	assert.Equal(t, clock.Add(window), r.peers[0].prunesDue())
	clock = clock.Add(window)
	pass()
	assert.Len(t, manifest(t, w.dir), 12)
	assert.True(t, r.InSync())
	assert.Empty(t, g.Holds())

	// Two at a time (each slice below the 3-deletion floor), a pass
	// after each: nothing pruned; a new C-App is pushed meanwhile.
	for i := range 4 {
		remove(names[:2])
		names = names[2:]
		if i == 1 {
			testcapp.Write(t, mgrDir, "New_1.car", "New", "1")
		}
		clock = clock.Add(time.Second)
		pass()
		got := manifest(t, w.dir)
		assert.Len(t, got, 12+min(i, 1), "slice %d: nothing pruned while C-Apps keep going", i)
		assert.Empty(t, g.Holds())
		assert.Equal(t, clock.Add(window), r.peers[0].prunesDue())
		if i == 1 {
			assert.Contains(t, got, "New_1.car", "a new C-App is pushed meanwhile")
		}
	}
	clock = clock.Add(window - time.Millisecond)
	pass()
	assert.Len(t, manifest(t, w.dir), 13, "quiet, not for long enough yet")
	assert.Empty(t, g.Holds())
	clock = clock.Add(time.Millisecond)
	pass()
	assert.Len(t, manifest(t, w.dir), 13, "8 of 13 judged together: held")
	holds := g.Holds()
	require.Len(t, holds, 1)
	assert.Equal(t, guard.ReasonLimit, holds[0].Reason)
	assert.Equal(t, 8, holds[0].Count)
	assert.True(t, r.peers[0].prunesDue().IsZero())

	// Every C-App gone: nothing more can go; held at once.
	remove(append(names, "New_1.car"))
	clock = clock.Add(100 * time.Millisecond)
	pass()
	holds = g.Holds()
	require.Len(t, holds, 1)
	assert.Equal(t, guard.ReasonEmptied, holds[0].Reason)
	assert.Equal(t, 13, holds[0].Count)
	assert.Len(t, manifest(t, w.dir), 13)
}
