package manager

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"maps"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/depsync/depsync/carbonapp"
	"github.com/depsync/depsync/internal/guard"
	"github.com/depsync/depsync/internal/settling"
	"github.com/depsync/depsync/svn"
	"github.com/depsync/depsync/syncer/internal/tenant"
)

// deletionWait is how the manager's deletions wait to be judged.
type deletionWait struct {
	// settling is what the last looks found deleted, per top-level
	// folder; settleWindow is how long deletions must stop coming before
	// they go to the guard (see guardDeletions).
	settling     settling.State
	settleWindow time.Duration
	// waitingSince is when deletions began to wait without a break, zero
	// when none waits; waitWarned: the long wait was logged.
	waitingSince time.Time
	waitWarned   bool
}

// errDirMissing says the deployment directory is gone: the manager waits
// for it and never commits its loss or makes it anew, empty.
var errDirMissing = errors.New("deployment directory missing")

// checkDir fails with errDirMissing when the deployment directory is not
// there (an unmounted volume, a restore that moved it aside).
func (m *Manager) checkDir() error {
	fi, err := os.Stat(m.t.Dir)
	switch {
	case errors.Is(err, fs.ErrNotExist):
		return fmt.Errorf("%w: %s is not there; waiting for it (a manager never commits its loss nor creates it empty)",
			errDirMissing, m.t.Dir)
	case err != nil:
		return fmt.Errorf("deployment directory: %w", err)
	case !fi.IsDir():
		return &tenant.ConfigError{Err: fmt.Errorf("deployment directory %s is not a directory", m.t.Dir)}
	}
	return nil
}

// scope names the manager's deletions in the guard.
func (m *Manager) scope() string { return "tenant " + strconv.Itoa(m.t.ID) }

// holding reports whether the guard holds deletions of this tenant: every
// pass then looks at the whole tree, so that the hold clears only when
// the files are really back.
func (m *Manager) holding() bool {
	for _, h := range m.env.Deletions.Holds() {
		if h.Scope == m.scope() {
			return true
		}
	}
	return false
}

