package syncer

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

// startClosesWatcher is startWatcher with a close watch and quiet times of
// an hour: whatever it reports within a test, it reports because the
// kernel said the file was closed or renamed in.
func startClosesWatcher(t *testing.T, cw *closeWatch, root string) (*Watcher, chan Batch) {
	t.Helper()
	w := NewWatcher(root, func(name string) bool { return name == ".svn" }, time.Hour, time.Hour, nil)
	w.closes = cw
	out := make(chan Batch)
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- w.Run(ctx, out) }()
	t.Cleanup(func() {
		cancel()
		require.ErrorIs(t, <-done, context.Canceled)
	})
	select {
	case <-w.ready:
	case err := <-done:
		done <- err
		t.Fatalf("the watcher stopped before watching: %v", err)
	case <-time.After(5 * time.Second):
		t.Fatal("the watches were not in place within 5s")
	}
	return w, out
}

func newTestCloseWatch(t *testing.T) *closeWatch {
	t.Helper()
	if runtime.GOOS != "linux" {
		t.Skip("closes are watched on Linux only")
	}
	cw, err := newCloseWatch()
	require.NoError(t, err)
	t.Cleanup(cw.close)
	return cw
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
			_, out := startClosesWatcher(t, newTestCloseWatch(t), root)
			tc.drop(t, t.TempDir(), filepath.Join(root, "carbonapps", "a.xml"))
			b := next(t, out)
			assert.NotEmpty(t, b.Paths)
			assert.False(t, b.Rescan)
		})
	}
}

func TestWatcherWaitsForTheCloseOfAFileStillOpen(t *testing.T) {
	root := t.TempDir()
	_, out := startClosesWatcher(t, newTestCloseWatch(t), root)
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

func TestCloseWatchServesEachWatcherItsOwnFolders(t *testing.T) {
	cw := newTestCloseWatch(t)
	one, two := t.TempDir(), t.TempDir()
	_, out1 := startClosesWatcher(t, cw, one)
	_, out2 := startClosesWatcher(t, cw, two)
	require.NoError(t, os.WriteFile(filepath.Join(two, "b.xml"), []byte("<b/>"), 0o644))
	assert.Equal(t, []string{"b.xml"}, next(t, out2).Paths)
	require.NoError(t, os.WriteFile(filepath.Join(one, "a.xml"), []byte("<a/>"), 0o644))
	assert.Equal(t, []string{"a.xml"}, next(t, out1).Paths)
}

func TestCloseWatchDropsTheFoldersOfAWatcherThatStopped(t *testing.T) {
	cw := newTestCloseWatch(t)
	root := t.TempDir()
	require.NoError(t, os.MkdirAll(filepath.Join(root, "a", "b"), 0o755))
	w := NewWatcher(root, nil, time.Hour, time.Hour, nil)
	w.closes = cw
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- w.Run(ctx, make(chan Batch)) }()
	<-w.ready
	cw.mu.Lock()
	watched := len(cw.subs)
	cw.mu.Unlock()
	assert.Equal(t, 3, watched, "root, a and a/b")
	cancel()
	require.ErrorIs(t, <-done, context.Canceled)
	cw.mu.Lock()
	defer cw.mu.Unlock()
	assert.Empty(t, cw.subs)
}

func TestCloseWatchTakesAtMostItsShareOfWatches(t *testing.T) {
	cw := newTestCloseWatch(t)
	cw.limit = 1
	to := make(chan string, 1)
	require.NoError(t, cw.add(t.TempDir(), to))
	assert.ErrorIs(t, cw.add(t.TempDir(), to), errCloseWatchFull, "said once")
	assert.NoError(t, cw.add(t.TempDir(), to), "and not again for every folder")
	cw.mu.Lock()
	defer cw.mu.Unlock()
	assert.Len(t, cw.subs, 1)
}
