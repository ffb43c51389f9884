package publish

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"

	"github.com/depsync/depsync/carbonapp"
	"github.com/depsync/depsync/deploy/cappname"
	"github.com/depsync/depsync/internal/atomicfile"
	"github.com/depsync/depsync/svn"
)

// What Restore did to one C-App.
const (
	// ActionRestored: the file is back to the bytes it held at the
	// revision.
	ActionRestored = "restored"
	// ActionRemoved: the file did not exist at the revision and is gone.
	ActionRemoved = "removed"
	// ActionUnchanged: the file already is what it was at the revision
	// (or was absent then and is absent now).
	ActionUnchanged = "unchanged"
)

// Restored is what Restore did to one C-App.
type Restored struct {
	File string
	// Action is ActionRestored, ActionRemoved or ActionUnchanged.
	Action string
	// ID and SHA256 are those of the bytes restored; for a removed file,
	// the id of the bytes removed.
	ID     string
	SHA256 string
}

// Restore makes each file of Folder(o.URL) what it was at revision rev
// (its bytes then, or no file when it did not exist then) with one commit,
// so that the history shows both the change and its undoing, and returns
// that revision (0 when nothing had to change). Only the files named are
// touched. It changes nothing when one of them cannot be read at rev or
// its bytes then are not a valid C-App. why goes into the commit message.
func Restore(ctx context.Context, o Options, files []string, rev int64, why string) (int64, []Restored, error) {
	for _, f := range files {
		if !cappname.Valid(f) {
			return 0, nil, fmt.Errorf("%s: %w", f, cappname.ErrBad)
		}
	}
	tmp, err := os.MkdirTemp(o.TempDir, "depsync-restore-")
	if err != nil {
		return 0, nil, fmt.Errorf("temporary checkout: %w", err)
	}
	defer os.RemoveAll(tmp)
	so := o.SVN
	so.ConfigDir, so.StateDir = filepath.Join(tmp, svn.ConfigDirName), ""
	c, err := svn.New(so)
	if err != nil {
		return 0, nil, err
	}
	folder := Folder(o.URL)
	wc := filepath.Join(tmp, "carbonapps")
	if _, err := c.Checkout(ctx, folder, wc, false); err != nil {
		return 0, nil, fmt.Errorf("checkout of %s: %w", folder, err)
	}
	out := make([]Restored, len(files))
	var paths, summary []string
	for i, f := range files {
		r := &out[i]
		r.File = f
		dst := filepath.Join(wc, f)
		cur, curErr := os.ReadFile(dst)
		if curErr != nil && !errors.Is(curErr, os.ErrNotExist) {
			return 0, nil, fmt.Errorf("temporary checkout: %w", curErr)
		}
		then, err := c.CatAt(ctx, folder+"/"+f, rev)
		switch {
		case errors.Is(err, svn.ErrNotFound):
			r.Action = ActionUnchanged
			if curErr == nil {
				if app, perr := carbonapp.Parse(bytes.NewReader(cur), int64(len(cur)), f); perr == nil {
					r.ID = app.ID
				}
				if err := os.Remove(dst); err != nil {
					return 0, nil, fmt.Errorf("temporary checkout: %w", err)
				}
				r.Action = ActionRemoved
				paths = append(paths, f)
				summary = append(summary, "remove "+f)
			}
			continue
		case err != nil:
			return 0, nil, fmt.Errorf("%s at r%d: %w", f, rev, err)
		}
		app, err := carbonapp.Parse(bytes.NewReader(then), int64(len(then)), f)
		if err != nil {
			return 0, nil, fmt.Errorf("%s at r%d is not a valid C-App: %w", f, rev, err)
		}
		sum := sha256.Sum256(then)
		r.ID, r.SHA256, r.Action = app.ID, hex.EncodeToString(sum[:]), ActionUnchanged
		if curErr == nil && bytes.Equal(cur, then) {
			continue
		}
		if err := atomicfile.WriteFile(dst, then, 0o666); err != nil {
			return 0, nil, fmt.Errorf("write %s into the temporary checkout: %w", f, err)
		}
		r.Action = ActionRestored
		paths = append(paths, f)
		summary = append(summary, fmt.Sprintf("%s as of r%d (%s, sha256 %s)", f, rev, app.ID, r.SHA256[:16]))
	}
	if len(paths) == 0 {
		return 0, out, nil
	}
	if err := mayRemove(o, wc, out); err != nil {
		return 0, nil, err
	}
	origin := o.Origin
	if origin == "" {
		origin, _ = os.Hostname() // only a word in the commit message
	}
	msg := fmt.Sprintf("depsync %s from %s: %s", why, origin, strings.Join(summary, ", "))
	committed, err := c.Commit(ctx, wc, msg, paths...)
	if err != nil {
		return 0, nil, fmt.Errorf("commit: %w", err)
	}
	return committed, out, nil
}

// mayRemove puts the removals of out, if any, to o.MayRemove.
func mayRemove(o Options, wc string, out []Restored) error {
	var removed []string
	for _, r := range out {
		if r.Action == ActionRemoved {
			removed = append(removed, r.File)
		}
	}
	if len(removed) == 0 || o.MayRemove == nil {
		return nil
	}
	held, err := held(wc)
	if err != nil {
		return err
	}
	return o.MayRemove(removed, len(held)+len(removed))
}
