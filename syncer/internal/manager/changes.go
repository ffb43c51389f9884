package manager

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path"
	"path/filepath"
	"sort"
	"strings"

	"github.com/depsync/depsync/svn"
	"github.com/depsync/depsync/syncer/internal/gate"
	"github.com/depsync/depsync/syncer/internal/tenant"
)

// candidate is a changed path found by svn status.
type candidate struct {
	path string
	op   byte // '+' add, '~' modify, '-' delete
	dir  bool
	// unaddable: a new file in a new folder that holds a name svn cannot
	// read, so that svn cannot add it (see walkNew).
	unaddable bool
}

// changes runs svn status over the pending paths (with their parents, so
// that a file in a new directory is found through it) or the whole tree,
// and returns the changed paths, ignoring what sync.ignore and the defaults
// say, with new directories expanded into their files.
func (m *Manager) changes(ctx context.Context, pending map[string]struct{}, full bool) ([]candidate, []svn.StatusEntry, error) {
	var (
		entries []svn.StatusEntry
		odd     []string // names svn cannot take: rejected, never shown to svn
		err     error
	)
	if full {
		entries, odd, err = m.statusAround(ctx, svn.StatusOptions{}, []string{"."})
		if err == nil && len(odd) > 0 {
			// A folder svn cannot list was looked around, by the names on
			// disk: a file deleted there is in no listing. The paths the
			// watch reported (a deletion that waited to be judged among
			// them) are looked at one by one.
			more, kerr := m.statusKnown(ctx, pending)
			if kerr != nil {
				// A path neither on disk nor versioned fails the call:
				// the look goes on with what the whole tree showed.
				m.log.Debug("svn status of the paths the watch reported", "error", kerr)
			}
			entries = append(entries, more...)
		}
	} else {
		targets := map[string]struct{}{}
		for p := range pending {
			if gate.BadName(p) != "" {
				odd = append(odd, p) // its folder still is looked at
			} else {
				targets[p] = struct{}{}
			}
			if d := path.Dir(p); gate.BadName(d) == "" {
				targets[d] = struct{}{}
			}
		}
		list := make([]string, 0, len(targets))
		for p := range targets {
			list = append(list, p)
		}
		sort.Strings(list)
		var more []string
		entries, more, err = m.statusAround(ctx, svn.StatusOptions{Depth: "immediates"}, list)
		odd = append(odd, more...)
	}
	if err != nil {
		return nil, nil, fmt.Errorf("svn status: %w", err)
	}
	if !full {
		more, err := m.orphans(ctx, pending, entries)
		if err != nil {
			return nil, nil, err
		}
		entries = append(entries, more...)
	}

	seen := map[string]bool{}
	var cands []candidate
	var conflicted []svn.StatusEntry
	add := func(c candidate) {
		if !seen[c.path] {
			seen[c.path] = true
			cands = append(cands, c)
		}
	}
	for _, p := range odd {
		if _, err := os.Lstat(filepath.Join(m.t.Dir, filepath.FromSlash(p))); err == nil && !m.env.Files.Ignored(p) {
			add(candidate{path: p, op: '+'}) // for the gate to reject
		}
	}
	for _, e := range entries {
		if e.Path == "." || e.Path == "" || m.env.Files.Ignored(e.Path) {
			continue
		}
		if e.Conflicted() {
			conflicted = append(conflicted, e)
		}
		dir := e.Kind == "dir"
		switch e.Item {
		case "unversioned":
			if !dir {
				add(candidate{path: e.Path, op: '+'})
				continue
			}
			found, err := m.walkNew(e.Path)
			if err != nil {
				return nil, nil, err
			}
			for _, c := range found {
				add(c)
			}
		case "added":
			add(candidate{path: e.Path, op: '+', dir: dir})
		case "modified", "replaced", "conflicted", "obstructed":
			add(candidate{path: e.Path, op: '~', dir: dir})
		case "missing", "deleted":
			add(candidate{path: e.Path, op: '-', dir: dir})
		default:
			if e.TreeConflict {
				add(candidate{path: e.Path, op: '~', dir: dir})
			}
		}
	}
	// A deleted directory takes its contents with it.
	sort.Slice(cands, func(i, j int) bool { return cands[i].path < cands[j].path })
	out := cands[:0]
	var gone string
	for _, c := range cands {
		if gone != "" && strings.HasPrefix(c.path, gone+"/") {
			continue
		}
		gone = ""
		if c.op == '-' {
			gone = c.path
		}
		out = append(out, c)
	}
	return out, conflicted, nil
}

