package manager

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/depsync/depsync/carbonapp"
	"github.com/depsync/depsync/config"
	"github.com/depsync/depsync/internal/daemontest"
	"github.com/depsync/depsync/internal/svntest"
	"github.com/depsync/depsync/internal/testcapp"
	"github.com/depsync/depsync/svn"
	"github.com/depsync/depsync/syncer/internal/svnbatch"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// timedSVN is a real svn client whose commits take at least delay longer
// and are recorded: what each took, and when.
type timedSVN struct {
	svnbatch.SVN
	delay time.Duration
	// during, when set, runs while the commit is in flight, after svn
	// committed and before the commit returns.
	during func(paths []string)

	mu      sync.Mutex
	commits []timedCommit
	started chan []string // told of each commit as it starts
}

type timedCommit struct {
	paths      []string
	start, end time.Time
}

func (s *timedSVN) CommitWith(ctx context.Context, dir, message string, opts svn.CommitOptions, paths ...string) (int64, error) {
	start := time.Now()
	select {
	case s.started <- paths:
	default:
	}
	rev, err := s.SVN.CommitWith(ctx, dir, message, opts, paths...)
	if s.during != nil {
		s.during(paths)
	}
	time.Sleep(s.delay)
	s.mu.Lock()
	s.commits = append(s.commits, timedCommit{paths: paths, start: start, end: time.Now()})
	s.mu.Unlock()
	return rev, err
}

func (s *timedSVN) done() []timedCommit {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]timedCommit(nil), s.commits...)
}

// committedAt returns the commit that took path, or false.
func (s *timedSVN) committedAt(path string) (timedCommit, bool) {
	for _, c := range s.done() {
		for _, p := range c.paths {
			if p == path {
				return c, true
			}
		}
	}
	return timedCommit{}, false
}

// runningManager runs a manager's loop on a real working copy of a file://
// repository, with sync.debounce an hour: only a proof of completeness
// lets a file through, never the quiet time.
func runningManager(t *testing.T, delay time.Duration) (*Manager, *timedSVN, *svntest.Server) {
	t.Helper()
	if runtime.GOOS != "linux" {
		t.Skip("the proof of no writer is a Linux file lease")
	}
	srv := svntest.New(t, svntest.File)
	c := testConfig(t, config.RoleManager)
	c.SVN.URL = srv.URL
	c.Sync.Debounce, c.Sync.MaxDelay = time.Hour, time.Hour
	client, err := svn.New(svn.Options{StateDir: c.StateDir})
	require.NoError(t, err)
	ts := &timedSVN{SVN: client, delay: delay, started: make(chan []string, 1)}
	m := testManager(t, c, ts)
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- m.Run(ctx) }()
	t.Cleanup(func() {
		cancel()
		require.NoError(t, <-done)
	})
	require.Eventually(t, func() bool { return svn.IsWorkingCopy(m.t.Dir) }, time.Minute, 10*time.Millisecond)
	// The start-up reconcile has nothing to commit; give the watcher its
	// watches.
	time.Sleep(200 * time.Millisecond)
	return m, ts, srv
}

// TestBurstGoesInAFewCommits (issue 15, group commit): 100 C-Apps dropped
// (written elsewhere, renamed in) at once, or one every few milliseconds
// while slow commits are in flight, gather and go together: at most 5
// commits, never one per file.
func TestBurstGoesInAFewCommits(t *testing.T) {
	for _, tt := range []struct {
		name       string
		gap, delay time.Duration
	}{
		{"at once", 0, 0},
		{"one every 5ms during slow commits", 5 * time.Millisecond, 300 * time.Millisecond},
	} {
		t.Run(tt.name, func(t *testing.T) {
			m, ts, srv := runningManager(t, tt.delay)
			apps := filepath.Join(m.t.Dir, "carbonapps")
			const n = 100
			srcs := make([]string, n)
			for i := range srcs {
				app := fmt.Sprintf("Burst%03d", i)
				srcs[i] = testcapp.Write(t, t.TempDir(), app+"_1.0.0.car", app, "1.0.0")
			}
			for i, src := range srcs {
				daemontest.Drop(t, src, apps, filepath.Base(src))
				if tt.gap > 0 && i < n-1 {
					time.Sleep(tt.gap)
				}
			}
			committed := func() int {
				got := 0
				for _, c := range ts.done() {
					for _, p := range c.paths {
						if carbonapp.IsCApp(p) {
							got++
						}
					}
				}
				return got
			}
			if !assert.Eventually(t, func() bool { return committed() >= n }, time.Minute, 20*time.Millisecond) {
				t.Fatalf("%d of %d C-Apps committed: %v", committed(), n, ts.done())
			}
			commits := ts.done()
			assert.LessOrEqual(t, len(commits), 5, "a burst of %d files went in %d commits", n, len(commits))
			out := srv.SVN(t, "ls", srv.URL+"/-1234/carbonapps")
			assert.Equal(t, n, strings.Count(out, ".car"))
			t.Logf("%d C-Apps in %d commits", n, len(commits))
		})
	}
}

