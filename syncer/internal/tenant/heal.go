package tenant

import (
	"context"
	"errors"
	"io/fs"
	"os"
	"path/filepath"
	"regexp"
	"strings"

	"github.com/depsync/depsync/svn"
)

// missingFileRE finds the file svn cleanup could not find: "Can't change
// perms of file '/wc/a.car': No such file or directory" and the like.
var missingFileRE = regexp.MustCompile(`'([^']+)': No such file or directory`)

// maxPlaceholders bounds the files heal puts back for one cleanup.
const maxPlaceholders = 64

// Heal makes a locked working copy usable again. svn cleanup finishes the
// work queue an interrupted svn left (kill -9 during a commit or an
// update); when an item of it is about a file that was deleted since (on a
// manager, the person deleted it; svn only wanted to set its permissions),
// cleanup fails on it for ever. heal puts an empty placeholder there, runs
// cleanup again, and removes the placeholders, so the file is missing
// again, as the person left it: a manager commits the deletion, a worker's
// update restores it. It reports whether the working copy is clean of
// locks now.
//
// A placeholder never stays in the live tree, where Carbon would take an
// empty App.car (or anything in carbonapps) for a broken C-App: each is
// written to a journal in state_dir before it is made, removed as soon as
// cleanup is done, and a placeholder a crash left behind is removed at the
// next heal or start (see RemoveStalePlaceholders).
func (wc *Files) Heal(ctx context.Context) bool {
	// svn cleanup cannot run while a folder holds a name that is not
	// UTF-8: it fails on it and (svn 1.14) leaves the working copy locked,
	// which no later cleanup undoes. svn status, which only reads, tells
	// first, so that a cleanup after a commit that failed for want of the
	// server does not wedge the tenant until the name is fixed.
	if _, err := wc.SVN.StatusWith(ctx, wc.Dir, svn.StatusOptions{}); err != nil {
		if d, ok := UnreadableDir(err, wc.Dir); ok {
			wc.Log.Warn("svn cleanup not run: a folder holds a name that is not UTF-8, on which it would fail and leave the working copy locked; rename it",
				"folder", d, "error", err)
			return false
		}
	}
	wc.RemoveStalePlaceholders()
	var placed []placeholder // files and directories created, in order
	defer func() { wc.removePlaceholders(placed) }()
	root := filepath.Clean(wc.Dir) + string(filepath.Separator)
	for range maxPlaceholders {
		err := wc.SVN.Cleanup(ctx, wc.Dir)
		if err == nil {
			if len(placed) > 0 {
				var names []string
				for _, pl := range placed {
					names = append(names, pl.path)
				}
				wc.Log.Warn("working copy cleaned up with placeholders for files deleted since svn was interrupted",
					"placeholders", JoinLimited(names, 5))
			}
			return true
		}
		m := missingFileRE.FindStringSubmatch(err.Error())
		if m == nil || !strings.HasPrefix(filepath.Clean(m[1]), root) {
			wc.Log.Warn("svn cleanup failed", "error", err)
			return false
		}
		p := filepath.Clean(m[1])
		var missingDirs []string
		for d := filepath.Dir(p); d+string(filepath.Separator) != root && strings.HasPrefix(d, root); d = filepath.Dir(d) {
			if _, err := os.Lstat(d); errors.Is(err, fs.ErrNotExist) {
				missingDirs = append([]string{d}, missingDirs...)
			}
		}
		for _, d := range missingDirs {
			if err := wc.journal(placeholder{path: d, dir: true}); err != nil {
				wc.Log.Warn("svn cleanup failed; cannot record a placeholder", "path", d, "error", err)
				return false
			}
			if err := os.Mkdir(d, 0o755); err != nil {
				wc.Log.Warn("svn cleanup failed; cannot put a placeholder back", "path", d, "error", err)
				return false
			}
			placed = append(placed, placeholder{path: d, dir: true})
		}
		if err := wc.journal(placeholder{path: p}); err != nil {
			wc.Log.Warn("svn cleanup failed; cannot record a placeholder", "path", p, "error", err)
			return false
		}
		f, err := os.OpenFile(p, os.O_CREATE|os.O_EXCL|os.O_WRONLY, 0o644)
		if err != nil {
			wc.Log.Warn("svn cleanup failed; cannot put a placeholder back", "path", p, "error", err)
			return false
		}
		_ = f.Close()
		placed = append(placed, placeholder{path: p})
	}
	return false
}