// orphans finds the new directories that pending files on disk are in
// when svn status said nothing about them or their parents: a file below a
// directory that is itself inside a new (unversioned) directory, left
// pending from an earlier pass. svn reports nothing below an unversioned
// directory, so each ancestor is asked about with --depth empty; a clean
// versioned file costs one cheap extra status.
func (m *Manager) orphans(ctx context.Context, pending map[string]struct{}, entries []svn.StatusEntry) ([]svn.StatusEntry, error) {
	covered := func(p string) bool {
		for _, e := range entries {
			if e.Path == p || strings.HasPrefix(p, e.Path+"/") {
				return true
			}
		}
		return false
	}
	targets := map[string]bool{}
	for p := range pending {
		if covered(p) || m.env.Files.Ignored(p) || gate.BadName(p) != "" {
			continue
		}
		if _, err := os.Lstat(filepath.Join(m.t.Dir, filepath.FromSlash(p))); err != nil {
			continue // gone, and never versioned, or svn would have said so
		}
		for d := path.Dir(p); d != "." && d != "/"; d = path.Dir(d) {
			targets[d] = true
		}
	}
	if len(targets) == 0 {
		return nil, nil
	}
	list := make([]string, 0, len(targets))
	for d := range targets {
		list = append(list, d)
	}
	sort.Strings(list)
	more, _, err := m.statusAround(ctx, svn.StatusOptions{Depth: "empty"}, list)
	if err != nil {
		return nil, fmt.Errorf("svn status: %w", err)
	}
	// Only the topmost new directory matters: walking it finds the rest.
	var out []svn.StatusEntry
	for _, e := range more {
		if e.Item != "unversioned" {
			continue
		}
		top := true
		for _, o := range more {
			if o.Item == "unversioned" && strings.HasPrefix(e.Path, o.Path+"/") {
				top = false
				break
			}
		}
		if top {
			out = append(out, e)
		}
	}
	return out, nil
}

// walkNew lists what a new directory holds: its files and its empty
// directories, leaving out ignored names (svn add of the directory itself
// would add those too).
func (m *Manager) walkNew(rel string) ([]candidate, error) {
	root := filepath.Join(m.t.Dir, filepath.FromSlash(rel))
	var out []candidate
	unreadable := map[string]bool{} // folders holding a name svn cannot read
	err := filepath.WalkDir(root, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			if errors.Is(err, fs.ErrNotExist) {
				return nil // vanished while walking: its event follows
			}
			return err
		}
		if p != root && m.env.Config.Ignored(d.Name()) {
			if d.IsDir() {
				return filepath.SkipDir
			}
			return nil
		}
		r, err := filepath.Rel(m.t.Dir, p)
		if err != nil {
			return err
		}
		r = filepath.ToSlash(r)
		if gate.BadName(d.Name()) != "" {
			unreadable[path.Dir(r)] = true
		}
		if !d.IsDir() {
			out = append(out, candidate{path: r, op: '+'})
			return nil
		}
		entries, err := os.ReadDir(p)
		if err == nil && len(entries) == 0 {
			out = append(out, candidate{path: r, op: '+', dir: true})
		}
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("walk %s: %w", root, err)
	}
	// svn cannot add anything to a new folder whose names it cannot read:
	// its files are rejected with the odd name, not tried commit after
	// commit.
	for i, c := range out {
		if unreadable[path.Dir(c.path)] {
			out[i].unaddable = true
		}
	}
	return out, nil
}

// maxUnreadable bounds the folders one status looks around.
const maxUnreadable = 16

// statusKnown is the status of each path of pending that svn can take
// (none when they are too many for one call). It fails when one of them is
// neither on disk nor versioned.
func (m *Manager) statusKnown(ctx context.Context, pending map[string]struct{}) ([]svn.StatusEntry, error) {
	if len(pending) == 0 || len(pending) > maxTargets {
		return nil, nil
	}
	list := make([]string, 0, len(pending))
	for p := range pending {
		if gate.BadName(p) == "" {
			list = append(list, p)
		}
	}
	sort.Strings(list)
	entries, _, err := m.statusAround(ctx, svn.StatusOptions{Depth: "empty"}, list)
	return entries, err
}

// statusAround runs svn status over targets (slash, relative; "." the whole
// tree). A folder whose names svn cannot read (one of them is not UTF-8:
// E000022, which fails every status that reads the folder) is looked
// around (see around), and the names there that svn cannot take are
// returned, to be rejected: one such name does not stop the look at
// everything else.
func (m *Manager) statusAround(ctx context.Context, opts svn.StatusOptions, targets []string) ([]svn.StatusEntry, []string, error) {
	bad := map[string]bool{}
	list := targets
	var odd []string
	for {
		var paths []string
		if len(list) != 1 || list[0] != "." {
			paths = make([]string, len(list))
			for i, p := range list {
				paths[i] = filepath.FromSlash(p)
			}
		}
		entries, err := m.svn.StatusWith(ctx, m.t.Dir, opts, paths...)
		d, ok := tenant.UnreadableDir(err, m.t.Dir)
		if !ok || bad[d] || len(bad) >= maxUnreadable {
			return entries, odd, err
		}
		m.log.Debug("svn cannot read the names of a folder; looking around it", "folder", d, "error", err)
		bad[d] = true
		infinity := opts.Depth == "" || opts.Depth == "infinity"
		if list, odd, err = around(targets, bad, infinity, listNames(m.t.Dir, m.env.Config.Ignored)); err != nil {
			return nil, nil, err
		}
		if len(list) == 0 {
			return nil, odd, nil
		}
	}
}
