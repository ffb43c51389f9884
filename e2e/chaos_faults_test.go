//go:build linux

package e2e

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/depsync/depsync/internal/daemontest"
	"github.com/depsync/depsync/internal/svntest"
	"github.com/depsync/depsync/internal/tcpproxy"
)

// The faults of TestChaos that take a resource away from one node rather
// than kill a process: the manager's route to SVN, the worker's disk space
// and the manager's carbonapps folder. Each one restores what it took before
// it returns, so the fault loop never ends with a fault still in force.

// expectDeletionHold switches on the invariant of the carbonapps move: while
// the manager's carbonapps is away, the mass-deletion guard holds the
// deletion, so the worker keeps every C-App it had. Set it to false only to
// soak a build that predates the guard; the moves then still run and their
// losses are still counted in the summary line.
const expectDeletionHold = true

// chaosMaxApps bounds how many C-Apps the driver keeps at once, so that the
// worker's tree fits its small file system.
const chaosMaxApps = 24

// chaosFSSize is the size of the tmpfs under the worker's deployment
// directory: chaosMaxApps C-Apps of at most about 4 MiB (testcapp.Pad up to
// 4 MiB), each held three times at worst (the file, its pristine copy in
// .svn, and a new version on its way in), with room to spare.
const chaosFSSize = 320 << 20

// svnCutMaxWait is how long a cut waits for the manager to fall back to
// direct mode: svn.fail_threshold failed probes, one per svn.poll_interval,
// take a few seconds; a manager still in svn mode after this is reported.
const svnCutMaxWait = 15 * time.Second

// cutManagerSVN cuts the manager's route to SVN (the worker keeps its own)
// until the manager reports direct mode, or at most svnCutMaxWait; keeps it
// cut for hold more, so that the manager pushes in direct mode while the
// worker still updates from SVN; then restores it. With restartWorker, the
// worker is killed and started again halfway through the hold: its start-up
// update then meets the C-Apps pushed to it that the repository does not
// hold yet (the split brain of issue 11). It reports whether the manager
// fell back to direct mode.
func cutManagerSVN(t *testing.T, proxy *tcpproxy.Proxy, manager, worker *daemontest.Node, hold time.Duration, restartWorker bool) bool {
	proxy.Cut()
	defer proxy.Restore()
	fellBack := false
	for deadline := time.Now().Add(svnCutMaxWait); time.Now().Before(deadline); {
		if mode(t, manager) == "direct" {
			fellBack = true
			break
		}
		time.Sleep(100 * time.Millisecond)
	}
	time.Sleep(hold / 2)
	if restartWorker {
		worker.Kill(t)
		worker.Start(t)
	}
	time.Sleep(hold / 2)
	return fellBack
}

// smallFS is a tmpfs holding a worker's deployment directory, and a filler
// file beside that directory (in the same file system, outside the tree
// depsync and Carbon see) that a fault grows until the file system is full.
type smallFS struct {
	dir    string // the mount point
	filler string
}

// mountSmallFS mounts a tmpfs of size bytes on dir, which it creates. It
// needs root (CAP_SYS_ADMIN); the error says why it could not.
func mountSmallFS(dir string, size int64) (*smallFS, error) {
	if os.Geteuid() != 0 {
		return nil, errors.New("mounting a tmpfs needs root; run the tests as root to inject a full disk")
	}
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return nil, err
	}
	opts := fmt.Sprintf("size=%d,mode=0755", size)
	if err := syscall.Mount("tmpfs", dir, "tmpfs", syscall.MS_NOSUID|syscall.MS_NODEV, opts); err != nil {
		return nil, fmt.Errorf("mount -t tmpfs -o %s tmpfs %s: %w", opts, dir, err)
	}
	fillDir := filepath.Join(dir, "chaos-filler")
	if err := os.Mkdir(fillDir, 0o700); err != nil {
		if uerr := syscall.Unmount(dir, syscall.MNT_DETACH); uerr != nil {
			err = errors.Join(err, fmt.Errorf("umount %s: %w", dir, uerr))
		}
		return nil, err
	}
	return &smallFS{dir: dir, filler: filepath.Join(fillDir, "fill")}, nil
}