// guardDeletions puts the pass's deletions to the guard and returns ready
// without them when they are held: a vanished top-level folder that held
// files, a carbonapps left with no C-App while the repository holds some,
// or more than sync.max_delete. full says the pass looked at the whole
// tree: only such a pass without deletions clears a hold.
//
// Deletions still arriving are not judged yet: while a look finds more
// deletions under a top-level folder than the look before, within
// sync.delete_settle, every deletion of the pass waits (wait, until the
// window ends; deferred is true and the next look is at the whole tree),
// and the guard is not asked, so a hold stays as it is. Then all of them
// go to the guard at once: a folder emptied by a long rm -rf is held
// whole, never committed slice by slice. Additions and modifications go
// on meanwhile.
func (m *Manager) guardDeletions(ctx context.Context, ready []candidate, full bool, now time.Time,
	wait func(string, time.Time)) (kept []candidate, deferred bool, err error) {
	var dels []candidate
	for _, c := range ready {
		if c.op == '-' {
			dels = append(dels, c)
		}
	}
	if len(dels) == 0 {
		m.del.waitingSince, m.del.waitWarned = time.Time{}, false
		if full {
			// Nothing deleted anywhere: whatever was waiting came back.
			m.del.settling = nil
			m.env.Deletions.Check(guard.Pass{Scope: m.scope()})
		}
		return ready, false, nil
	}
	// Every versioned item, missing ones included, with its kind: the
	// base of the share and the files below a deleted directory.
	entries, _, err := m.statusAround(ctx, svn.StatusOptions{Verbose: true}, []string{"."})
	if err != nil {
		return nil, false, fmt.Errorf("svn status: %w", err)
	}
	var until time.Time
	m.del.settling, until = settling.Decide(m.del.settling, m.deletedByFolder(entries, dels), now, m.del.settleWindow)
	if !until.IsZero() {
		kept = ready[:0:0]
		for _, c := range ready {
			if c.op == '-' {
				wait(c.path, until)
			} else {
				kept = append(kept, c)
			}
		}
		m.log.Debug("deletions wait: a folder is still being emptied; they are judged together once it is quiet",
			"deletions", len(dels), "until", until.Format(time.RFC3339Nano))
		if m.del.waitingSince.IsZero() {
			m.del.waitingSince = now
		}
		if waited := now.Sub(m.del.waitingSince); waited >= longWait && !m.del.waitWarned {
			// Deletions that never stop coming (a tool deleting files
			// in a synced folder all the time) would wait for ever: say so.
			m.del.waitWarned = true
			m.log.Warn("deletions keep coming: none is committed until none has come for sync.delete_settle",
				"waiting", waited.Round(time.Second), "folders", tenant.JoinLimited(slices.Sorted(maps.Keys(m.del.settling)), 10))
		}
		return kept, true, nil
	}
	m.del.waitingSince, m.del.waitWarned = time.Time{}, false
	var (
		total, reposCApps int
		reason            string
	)
	under := func(p, dir string) bool { return p == dir || strings.HasPrefix(p, dir+"/") }
	filesOf := map[string][]string{} // deletion candidate -> versioned files it deletes
	for _, e := range entries {
		if e.Path == "." || e.Path == "" || e.Kind == "dir" || e.Item == "unversioned" || e.Item == "added" ||
			e.Item == "ignored" || m.env.Files.Ignored(e.Path) {
			continue
		}
		total++
		if isTopCApp(e.Path) {
			reposCApps++
		}
		for _, d := range dels {
			if under(e.Path, d.path) {
				filesOf[d.path] = append(filesOf[d.path], e.Path)
				break
			}
		}
	}
	for _, d := range dels {
		if _, ok := filesOf[d.path]; !ok {
			// Not in the listing (an empty directory, or a file svn lists
			// no more): count the path itself.
			filesOf[d.path] = []string{d.path}
		}
	}
	// Which deletions a structural reason holds, whatever their number.
	structural := map[string]bool{}
	for _, d := range dels {
		if d.dir && !strings.Contains(d.path, "/") && len(filesOf[d.path]) > 0 {
			structural[d.path] = true
			reason = guard.ReasonDirGone
		}
	}
	if reason == "" && reposCApps > 0 && !hasCApp(filepath.Join(m.t.Dir, "carbonapps")) {
		for _, d := range dels {
			if isTopCApp(d.path) {
				structural[d.path] = true
				reason = guard.ReasonEmptied
			}
		}
	}
	var held, others []string
	for _, d := range dels {
		if structural[d.path] {
			held = append(held, filesOf[d.path]...)
		} else {
			others = append(others, filesOf[d.path]...)
		}
	}
	// The other deletions go along with the rest of the pass, unless they
	// are too many on their own: then the whole lot is held.
	holdAll := reason == "" || m.env.Deletions.Exceeded(len(others), total)
	deleted := held
	if holdAll {
		deleted = append(held, others...)
	}
	if m.env.Deletions.Check(guard.Pass{Scope: m.scope(), Deleted: deleted, Total: total, Reason: reason}) {
		// On their way to the repository: a deletion found later is new,
		// and waits for its own window.
		m.del.settling = nil
		return ready, false, nil
	}
	kept = ready[:0:0]
	for _, c := range ready {
		if c.op != '-' || !holdAll && !structural[c.path] {
			kept = append(kept, c)
		}
	}
	if !holdAll {
		// Only the held folders stay remembered: the others' deletions
		// are on their way, as above.
		heldIn := map[string]bool{}
		for p := range structural {
			top, _, _ := strings.Cut(p, "/")
			heldIn[top] = true
		}
		for name := range m.del.settling {
			if !heldIn[name] {
				delete(m.del.settling, name)
			}
		}
	}
	return kept, false, nil
}

// longWait is how long deletions wait before the manager warns that they
// keep coming.
const longWait = time.Minute

// deletedByFolder counts, per top-level folder (or top-level file), the
// versioned items svn status found missing or deleted. A folder whose
// own deletion is among dels is gone whole: no deletion can come in it any
// more. (Taken from dels, the look the pass commits, rather than from
// entries, a later look: the folder may have gone in between, and its
// deletion must then be judged as the folder's.)
func (m *Manager) deletedByFolder(entries []svn.StatusEntry, dels []candidate) map[string]settling.Look {
	looks := map[string]settling.Look{}
	for _, e := range entries {
		if e.Path == "." || e.Path == "" || (e.Item != "missing" && e.Item != "deleted") || m.env.Files.Ignored(e.Path) {
			continue
		}
		top, _, _ := strings.Cut(e.Path, "/")
		l := looks[top]
		l.Count++
		looks[top] = l
	}
	for _, d := range dels {
		top, _, _ := strings.Cut(d.path, "/")
		l := looks[top]
		if l.Count == 0 {
			l.Count = 1 // a deletion svn lists no more: it counts all the same
		}
		l.Complete = l.Complete || (d.dir && d.path == top)
		looks[top] = l
	}
	return looks
}

// isTopCApp reports whether p is a C-App Carbon deploys: a .car right in
// carbonapps.
func isTopCApp(p string) bool {
	name, ok := strings.CutPrefix(p, "carbonapps/")
	return ok && !strings.Contains(name, "/") && carbonapp.IsCApp(name)
}

// hasCApp reports whether dir holds at least one C-App Carbon deploys.
func hasCApp(dir string) bool {
	entries, err := os.ReadDir(dir)
	if err != nil {
		return false
	}
	for _, e := range entries {
		if !e.IsDir() && carbonapp.IsCApp(e.Name()) {
			return true
		}
	}
	return false
}
