package worker

import (
	"context"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/depsync/depsync/svn"
)

// workerWithStray is a worker (over a fake svn) with one C-App in
// carbonapps that the repository does not hold, at p, whose manager is
// asked at its peer.
func workerWithStray(t *testing.T) (*testWorker, *fakeSVN, string) {
	t.Helper()
	c := testConfig(t, "http://svn.example/repo")
	c.Peers = []string{"http://manager.example:9780"}
	f := &fakeSVN{status: []svn.StatusEntry{{Path: "carbonapps/During_1.0.0.car", Item: "unversioned", Kind: "file"}}}
	w := newTestWorker(t, c, f)
	p := filepath.Join(c.Carbon.DeploymentDir, "carbonapps", "During_1.0.0.car")
	require.NoError(t, os.MkdirAll(filepath.Dir(p), 0o755))
	require.NoError(t, os.WriteFile(p, []byte("car"), 0o644))
	return w, f, p
}

// A worker that kept a stray because its manager could not tell yet asks
// again at its next polls, and drops it once the manager has looked.
func TestWorkerAsksAgainOnceTheManagerHasLooked(t *testing.T) {
	w, f, p := workerWithStray(t)
	w.manager.set(false, -1) // restarted: its holds not known yet

	require.NoError(t, w.DropStrays(context.Background()))
	assert.FileExists(t, p)
	require.True(t, w.strays.recheck, "to be asked again")
	w.RecheckStrays(context.Background())
	assert.FileExists(t, p, "still not known")

	w.manager.set(false, 0)
	w.RecheckStrays(context.Background())
	assert.NoFileExists(t, p)
	assert.False(t, w.strays.recheck)

	// Strays that went meanwhile (an update made them versioned) end the
	// checks too.
	w.manager.set(false, -1)
	require.NoError(t, os.WriteFile(p, []byte("car"), 0o644))
	require.NoError(t, w.DropStrays(context.Background()))
	require.True(t, w.strays.recheck)
	f.mu.Lock()
	f.status = nil
	f.mu.Unlock()
	w.RecheckStrays(context.Background())
	assert.False(t, w.strays.recheck, "nothing left to check")
}

// A worker that kept a stray because its manager did not answer asks
// again, not at its next poll (a manager that does not answer would hold
// the loop up each time) but a while later: back, the manager may commit
// nothing, and send no notice that would bring the check.
func TestWorkerAsksAnUnansweringManagerAgainLater(t *testing.T) {
	w, _, p := workerWithStray(t)
	w.manager.set(true, 0) // its last notice said svn mode

	before := time.Now()
	require.NoError(t, w.DropStrays(context.Background()))
	assert.FileExists(t, p, "kept: the manager did not answer")
	require.True(t, w.strays.recheck, "to be asked again")
	assert.False(t, w.strays.recheckAt.Before(before.Add(StrayAskAgain)), "not before %s", StrayAskAgain)

	w.manager.set(false, 0)
	w.RecheckStrays(context.Background())
	assert.NoFileExists(t, p, "the manager answers and does not hold it")
	assert.False(t, w.strays.recheck)
}