// unmount unmounts the tmpfs. Whatever still has a file open there (an svn
// child on its way out) gets a few moments; then the mount is detached.
func (s *smallFS) unmount() error {
	var err error
	for try := 0; try < 50; try++ {
		if err = syscall.Unmount(s.dir, 0); err == nil || !errors.Is(err, syscall.EBUSY) {
			return err
		}
		time.Sleep(20 * time.Millisecond)
	}
	return syscall.Unmount(s.dir, syscall.MNT_DETACH)
}

// avail is how many bytes an unprivileged writer can still write.
func (s *smallFS) avail() (int64, error) {
	var st syscall.Statfs_t
	if err := syscall.Statfs(s.dir, &st); err != nil {
		return 0, err
	}
	return int64(st.Bavail) * st.Bsize, nil
}

// used is how many bytes the file system holds.
func (s *smallFS) used() (int64, error) {
	var st syscall.Statfs_t
	if err := syscall.Statfs(s.dir, &st); err != nil {
		return 0, err
	}
	return int64(st.Blocks-st.Bfree) * st.Bsize, nil
}

// fill grows the filler until a write fails with ENOSPC: allocated in one go
// for what Statfs says is free, then topped up in small writes for the
// rest. It can be called again to take space that was freed meanwhile.
func (s *smallFS) fill() error {
	f, err := os.OpenFile(s.filler, os.O_WRONLY|os.O_CREATE|os.O_APPEND, 0o600)
	if err != nil {
		return err
	}
	defer f.Close()
	fi, err := f.Stat()
	if err != nil {
		return err
	}
	if n, err := s.avail(); err == nil && n > 0 {
		// Fails with ENOSPC when someone took some of it meanwhile (or
		// is not supported): the writes below take what is left.
		err := syscall.Fallocate(int(f.Fd()), 0, fi.Size(), n)
		if err != nil && !errors.Is(err, syscall.ENOSPC) && !errors.Is(err, syscall.EOPNOTSUPP) {
			return fmt.Errorf("fallocate %s: %w", f.Name(), err)
		}
	}
	chunk := make([]byte, 64<<10)
	for {
		if _, err := f.Write(chunk); err != nil {
			if errors.Is(err, syscall.ENOSPC) {
				return nil
			}
			return err
		}
	}
}

// free removes the filler.
func (s *smallFS) free() error {
	if err := os.Remove(s.filler); err != nil && !errors.Is(err, os.ErrNotExist) {
		return err
	}
	return nil
}

// fillWorkerDisk fills the worker's file system and keeps it full for hold
// (space the worker frees meanwhile is taken again at once), then frees it.
func fillWorkerDisk(s *smallFS, hold time.Duration) error {
	defer s.free()
	for deadline := time.Now().Add(hold); ; {
		if err := s.fill(); err != nil {
			return fmt.Errorf("filling %s: %w", s.dir, err)
		}
		if time.Now().After(deadline) {
			break
		}
		time.Sleep(50 * time.Millisecond)
	}
	if err := s.free(); err != nil {
		return fmt.Errorf("freeing %s: %w", s.dir, err)
	}
	return nil
}

// appsMoveGrace is how long after carbonapps is back the worker is still
// watched (and the driver still kept out of carbonapps): a deletion the
// manager propagated just before the folder came back lands in it.
const appsMoveGrace = time.Second

// moveAppsAway moves the manager's carbonapps out of its deployment
// directory (as an unmounted volume, a wrong rm -rf or a restore script that
// moves the folder aside would make it vanish), keeps it away for hold, then
// moves it back. The driver stays out of carbonapps meanwhile. It returns
// the C-Apps the worker held at the start that the manager held too, and
// those of them the worker lost while the folder was away (or within
// appsMoveGrace of its return).
func moveAppsAway(d *driver, worker *daemontest.Node, hold time.Duration) (had int, lost []string, err error) {
	apps := filepath.Join(d.dir, "carbonapps")
	// Beside the deployment directory, on the same file system: out of
	// the manager's sight, and a rename both ways.
	away := filepath.Join(filepath.Dir(d.dir), "carbonapps-moved-away")
	workerApps := filepath.Join(worker.Dir, "carbonapps")

	d.mu.Lock()
	held := map[string]bool{}
	names, err := carNames(apps)
	if err != nil {
		d.mu.Unlock()
		return 0, nil, err
	}
	for _, name := range names {
		if _, err := os.Stat(filepath.Join(workerApps, name)); err == nil {
			held[name] = true
		}
	}
	err = os.Rename(apps, away)
	if err == nil {
		d.appsAway = true
	}
	d.mu.Unlock()
	if err != nil {
		return 0, nil, fmt.Errorf("moving carbonapps away: %w", err)
	}

	gone := map[string]bool{}
	watch := func(until time.Time) {
		for {
			for name := range held {
				if _, err := os.Stat(filepath.Join(workerApps, name)); errors.Is(err, os.ErrNotExist) {
					gone[name] = true
				}
			}
			if time.Now().After(until) {
				return
			}
			time.Sleep(50 * time.Millisecond)
		}
	}
	watch(time.Now().Add(hold))
	d.mu.Lock()
	err = os.Rename(away, apps)
	d.mu.Unlock()
	if err != nil {
		// The driver stays out of carbonapps for good: the final
		// comparison then shows what is missing.
		return len(held), nil, fmt.Errorf("moving carbonapps back: %w", err)
	}
	watch(time.Now().Add(appsMoveGrace))
	d.mu.Lock()
	d.appsAway = false
	d.mu.Unlock()
	for name := range gone {
		lost = append(lost, name)
	}
	sort.Strings(lost)
	return len(held), lost, nil
}

