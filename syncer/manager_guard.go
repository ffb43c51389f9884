package syncer

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strconv"
	"strings"

	"github.com/depsync/depsync/internal/guard"
	"github.com/depsync/depsync/svn"
)

// errDirMissing says the deployment directory is gone: the manager waits
// for it and never commits its loss or makes it anew, empty.
var errDirMissing = errors.New("deployment directory missing")

// checkDir fails with errDirMissing when the deployment directory is not
// there (an unmounted volume, a restore that moved it aside).
func (m *manager) checkDir() error {
	fi, err := os.Stat(m.t.Dir)
	switch {
	case errors.Is(err, fs.ErrNotExist):
		return fmt.Errorf("%w: %s is not there; waiting for it (a manager never commits its loss nor creates it empty)",
			errDirMissing, m.t.Dir)
	case err != nil:
		return fmt.Errorf("deployment directory: %w", err)
	case !fi.IsDir():
		return &ConfigError{Err: fmt.Errorf("deployment directory %s is not a directory", m.t.Dir)}
	}
	return nil
}

// scope names the manager's deletions in the guard.
func (m *manager) scope() string { return "tenant " + strconv.Itoa(m.t.ID) }

// holding reports whether the guard holds deletions of this tenant: every
// pass then looks at the whole tree, so that the hold clears only when
// the files are really back.
func (m *manager) holding() bool {
	for _, h := range m.d.deletions.Holds() {
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
func (m *manager) guardDeletions(ctx context.Context, ready []candidate, full bool) ([]candidate, error) {
	var dels []candidate
	for _, c := range ready {
		if c.op == '-' {
			dels = append(dels, c)
		}
	}
	if len(dels) == 0 {
		if full {
			m.d.deletions.Check(guard.Pass{Scope: m.scope()})
		}
		return ready, nil
	}
	// Every versioned item, missing ones included, with its kind: the
	// base of the share and the files below a deleted directory.
	entries, _, err := m.statusAround(ctx, svn.StatusOptions{Verbose: true}, []string{"."})
	if err != nil {
		return nil, fmt.Errorf("svn status: %w", err)
	}
	var (
		total, reposCApps int
		reason            string
	)
	under := func(p, dir string) bool { return p == dir || strings.HasPrefix(p, dir+"/") }
	filesOf := map[string][]string{} // deletion candidate -> versioned files it deletes
	for _, e := range entries {
		if e.Path == "." || e.Path == "" || e.Kind == "dir" || e.Item == "unversioned" || e.Item == "added" ||
			e.Item == "ignored" || m.ignoredPath(e.Path) {
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
	holdAll := reason == "" || m.d.deletions.Exceeded(len(others), total)
	deleted := held
	if holdAll {
		deleted = append(held, others...)
	}
	if m.d.deletions.Check(guard.Pass{Scope: m.scope(), Deleted: deleted, Total: total, Reason: reason}) {
		return ready, nil
	}
	kept := ready[:0:0]
	for _, c := range ready {
		if c.op != '-' || !holdAll && !structural[c.path] {
			kept = append(kept, c)
		}
	}
	return kept, nil
}

// isTopCApp reports whether p is a C-App Carbon deploys: a .car right in
// carbonapps.
func isTopCApp(p string) bool {
	name, ok := strings.CutPrefix(p, "carbonapps/")
	return ok && !strings.Contains(name, "/") && isCApp(name)
}

// hasCApp reports whether dir holds at least one .car.
func hasCApp(dir string) bool {
	entries, err := os.ReadDir(dir)
	if err != nil {
		return false
	}
	for _, e := range entries {
		if !e.IsDir() && isCApp(e.Name()) && !strings.HasPrefix(e.Name(), ".") {
			return true
		}
	}
	return false
}

// heldForNotices is how many deletions this manager holds, or -1 while
// it cannot tell yet (see holdsKnown).
func (d *Daemon) heldForNotices() int {
	if !d.holdsKnown(nil) {
		return -1
	}
	return len(d.deletions.Holds())
}

// holdsKnown reports whether the tenants (only, or every one) of this
// manager have been looked at whole since the daemon started: until then
// its held deletions are not known (a carbonapps moved away while it was
// down is not held yet), and a worker must not take what it lacks as a
// word on what should go. A worker asks about its own tenant
// (/v1/status?tenant=<id>), so one tenant that cannot start leaves the
// others' answers alone.
func (d *Daemon) holdsKnown(only *tenantSync) bool {
	if only != nil {
		return only.looked.Load()
	}
	for _, t := range d.tenantList() {
		if !t.looked.Load() {
			return false
		}
	}
	return true
}
