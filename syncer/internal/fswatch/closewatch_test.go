//go:build linux

package fswatch

import (
	"context"
	"os"
	"path/filepath"
	"runtime"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// startClosesWatcher is startWatcher on hub, which watches closes, with
// quiet times of an hour: whatever it reports within a test, it reports
// because the kernel said the file was closed or renamed in.
func startClosesWatcher(t *testing.T, hub *Hub, root string) (*Watcher, chan Batch) {
	t.Helper()
	w := NewWatcher(root, func(name string) bool { return name == ".svn" }, time.Hour, time.Hour, nil)
	w.hub = hub
	return w, runWatcher(t, w)
}

// newTestHub is a daemon's watch hub, closes watched.
func newTestHub(t *testing.T) *Hub {
	t.Helper()
	if runtime.GOOS != "linux" {
		t.Skip("closes are watched on Linux only")
	}
	h, err := NewHub(true, nil)
	require.NoError(t, err)
	require.NotNil(t, h.closes)
	t.Cleanup(h.Close)
	return h
}

func TestWatcherSendsAtOnceWhatIsClosedOrRenamedIn(t *testing.T) {
	for _, tc := range []struct {
		name string
		drop func(t *testing.T, elsewhere, dst string)
	}{
		{"written in place and closed", func(t *testing.T, _, dst string) {
			require.NoError(t, os.WriteFile(dst, []byte("<a/>"), 0o644))
		}},
		{"written elsewhere and renamed in", func(t *testing.T, elsewhere, dst string) {
			src := filepath.Join(elsewhere, "x")
			require.NoError(t, os.WriteFile(src, []byte("<a/>"), 0o644))
			require.NoError(t, os.Rename(src, dst))
		}},
		{"written in a new folder and closed", func(t *testing.T, _, dst string) {
			dir := filepath.Join(filepath.Dir(dst), "new")
			require.NoError(t, os.Mkdir(dir, 0o755))
			// The folder's watches are added when its Create is seen:
			// until then its files are reported by the walk of it.
			require.NoError(t, os.WriteFile(filepath.Join(dir, "f.xml"), []byte("<a/>"), 0o644))
		}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			root := filepath.Join(t.TempDir(), "server")
			require.NoError(t, os.MkdirAll(filepath.Join(root, "carbonapps"), 0o755))
			_, out := startClosesWatcher(t, newTestHub(t), root)
			tc.drop(t, t.TempDir(), filepath.Join(root, "carbonapps", "a.xml"))
			b := next(t, out)
			assert.NotEmpty(t, b.Paths)
			assert.False(t, b.Rescan)
		})
	}
}

func TestWatcherWaitsForTheCloseOfAFileStillOpen(t *testing.T) {
	root := t.TempDir()
	_, out := startClosesWatcher(t, newTestHub(t), root)
	f, err := os.Create(filepath.Join(root, "App_1.0.0.car"))
	require.NoError(t, err)
	_, err = f.Write([]byte("PK"))
	require.NoError(t, err)
	select {
	case b := <-out:
		t.Fatalf("a batch while the file is still open for writing: %v", b.Paths)
	case <-time.After(100 * time.Millisecond):
	}
	require.NoError(t, f.Close())
	assert.Equal(t, []string{"App_1.0.0.car"}, next(t, out).Paths)
}

func TestWatchHubDropsTheFoldersOfAWatcherThatStopped(t *testing.T) {
	hub := newTestHub(t)
	cw := hub.closes
	root := t.TempDir()
	require.NoError(t, os.MkdirAll(filepath.Join(root, "a", "b"), 0o755))
	w := NewWatcher(root, nil, time.Hour, time.Hour, nil)
	w.hub = hub
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- w.Run(ctx, make(chan Batch)) }()
	<-w.ready
	cw.mu.Lock()
	watched := len(cw.dirs)
	cw.mu.Unlock()
	assert.Equal(t, 3, watched, "root, a and a/b")
	cancel()
	require.ErrorIs(t, <-done, context.Canceled)
	assert.Empty(t, hub.fw.WatchList())
	hub.wmu.Lock()
	assert.Empty(t, hub.refs)
	hub.wmu.Unlock()
	cw.mu.Lock()
	defer cw.mu.Unlock()
	assert.Empty(t, cw.dirs)
}

func TestCloseWatchTakesAtMostItsShareOfWatches(t *testing.T) {
	cw := newTestHub(t).closes
	cw.limit = 1
	to := make(chan string, 1)
	require.NoError(t, cw.add(t.TempDir(), to))
	assert.ErrorIs(t, cw.add(t.TempDir(), to), errCloseWatchFull, "said once")
	assert.NoError(t, cw.add(t.TempDir(), to), "and not again for every folder")
	cw.mu.Lock()
	defer cw.mu.Unlock()
	assert.Len(t, cw.dirs, 1)
}

// inotifyInstances counts this process's inotify instances.
func inotifyInstances(t *testing.T) int {
	t.Helper()
	fds, err := os.ReadDir("/proc/self/fd")
	require.NoError(t, err)
	n := 0
	for _, fd := range fds {
		if target, err := os.Readlink(filepath.Join("/proc/self/fd", fd.Name())); err == nil && target == "anon_inode:inotify" {
			n++
		}
	}
	return n
}

func TestWatchHubTakesTwoInotifyInstancesWhateverTheNumberOfWatchers(t *testing.T) {
	before := inotifyInstances(t)
	hub := newTestHub(t)
	for i := 0; i < 20; i++ {
		startClosesWatcher(t, hub, t.TempDir())
	}
	assert.Equal(t, before+2, inotifyInstances(t), "one for fsnotify, one for closes")
}

func TestCloseWatchKeepsAFolderAnotherWatcherNeeds(t *testing.T) {
	hub := newTestHub(t)
	root := t.TempDir()
	older := NewWatcher(root, nil, time.Hour, time.Hour, nil)
	older.hub = hub
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- older.Run(ctx, make(chan Batch)) }()
	<-older.ready
	_, out := startClosesWatcher(t, hub, root) // the newer, same folders
	cancel()
	require.ErrorIs(t, <-done, context.Canceled)

	require.NoError(t, os.WriteFile(filepath.Join(root, "a.xml"), []byte("<a/>"), 0o644))
	assert.Equal(t, []string{"a.xml"}, next(t, out).Paths, "the newer one's close watch stayed")
}

func TestCloseWatchGivesWayToFsnotify(t *testing.T) {
	hub := newTestHub(t)
	to := make(chan string, 1)
	require.NoError(t, hub.closes.add(t.TempDir(), to))
	hub.closes.shed()
	hub.closes.mu.Lock()
	assert.Empty(t, hub.closes.dirs)
	hub.closes.mu.Unlock()
	assert.NoError(t, hub.closes.add(t.TempDir(), to), "no more, and not said again")
	hub.closes.mu.Lock()
	defer hub.closes.mu.Unlock()
	assert.Empty(t, hub.closes.dirs)
}
