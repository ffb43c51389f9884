// Package publish commits C-Apps into a tenant's carbonapps folder in SVN:
// the SVN way of `depsync capp push`, callable without the command line.
//
// It works through a temporary checkout of that one folder (no Carbon home
// needed, so it runs on a CI runner), refuses a C-App whose id another file
// already holds unless told to replace that file, and commits every change
// in one revision. The manager and the workers pick the commit up as they
// would any other.
package publish

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"sort"
	"strings"

	"github.com/depsync/depsync/carbonapp"
	"github.com/depsync/depsync/deploy"
	"github.com/depsync/depsync/internal/atomicfile"
	"github.com/depsync/depsync/svn"
)

// StatusFailed is the Status of a C-App that was not published; the
// others are deploy.StatusCreated, StatusUpdated and StatusUnchanged.
const StatusFailed = "failed"

// CApp is a C-App to publish, already validated.
type CApp struct {
	// Path is the local file.
	Path string
	// File is its name in carbonapps; default the base name of Path.
	File string
	// App is the parsed C-App (its ID and SHA256 are used).
	App *carbonapp.App
}

// Options say where C-Apps are published and how.
type Options struct {
	// URL is the tenant's folder of the repository: svn.url, or
	// <svn.url>/-1234 with append_tenant_id. The C-Apps go into its
	// carbonapps sub-folder (see Folder), created when missing.
	URL string
	// SVN configures the svn client. ConfigDir and StateDir are ignored:
	// the client's config lives in the temporary directory, removed with
	// the checkout.
	SVN svn.Options
	// Replace removes, in the same commit, another file holding the id of
	// a C-App published (Carbon refuses two files with one id).
	Replace bool
	// TempDir is where the temporary checkout goes; default os.TempDir().
	TempDir string
	// Origin names who publishes, in the commit message; default the host
	// name.
	Origin string
	// MayRemove, when set, is asked before Restore commits the removal of
	// C-Apps (their file names, and how many C-Apps the folder holds): an
	// error commits nothing. The manager puts it to its deletion guard.
	MayRemove func(removed []string, total int) error
}

// Result is what became of one C-App.
type Result struct {
	File   string
	ID     string
	SHA256 string
	// Status is deploy.StatusCreated, StatusUpdated, StatusUnchanged or
	// StatusFailed (then Err says why).
	Status string
	Err    error
	// Revision is the revision committed, when the C-App was.
	Revision int64
}

// Folder returns the carbonapps folder of the tenant folder url, where SVN
// publishes C-Apps.
func Folder(url string) string { return url + "/carbonapps" }

