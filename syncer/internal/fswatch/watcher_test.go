package fswatch

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func startWatcher(t *testing.T, root string, debounce, maxDelay time.Duration) (*Watcher, chan Batch) {
	t.Helper()
	ignored := func(name string) bool { return name == ".svn" || strings.HasSuffix(name, ".tmp") }
	w := NewWatcher(root, ignored, debounce, maxDelay, nil)
	return w, runWatcher(t, w)
}

// runWatcher runs w until the test ends and returns its batches once its
// watches are in place: the test's first writes are seen.
func runWatcher(t *testing.T, w *Watcher) chan Batch {
	t.Helper()
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
		done <- err // for the cleanup
		t.Fatalf("the watcher stopped before watching: %v", err)
	case <-time.After(5 * time.Second):
		t.Fatal("the watches were not in place within 5s")
	}
	return out
}

func next(t *testing.T, out chan Batch) Batch {
	t.Helper()
	select {
	case b := <-out:
		return b
	case <-time.After(5 * time.Second):
		t.Fatal("no batch within 5s")
		return Batch{}
	}
}

func TestWatcherReportsNestedChanges(t *testing.T) {
	root := t.TempDir()
	require.NoError(t, os.MkdirAll(filepath.Join(root, "synapse-configs", "default"), 0o755))
	require.NoError(t, os.MkdirAll(filepath.Join(root, ".svn"), 0o755))
	w, out := startWatcher(t, root, 50*time.Millisecond, time.Second)

	write := func(rel string) {
		p := filepath.Join(root, filepath.FromSlash(rel))
		require.NoError(t, os.MkdirAll(filepath.Dir(p), 0o755))
		require.NoError(t, os.WriteFile(p, []byte("x"), 0o644))
	}
	write("App 1.0.0@x.car")
	write("synapse-configs/default/api.xml")
	write(".svn/wc.db")  // ignored directory: never watched
	write("partial.tmp") // ignored name
	b := next(t, out)
	assert.False(t, b.Rescan)
	assert.Equal(t, []string{"App 1.0.0@x.car", "synapse-configs/default/api.xml"}, b.Paths)

	// A directory created with files in it at once: the files are reported
	// even though they were written before the new watch existed.
	deep := filepath.Join(root, "carbonapps", "nested", "ünï")
	require.NoError(t, os.MkdirAll(deep, 0o755))
	require.NoError(t, os.WriteFile(filepath.Join(deep, "f.xml"), []byte("x"), 0o644))
	got := map[string]bool{}
	deadline := time.After(5 * time.Second)
	for !got["carbonapps/nested/ünï/f.xml"] {
		select {
		case b := <-out:
			for _, p := range b.Paths {
				got[p] = true
			}
		case <-deadline:
			t.Fatalf("nested file not reported; got %v", got)
		}
	}
	// And later writes in the new directory are watched.
	write("carbonapps/nested/ünï/g.xml")
	assert.Contains(t, next(t, out).Paths, "carbonapps/nested/ünï/g.xml")

	require.NoError(t, os.Remove(filepath.Join(root, "App 1.0.0@x.car")))
	assert.Equal(t, []string{"App 1.0.0@x.car"}, next(t, out).Paths)
	events, overflows := w.Counts()
	assert.Positive(t, events)
	assert.Zero(t, overflows)
}

func TestWatcherDebouncesAndCaps(t *testing.T) {
	tests := []struct {
		name               string
		debounce, maxDelay time.Duration
		writeEvery         time.Duration
		writes             int
		wantBatches        int
	}{
		// Writes closer than the quiet time coalesce into one batch.
		{"coalesce", 200 * time.Millisecond, 10 * time.Second, 20 * time.Millisecond, 10, 1},
		// A stream that never goes quiet is cut by max_delay.
		{"capped", 200 * time.Millisecond, 300 * time.Millisecond, 50 * time.Millisecond, 16, 2},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			root := t.TempDir()
			_, out := startWatcher(t, root, tt.debounce, tt.maxDelay)
			batches := 0
			collected := make(chan struct{})
			stop := make(chan struct{})
			go func() {
				defer close(collected)
				for {
					select {
					case <-out:
						batches++
					case <-stop:
						return
					}
				}
			}()
			for i := 0; i < tt.writes; i++ {
				require.NoError(t, os.WriteFile(filepath.Join(root, "grow.car"), []byte(strings.Repeat("x", i)), 0o644))
				time.Sleep(tt.writeEvery)
			}
			time.Sleep(tt.debounce + 300*time.Millisecond)
			close(stop)
			<-collected
			if tt.wantBatches == 1 {
				assert.Equal(t, 1, batches)
			} else {
				assert.GreaterOrEqual(t, batches, tt.wantBatches)
			}
		})
	}
}

func TestWatcherMissingRoot(t *testing.T) {
	w := NewWatcher(filepath.Join(t.TempDir(), "nope"), nil, time.Millisecond, time.Second, nil)
	err := w.Run(context.Background(), make(chan Batch))
	require.Error(t, err)
	assert.Contains(t, err.Error(), "nope")
	select {
	case <-w.ready:
		t.Error("a watcher of a missing root says it is watching")
	default:
	}
}