// carNames lists the names of the .car files in dir; none when dir is
// not there (moved away).
func carNames(dir string) ([]string, error) {
	entries, err := os.ReadDir(dir)
	if err != nil && !errors.Is(err, fs.ErrNotExist) {
		return nil, err
	}
	var out []string
	for _, e := range entries {
		if !e.IsDir() && strings.HasSuffix(e.Name(), ".car") && !strings.HasPrefix(e.Name(), ".") {
			out = append(out, e.Name())
		}
	}
	return out, nil
}

// divergence says, for each path where the manager, the worker and the
// repository's HEAD (checked out in repo) do not all agree, what each one
// holds (a short sha256, or "-" for nothing), and what svn status says of
// both working copies: which side went wrong, for the report.
func divergence(manager, worker, repo string) string {
	var trees [3]map[string]string
	for i, dir := range []string{manager, worker, repo} {
		tree, err := daemontest.Tree(dir)
		if err != nil {
			return err.Error()
		}
		trees[i] = tree
	}
	paths := map[string]bool{}
	for _, tree := range trees {
		for p := range tree {
			paths[p] = true
		}
	}
	var lines []string
	for p := range paths {
		m, w, r := trees[0][p], trees[1][p], trees[2][p]
		if m == w && w == r {
			continue
		}
		short := func(h string) string {
			if h == "" {
				return "-"
			}
			return h[:8]
		}
		lines = append(lines, fmt.Sprintf("  %s: manager %s, worker %s, repository %s", p, short(m), short(w), short(r)))
	}
	sort.Strings(lines)
	out := "divergent paths (sha256):\n" + strings.Join(lines, "\n")
	for _, dir := range []string{manager, worker} {
		_, why := cleanWC(dir)
		if why == "" {
			why = "svn status " + dir + ": clean"
		}
		out += "\n" + why
	}
	return out
}

// TestChaosSmallFS checks the full-disk fault itself: once filled, the
// tmpfs refuses a write in the deployment directory with ENOSPC, and takes
// it again once freed; the filler never shows in the deployment tree.
func TestChaosSmallFS(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "deployment")
	s, err := mountSmallFS(dir, 8<<20)
	if err != nil {
		svntest.Unsupported(t, "chaos: %v", err)
	}
	defer func() { require.NoError(t, s.unmount()) }()
	server := filepath.Join(dir, "server")
	require.NoError(t, os.Mkdir(server, 0o755))
	body := make([]byte, 256<<10)

	require.NoError(t, s.fill())
	avail, err := s.avail()
	require.NoError(t, err)
	assert.Zero(t, avail)
	err = os.WriteFile(filepath.Join(server, "App_1.0.0.car"), body, 0o644)
	require.ErrorIs(t, err, syscall.ENOSPC)
	tree, err := daemontest.Tree(server)
	require.NoError(t, err)
	for p := range tree {
		assert.Equal(t, "App_1.0.0.car", p, "the filler must stay outside the deployment tree")
	}
	require.NoError(t, s.fill(), "filling a full file system again is fine")

	require.NoError(t, s.free())
	require.NoError(t, os.WriteFile(filepath.Join(server, "App_1.0.0.car"), body, 0o644))
	used, err := s.used()
	require.NoError(t, err)
	assert.Less(t, used, int64(1<<20))
}