// SVN publishes capps into Folder(o.URL) with one commit and returns one
// Result per C-App, in order. A C-App whose file already holds the same
// bytes is unchanged (nothing committed for it); one whose id another file
// holds fails with a *deploy.DuplicateIDError unless o.Replace. When the
// checkout or the commit fails, every C-App it concerns fails with that
// error.
func SVN(ctx context.Context, o Options, capps []CApp) []Result {
	capps = slices.Clone(capps)
	results := make([]Result, len(capps))
	for i := range capps {
		ca := &capps[i]
		if ca.File == "" {
			ca.File = filepath.Base(ca.Path)
		}
		results[i] = Result{File: ca.File, ID: ca.App.ID, SHA256: ca.App.SHA256}
	}
	fail := func(err error) []Result {
		for i := range results {
			results[i].Status, results[i].Err = StatusFailed, err
		}
		return results
	}
	tmp, err := os.MkdirTemp(o.TempDir, "depsync-push-")
	if err != nil {
		return fail(fmt.Errorf("temporary checkout: %w", err))
	}
	defer os.RemoveAll(tmp)
	so := o.SVN
	so.ConfigDir, so.StateDir = filepath.Join(tmp, svn.ConfigDirName), ""
	c, err := svn.New(so)
	if err != nil {
		return fail(err)
	}
	folder := Folder(o.URL)
	if err := c.Mkdir(ctx, folder, true, "depsync capp push: create carbonapps"); err != nil {
		return fail(err)
	}
	wc := filepath.Join(tmp, "carbonapps")
	if _, err := c.Checkout(ctx, folder, wc, false); err != nil {
		return fail(err)
	}
	existing, err := held(wc)
	if err != nil {
		return fail(err)
	}

	var paths, summary []string
	removed := map[string]bool{}
	for i, ca := range capps {
		r := &results[i]
		old, had := existing[ca.File]
		if had && old.SHA256 == ca.App.SHA256 {
			r.Status = deploy.StatusUnchanged
			continue
		}
		dups := duplicates(existing, removed, ca)
		if len(dups) > 0 && !o.Replace {
			r.Status, r.Err = StatusFailed, &deploy.DuplicateIDError{ID: ca.App.ID, File: ca.File, Other: dups[0]}
			continue
		}
		for _, d := range dups {
			if err := os.Remove(filepath.Join(wc, d)); err != nil {
				r.Status, r.Err = StatusFailed, err
				break
			}
			removed[d] = true
			paths = append(paths, d)
		}
		if r.Err != nil {
			continue
		}
		if err := copyAtomic(ca.Path, filepath.Join(wc, ca.File)); err != nil {
			r.Status, r.Err = StatusFailed, err
			continue
		}
		r.Status = deploy.StatusCreated
		if had {
			r.Status = deploy.StatusUpdated
		}
		paths = append(paths, ca.File)
		summary = append(summary, fmt.Sprintf("%s (%s, sha256 %s)", ca.File, ca.App.ID, ca.App.SHA256[:16]))
	}
	if len(paths) == 0 {
		return results
	}
	origin := o.Origin
	if origin == "" {
		origin, _ = os.Hostname() // only a word in the commit message
	}
	msg := fmt.Sprintf("depsync capp push from %s: %s", origin, strings.Join(summary, ", "))
	rev, err := c.Commit(ctx, wc, msg, paths...)
	for i := range results {
		r := &results[i]
		if r.Err != nil || r.Status == deploy.StatusUnchanged {
			continue
		}
		if err != nil {
			r.Status, r.Err = StatusFailed, err
		} else {
			r.Revision = rev
		}
	}
	return results
}

// held returns the valid C-Apps of the working copy wc by file name.
// Invalid ones are left alone: they hold no id Carbon would deploy.
func held(wc string) (map[string]*carbonapp.App, error) {
	ents, err := os.ReadDir(wc)
	if err != nil {
		return nil, fmt.Errorf("temporary checkout: %w", err)
	}
	out := map[string]*carbonapp.App{}
	for _, e := range ents {
		n := e.Name()
		if !carbonapp.IsCApp(n) || !e.Type().IsRegular() {
			continue
		}
		if app, err := carbonapp.ParseFile(filepath.Join(wc, n)); err == nil {
			out[n] = app
		}
	}
	return out, nil
}

// duplicates returns, sorted, the other files of existing (not yet
// removed) that hold ca's id.
func duplicates(existing map[string]*carbonapp.App, removed map[string]bool, ca CApp) []string {
	var dups []string
	for n, app := range existing {
		if n != ca.File && app.ID == ca.App.ID && !removed[n] {
			dups = append(dups, n)
		}
	}
	sort.Strings(dups)
	return dups
}

// copyAtomic copies src to dst atomically (package atomicfile): svn (and
// anyone else) sees the old file or the whole new one, never a part. A
// file dst that exists keeps its permissions, as it did when it was
// rewritten in place.
func copyAtomic(src, dst string) error {
	if err := atomicfile.Copy(src, dst, atomicfile.CopyOptions{Perm: 0o666}); err != nil {
		return fmt.Errorf("copy %s into the working copy: %w", filepath.Base(src), err)
	}
	return nil
}
