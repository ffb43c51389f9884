package fswatch

import (
	"context"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/fsnotify/fsnotify"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// newPlainHub is a daemon's watch hub without a close watch: whatever a
// watcher on it reports, fsnotify told it.
func newPlainHub(t *testing.T) *Hub {
	t.Helper()
	h, err := NewHub(false, nil)
	require.NoError(t, err)
	t.Cleanup(h.Close)
	return h
}

// runOnHub runs a watcher of root on hub (quiet time 20 ms) until the
// test ends, and returns its batches.
func runOnHub(t *testing.T, hub *Hub, root string) (*Watcher, chan Batch) {
	t.Helper()
	w := NewWatcher(root, nil, 20*time.Millisecond, time.Second, nil)
	w.hub = hub
	return w, runWatcher(t, w)
}

// seen waits until a batch of out names rel.
func seen(t *testing.T, out chan Batch, rel string) {
	t.Helper()
	deadline := time.After(5 * time.Second)
	for {
		select {
		case b := <-out:
			for _, p := range b.Paths {
				if p == rel {
					return
				}
			}
		case <-deadline:
			t.Fatalf("%s not reported within 5s", rel)
		}
	}
}

// quietFor fails if out sends a batch naming rel within d.
func quietFor(t *testing.T, out chan Batch, rel string, d time.Duration) {
	t.Helper()
	deadline := time.After(d)
	for {
		select {
		case b := <-out:
			assert.NotContains(t, b.Paths, rel)
		case <-deadline:
			return
		}
	}
}

func TestWatchHubServesEachWatcherItsOwnTree(t *testing.T) {
	hub := newPlainHub(t)
	one, two := t.TempDir(), t.TempDir()
	require.NoError(t, os.WriteFile(filepath.Join(one, "a.xml"), []byte("<a/>"), 0o644))
	require.NoError(t, os.WriteFile(filepath.Join(two, "b.xml"), []byte("<b/>"), 0o644))
	_, out1 := runOnHub(t, hub, one)
	_, out2 := runOnHub(t, hub, two)
	// A removal: fsnotify's alone to report.
	require.NoError(t, os.Remove(filepath.Join(two, "b.xml")))
	seen(t, out2, "b.xml")
	quietFor(t, out1, "b.xml", 100*time.Millisecond)
	require.NoError(t, os.Remove(filepath.Join(one, "a.xml")))
	seen(t, out1, "a.xml")
}

func TestWatchHubKeepsTheWatchesOfAWatcherReplacingAnother(t *testing.T) {
	hub := newPlainHub(t)
	root := t.TempDir()
	require.NoError(t, os.Mkdir(filepath.Join(root, "carbonapps"), 0o755))
	require.NoError(t, os.WriteFile(filepath.Join(root, "carbonapps", "a.xml"), []byte("<a/>"), 0o644))
	old := NewWatcher(root, nil, time.Hour, time.Hour, nil)
	old.hub = hub
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- old.Run(ctx, make(chan Batch)) }()
	<-old.ready
	_, out := runOnHub(t, hub, root)
	cancel()
	require.ErrorIs(t, <-done, context.Canceled)

	require.NoError(t, os.Remove(filepath.Join(root, "carbonapps", "a.xml")))
	seen(t, out, "carbonapps/a.xml")
}

func TestWatchHubFollowsADirectoryMovedToAnotherTree(t *testing.T) {
	hub := newPlainHub(t)
	tenants := t.TempDir()
	one, two := filepath.Join(tenants, "1"), filepath.Join(tenants, "2")
	require.NoError(t, os.MkdirAll(filepath.Join(one, "x", "y"), 0o755))
	require.NoError(t, os.Mkdir(two, 0o755))
	_, out1 := runOnHub(t, hub, one)
	_, out2 := runOnHub(t, hub, two)

	require.NoError(t, os.Rename(filepath.Join(one, "x"), filepath.Join(two, "x")))
	seen(t, out2, "x")
	seen(t, out1, "x")
	require.NoError(t, os.WriteFile(filepath.Join(two, "x", "y", "new.xml"), []byte("<n/>"), 0o644))
	seen(t, out2, "x/y/new.xml")
	quietFor(t, out1, "x/y/new.xml", 100*time.Millisecond)
}

