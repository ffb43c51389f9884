package publish

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"os"
	"path"
	"path/filepath"

	"github.com/depsync/depsync/api"
	"github.com/depsync/depsync/carbonapp"
	"github.com/depsync/depsync/deploy/cappname"
	"github.com/depsync/depsync/svn"
)

// Change is one revision that changed one C-App (see api.CAppChange).
type Change = api.CAppChange

var actions = map[string]string{"A": "added", "M": "modified", "R": "replaced", "D": "deleted"}

// History returns, newest first, the last n changes (all with n <= 0) to
// the C-Apps of Folder(o.URL), or to file alone when it is not "", from
// svn log, with the digest of each version read back from the repository.
// A folder that does not exist yet has no history.
func History(ctx context.Context, o Options, file string, n int) ([]Change, error) {
	if file != "" && !cappname.Valid(file) {
		return nil, fmt.Errorf("%s: %w", file, cappname.ErrBad)
	}
	tmp, err := os.MkdirTemp(o.TempDir, "depsync-history-")
	if err != nil {
		return nil, err
	}
	defer os.RemoveAll(tmp)
	so := o.SVN
	so.ConfigDir, so.StateDir = filepath.Join(tmp, svn.ConfigDirName), ""
	c, err := svn.New(so)
	if err != nil {
		return nil, err
	}
	folder := Folder(o.URL)
	info, err := c.Info(ctx, folder)
	if errors.Is(err, svn.ErrNotFound) {
		return []Change{}, nil
	}
	if err != nil {
		return nil, fmt.Errorf("history of %s: %w", folder, err)
	}
	dir, ok := info.RepoPath()
	if !ok {
		return nil, fmt.Errorf("history of %s: svn does not say its path in the repository", folder)
	}
	entries, err := c.Log(ctx, folder, -1, 0)
	if err != nil {
		return nil, fmt.Errorf("history of %s: %w", folder, err)
	}
	out := []Change{}
	for _, e := range entries {
		for _, ch := range e.Changes {
			if path.Dir(ch.Path) != dir || !carbonapp.IsCApp(path.Base(ch.Path)) {
				continue
			}
			name := path.Base(ch.Path)
			if file != "" && name != file {
				continue
			}
			x := Change{File: name, Revision: e.Revision, Time: e.Date, Author: e.Author, Action: actions[ch.Action],
				Message: e.Message}
			if ch.Action != "D" {
				if b, err := c.CatAt(ctx, folder+"/"+name, e.Revision); err == nil {
					sum := sha256.Sum256(b)
					x.SHA256 = hex.EncodeToString(sum[:])
				}
			}
			out = append(out, x)
			if n > 0 && len(out) == n {
				return out, nil
			}
		}
	}
	return out, nil
}