// TestSlowCommitDelaysTheNextFileByItsOwnDurationAtMost (issue 15, group
// commit): a file that arrives while a slow commit is in flight goes in the
// very next commit, which starts as soon as the slow one ends.
func TestSlowCommitDelaysTheNextFileByItsOwnDurationAtMost(t *testing.T) {
	const delay = time.Second
	m, ts, _ := runningManager(t, delay)
	src := testcapp.Write(t, t.TempDir(), "Slow_1.0.0.car", "Slow", "1.0.0")
	apps := filepath.Join(m.t.Dir, "carbonapps")
	require.NoError(t, os.MkdirAll(apps, 0o755))
	daemontest.Drop(t, src, apps, "First_1.0.0.car")
	select {
	case <-ts.started:
	case <-time.After(time.Minute):
		t.Fatal("the first commit did not start")
	}
	daemontest.Drop(t, src, apps, "Second_1.0.0.car")
	require.Eventually(t, func() bool {
		_, ok := ts.committedAt("carbonapps/Second_1.0.0.car")
		return ok
	}, time.Minute, 10*time.Millisecond)
	first, _ := ts.committedAt("carbonapps/First_1.0.0.car")
	second, _ := ts.committedAt("carbonapps/Second_1.0.0.car")
	// The second file waits for the slow commit and its own, no more: its
	// commit starts once the slow one ends. (Measured from the commits'
	// own ends and starts, not from the drop, so that a loaded machine's
	// slower debounce does not count.)
	assert.False(t, second.start.Before(first.end), "the commits do not overlap")
	assert.Less(t, second.start.Sub(first.end), delay/2,
		"the next commit starts as soon as the slow one ends")
}

// TestFileThatLooksCompleteThenChangesIsCommittedAgain: a file proven
// complete and committed, then written again (while its commit is still in
// flight, and later once more), ends up in the repository with its last
// content: the change after the proof is a new change, never lost.
func TestFileThatLooksCompleteThenChangesIsCommittedAgain(t *testing.T) {
	m, ts, srv := runningManager(t, 300*time.Millisecond)
	rel := "synapse-configs/default/api/a.xml"
	abs := filepath.Join(m.t.Dir, filepath.FromSlash(rel))
	require.NoError(t, os.MkdirAll(filepath.Dir(abs), 0o755))
	car := filepath.Join(m.t.Dir, "carbonapps", "App_1.0.0.car")
	require.NoError(t, os.MkdirAll(filepath.Dir(car), 0o755))
	v2 := testcapp.Build(t, "App", "1.0.0", testcapp.Pad(64<<10))
	var once sync.Once
	ts.during = func([]string) {
		once.Do(func() {
			// svn has committed the first versions; the files change
			// before the commit returns, the XML keeping its size.
			require.NoError(t, os.WriteFile(abs, []byte(`<api name="b"/>`), 0o644))
			go func() { _ = os.WriteFile(car, v2, 0o644) }() // waits for the lease
		})
	}
	require.NoError(t, os.WriteFile(abs, []byte(`<api name="a"/>`), 0o644))
	testcapp.Write(t, filepath.Dir(car), "App_1.0.0.car", "App", "1.0.0")

	cat := func(rel string) string {
		out, err := srv.TrySVN("cat", srv.URL+"/-1234/"+rel)
		if err != nil {
			return ""
		}
		return out
	}
	require.Eventually(t, func() bool { return cat(rel) == `<api name="b"/>` }, time.Minute, 20*time.Millisecond,
		"the XML written again after its commit is committed with its new content")
	require.Eventually(t, func() bool { return cat("carbonapps/App_1.0.0.car") == string(v2) }, time.Minute, 20*time.Millisecond,
		"the C-App rewritten during its commit is committed again whole")

	// Once more, later: a third version.
	require.NoError(t, os.WriteFile(abs, []byte(`<api name="c"/>`), 0o644))
	require.Eventually(t, func() bool { return cat(rel) == `<api name="c"/>` }, time.Minute, 20*time.Millisecond)
	// svn has committed it; the timed commit is recorded once it returns.
	assert.Eventually(t, func() bool { return len(ts.done()) >= 3 }, 10*time.Second, 10*time.Millisecond,
		"the first versions, the second ones and the third: three commits at least")
}