func TestWatchHubFollowsADirectoryRenamedWithinItsTree(t *testing.T) {
	hub := newPlainHub(t)
	root := t.TempDir()
	require.NoError(t, os.MkdirAll(filepath.Join(root, "old", "deep"), 0o755))
	_, out := runOnHub(t, hub, root)

	require.NoError(t, os.Rename(filepath.Join(root, "old"), filepath.Join(root, "new")))
	seen(t, out, "new")
	require.NoError(t, os.WriteFile(filepath.Join(root, "new", "deep", "f.xml"), []byte("<f/>"), 0o644))
	seen(t, out, "new/deep/f.xml")
}

func TestWatchHubForgetsRemovedDirectories(t *testing.T) {
	hub := newPlainHub(t)
	root := t.TempDir()
	_, out := runOnHub(t, hub, root)
	for i := 0; i < 20; i++ {
		dir := filepath.Join(root, "exploded")
		require.NoError(t, os.Mkdir(dir, 0o755))
		seen(t, out, "exploded")
		require.NoError(t, os.Remove(dir))
		seen(t, out, "exploded")
	}
	hub.wmu.Lock()
	defer hub.wmu.Unlock()
	assert.Len(t, hub.refs, 1, "the root alone: made and removed twenty times")
}

func TestWatchHubServesNestedRoots(t *testing.T) {
	hub := newPlainHub(t)
	outer := t.TempDir()
	inner := filepath.Join(outer, "repository", "tenants", "1")
	require.NoError(t, os.MkdirAll(inner, 0o755))
	_, outOuter := runOnHub(t, hub, outer)
	_, outInner := runOnHub(t, hub, inner)
	require.NoError(t, os.WriteFile(filepath.Join(inner, "a.xml"), []byte("<a/>"), 0o644))
	seen(t, outInner, "a.xml")
	seen(t, outOuter, "repository/tenants/1/a.xml")
}

func TestWatchHubTellsAWatcherThatFallsBehindToRescan(t *testing.T) {
	hub := newPlainHub(t)
	root := t.TempDir()
	sub := hub.subscribe(root)
	defer sub.Cancel()
	other := hub.subscribe(filepath.Join(t.TempDir(), "other"))
	defer other.Cancel()
	for i := 0; i <= subQueue; i++ {
		hub.route(fsnotify.Event{Name: filepath.Join(root, "carbonapps", "a.car"), Op: fsnotify.Write})
	}
	assert.Len(t, sub.events, subQueue)
	select {
	case err := <-sub.errs:
		assert.ErrorIs(t, err, fsnotify.ErrEventOverflow)
	default:
		t.Fatal("no overflow for the watcher whose queue was full")
	}
	assert.Empty(t, other.events, "events go to the watcher of the tree they are in")
	assert.Empty(t, other.errs)
}

// TestHubDirSubscriptionSeesOnlyItsEntries: a subscription to a folder
// (the manager's on repository/tenants) hears of the entries made in it,
// not of what the watchers of the trees inside it hear.
func TestHubDirSubscriptionSeesOnlyItsEntries(t *testing.T) {
	hub := newPlainHub(t)
	root := t.TempDir()
	tenant := filepath.Join(root, "3")
	require.NoError(t, os.Mkdir(tenant, 0o755))
	w, out := runOnHub(t, hub, tenant)
	<-w.ready
	sub := hub.SubscribeDir(root)
	defer sub.Cancel()
	_, err := sub.Add(root, false)
	require.NoError(t, err)

	// Inside the tenant's tree: its watcher hears, the folder's does not.
	require.NoError(t, os.Mkdir(filepath.Join(tenant, "carbonapps"), 0o755))
	seen(t, out, "carbonapps")
	// In the folder: its subscription hears.
	require.NoError(t, os.Mkdir(filepath.Join(root, "7"), 0o755))
	select {
	case ev := <-sub.events:
		assert.Equal(t, filepath.Join(root, "7"), ev.Name, "the first event the folder's subscription gets")
		assert.True(t, ev.Has(fsnotify.Create))
	case <-time.After(5 * time.Second):
		t.Fatal("the folder made in root not heard of within 5s")
	}
}
