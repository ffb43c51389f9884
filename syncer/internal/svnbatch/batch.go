// Package svnbatch batches the svn calls of many tenants behind the SVN
// interface they are made on. Each tenant's loop calls svn as if it were
// alone; Wrap lets the calls that meet go in one svn process (one status,
// one update, one commit of many working copies: svn takes targets in
// several working copies of one repository, and commits them in one
// revision). A call that meets no other runs at once, as before: a lone
// change waits for nothing. A batch that fails as a whole is run again one
// call at a time, so that each tenant sees its own result and error.
//
// It also bounds the daemon's svn processes (svnProcs), which is what lets
// a hundred tenants start together without a hundred svn processes
// fighting for the CPU and the server.
package svnbatch

import (
	"context"
	"fmt"
	"path/filepath"
	"slices"

	"github.com/depsync/depsync/svn"
)

// svnProcs is the most svn processes a daemon runs at once.
const svnProcs = 4

// maxBatch is the most calls one svn run takes.
const maxBatch = 256

// MaxCommit is the most paths one commit takes, a tenant's own or a
// batch's: each stays well within the svn timeout (and Apache's default
// request body limit).
const MaxCommit = 2000

// manySVN is what batching needs of the client on top of SVN.
type manySVN interface {
	InfoMany(ctx context.Context, targets []string) ([]*svn.Info, []error)
	MkdirMany(ctx context.Context, urls []string, parents bool, message string) error
	CheckoutMany(ctx context.Context, urls []string, parent string, force bool) ([]int64, error)
}

var _ manySVN = (*svn.Client)(nil)

// batchSVN is an SVN whose calls from many tenants go in batches.
type batchSVN struct {
	c     SVN
	many  manySVN
	slots chan struct{}

	info     *coalescer[bool, string, *svn.Info] // key: the target is a URL
	mkdir    *coalescer[bool, mkdirReq, struct{}]
	checkout *coalescer[checkoutKey, checkoutReq, int64]
	status   *coalescer[svn.StatusOptions, wcReq, []svn.StatusEntry]
	update   *coalescer[svn.UpdateOptions, string, *svn.UpdateResult]
	commit   *coalescer[struct{}, wcReq, int64]
	folders  *coalescer[string, string, bool] // key: the parent URL; request: a name
}

type mkdirReq struct{ url, message string }

type checkoutKey struct {
	parent string
	force  bool
}

type checkoutReq struct{ url, dir string }

// wcReq is a call on one working copy: its directory, the paths in it and
// (commit) the log message and the paths it may delete.
type wcReq struct {
	dir       string
	paths     []string
	message   string
	deletable []string
}

// Wrap wraps c when it can batch (the svn client can; tests' fakes
// cannot, and are used as they are).
func Wrap(c SVN) SVN {
	many, ok := c.(manySVN)
	if !ok {
		return c
	}
	b := &batchSVN{c: c, many: many, slots: make(chan struct{}, svnProcs)}
	b.info = newCoalescer(b.slots, maxBatch,
		func(ctx context.Context, _ bool, t string) (*svn.Info, error) { return c.Info(ctx, t) },
		func(ctx context.Context, _ bool, ts []string) ([]*svn.Info, []error, error) {
			infos, errs := many.InfoMany(ctx, ts)
			return infos, errs, nil
		})
	b.mkdir = newCoalescer(b.slots, maxBatch,
		func(ctx context.Context, parents bool, r mkdirReq) (struct{}, error) {
			return struct{}{}, c.Mkdir(ctx, r.url, parents, r.message)
		},
		b.mkdirMany)
	b.checkout = newCoalescer(b.slots, maxBatch,
		func(ctx context.Context, k checkoutKey, r checkoutReq) (int64, error) {
			return c.Checkout(ctx, r.url, r.dir, k.force)
		},
		b.checkoutMany)
	b.status = newCoalescer(b.slots, maxBatch,
		func(ctx context.Context, o svn.StatusOptions, r wcReq) ([]svn.StatusEntry, error) {
			return c.StatusWith(ctx, r.dir, o, r.paths...)
		},
		b.statusMany)
	b.update = newCoalescer(b.slots, maxBatch,
		func(ctx context.Context, o svn.UpdateOptions, dir string) (*svn.UpdateResult, error) {
			return c.UpdateWith(ctx, dir, o)
		},
		b.updateMany)
	b.commit = newCoalescer(b.slots, maxBatch,
		func(ctx context.Context, _ struct{}, r wcReq) (int64, error) {
			return c.CommitWith(ctx, r.dir, r.message, svn.CommitOptions{Deletable: r.deletable}, r.paths...)
		},
		b.commitMany)
	b.folders = newCoalescer(b.slots, maxBatch,
		func(ctx context.Context, parent, name string) (bool, error) {
			names, err := c.ListDirs(ctx, parent)
			return slices.Contains(names, name), err
		},
		func(ctx context.Context, parent string, reqs []string) ([]bool, []error, error) {
			names, err := c.ListDirs(ctx, parent)
			if err != nil {
				return nil, nil, err
			}
			out := make([]bool, len(reqs))
			for i, name := range reqs {
				out[i] = slices.Contains(names, name)
			}
			return out, make([]error, len(reqs)), nil
		})
	return b
}

// HasFolder reports whether url is a folder of the repository: the
// questions of many tenants about their folders cost one svn list of the
// folder holding them, not one svn info each.
func (b *batchSVN) HasFolder(ctx context.Context, u string) (bool, error) {
	parent, name, err := svn.SplitURL(u)
	if err != nil {
		return false, err
	}
	return b.folders.do(ctx, parent, name)
}

// slot runs fn as one svn process of the daemon's few.
func (b *batchSVN) slot(ctx context.Context, fn func() error) error {
	select {
	case b.slots <- struct{}{}:
	case <-ctx.Done():
		return ctx.Err()
	}
	defer func() { <-b.slots }()
	return fn()
}

// CheckVersion is the client's.
func (b *batchSVN) CheckVersion(ctx context.Context) error {
	return b.slot(ctx, func() error { return b.c.CheckVersion(ctx) })
}

// Info batches the look at many tenants' folders or working copies.
func (b *batchSVN) Info(ctx context.Context, pathOrURL string) (*svn.Info, error) {
	return b.info.do(ctx, svn.IsURL(pathOrURL), pathOrURL)
}

// Mkdir batches the creation of many tenants' folders into one commit.
func (b *batchSVN) Mkdir(ctx context.Context, url string, parents bool, message string) error {
	_, err := b.mkdir.do(ctx, parents, mkdirReq{url: url, message: message})
	return err
}

// Checkout batches the checkouts of folders into sibling directories named
// like them (tenants' repository/tenants/<id>).
func (b *batchSVN) Checkout(ctx context.Context, url, dir string, force bool) (int64, error) {
	abs, err := filepath.Abs(dir)
	if err != nil || !sameBase(url, abs) || svn.IsWorkingCopy(abs) {
		var rev int64
		err := b.slot(ctx, func() (err error) { rev, err = b.c.Checkout(ctx, url, dir, force); return err })
		return rev, err
	}
	return b.checkout.do(ctx, checkoutKey{parent: filepath.Dir(abs), force: force}, checkoutReq{url: url, dir: abs})
}

// UpdateWith batches updates of whole working copies.
func (b *batchSVN) UpdateWith(ctx context.Context, dir string, opts svn.UpdateOptions, paths ...string) (*svn.UpdateResult, error) {
	abs, err := filepath.Abs(dir)
	if err != nil || len(paths) > 0 || opts.Accept != "" {
		// Paths, or a catch-up that resolves conflicts (the manager's):
		// alone, so that what it restored is reported even when it fails.
		var res *svn.UpdateResult
		err := b.slot(ctx, func() (err error) { res, err = b.c.UpdateWith(ctx, dir, opts, paths...); return err })
		return res, err
	}
	return b.update.do(ctx, opts, abs)
}

// StatusWith batches the looks at many working copies.
func (b *batchSVN) StatusWith(ctx context.Context, dir string, opts svn.StatusOptions, paths ...string) ([]svn.StatusEntry, error) {
	abs, err := filepath.Abs(dir)
	if err != nil {
		return b.c.StatusWith(ctx, dir, opts, paths...)
	}
	return b.status.do(ctx, opts, wcReq{dir: abs, paths: paths})
}

// CommitWith batches the commits of many working copies into one revision.
func (b *batchSVN) CommitWith(ctx context.Context, dir, message string, opts svn.CommitOptions, paths ...string) (int64, error) {
	abs, err := filepath.Abs(dir)
	if err != nil || len(paths) == 0 || opts.Deletable == nil {
		// The whole working copy: svn adds what is below it only when it
		// is the one target, so it goes alone; so does a commit that may
		// delete whatever is missing, which must not widen another's.
		var rev int64
		err := b.slot(ctx, func() (err error) { rev, err = b.c.CommitWith(ctx, dir, message, opts, paths...); return err })
		return rev, err
	}
	return b.commit.do(ctx, struct{}{}, wcReq{dir: abs, paths: paths, message: message, deletable: opts.Deletable})
}

// Revert is the client's.
func (b *batchSVN) Revert(ctx context.Context, dir string, paths ...string) error {
	return b.slot(ctx, func() error { return b.c.Revert(ctx, dir, paths...) })
}

// Resolve is the client's.
func (b *batchSVN) Resolve(ctx context.Context, dir, accept string, paths ...string) error {
	return b.slot(ctx, func() error { return b.c.Resolve(ctx, dir, accept, paths...) })
}

// Cleanup is the client's.
func (b *batchSVN) Cleanup(ctx context.Context, dir string) error {
	return b.slot(ctx, func() error { return b.c.Cleanup(ctx, dir) })
}

// Log is the client's.
func (b *batchSVN) Log(ctx context.Context, url string, from, to int64) ([]svn.LogEntry, error) {
	var out []svn.LogEntry
	err := b.slot(ctx, func() (err error) { out, err = b.c.Log(ctx, url, from, to); return err })
	return out, err
}

// ListDirs is the client's.
func (b *batchSVN) ListDirs(ctx context.Context, url string) ([]string, error) {
	var out []string
	err := b.slot(ctx, func() (err error) { out, err = b.c.ListDirs(ctx, url); return err })
	return out, err
}

// ListFiles is the client's.
func (b *batchSVN) ListFiles(ctx context.Context, url string, max int) (int, []string, error) {
	var (
		n     int
		paths []string
	)
	err := b.slot(ctx, func() (err error) { n, paths, err = b.c.ListFiles(ctx, url, max); return err })
	return n, paths, err
}

// Relocate is the client's.
func (b *batchSVN) Relocate(ctx context.Context, dir, from, to string) error {
	return b.slot(ctx, func() error { return b.c.Relocate(ctx, dir, from, to) })
}

// Upgrade is the client's.
func (b *batchSVN) Upgrade(ctx context.Context, dir string) error {
	return b.slot(ctx, func() error { return b.c.Upgrade(ctx, dir) })
}

// DeleteURL is the client's.
func (b *batchSVN) DeleteURL(ctx context.Context, url, message string) error {
	return b.slot(ctx, func() error { return b.c.DeleteURL(ctx, url, message) })
}

func (b *batchSVN) mkdirMany(ctx context.Context, parents bool, reqs []mkdirReq) ([]struct{}, []error, error) {
	urls := make([]string, len(reqs))
	msgs := make([]string, len(reqs))
	for i, r := range reqs {
		urls[i], msgs[i] = r.url, r.message
	}
	if err := b.many.MkdirMany(ctx, urls, parents, joinMessages(msgs)); err != nil {
		return nil, nil, err
	}
	return make([]struct{}, len(reqs)), make([]error, len(reqs)), nil
}

func (b *batchSVN) checkoutMany(ctx context.Context, k checkoutKey, reqs []checkoutReq) ([]int64, []error, error) {
	urls := make([]string, len(reqs))
	seen := map[string]bool{}
	for i, r := range reqs {
		if seen[r.dir] {
			return nil, nil, errNotBatchable
		}
		seen[r.dir] = true
		urls[i] = r.url
	}
	revs, err := b.many.CheckoutMany(ctx, urls, k.parent, k.force)
	if err != nil {
		return nil, nil, err
	}
	return revs, make([]error, len(reqs)), nil
}

func (b *batchSVN) statusMany(ctx context.Context, o svn.StatusOptions, reqs []wcReq) ([][]svn.StatusEntry, []error, error) {
	dirs := make([]string, len(reqs))
	for i, r := range reqs {
		dirs[i] = r.dir
	}
	root, err := commonRoot(dirs)
	if err != nil {
		return nil, nil, err
	}
	entries, err := b.c.StatusWith(ctx, root, o, targets(root, reqs)...)
	if err != nil {
		return nil, nil, err
	}
	out := make([][]svn.StatusEntry, len(reqs))
	for _, e := range entries {
		i, rel, ok := owner(root, dirs, e.Path)
		if !ok {
			return nil, nil, fmt.Errorf("svn status printed %s, outside every working copy asked", e.Path)
		}
		e.Path = rel
		out[i] = append(out[i], e)
	}
	return out, make([]error, len(reqs)), nil
}

func (b *batchSVN) updateMany(ctx context.Context, o svn.UpdateOptions, dirs []string) ([]*svn.UpdateResult, []error, error) {
	root, err := commonRoot(dirs)
	if err != nil {
		return nil, nil, err
	}
	reqs := make([]wcReq, len(dirs))
	for i, d := range dirs {
		reqs[i] = wcReq{dir: d}
	}
	res, err := b.c.UpdateWith(ctx, root, o, targets(root, reqs)...)
	if err != nil {
		// svn may have updated some working copies before it failed: run
		// again alone, a tenant would not hear of what changed then (a
		// file taken over, a merge) and skip its look after. Each gets
		// the error instead and tries again, looking at its whole tree.
		errs := make([]error, len(dirs))
		for i := range errs {
			errs[i] = err
		}
		return make([]*svn.UpdateResult, len(dirs)), errs, nil
	}
	out := make([]*svn.UpdateResult, len(dirs))
	for i, d := range dirs {
		// svn takes HEAD for each target in turn: a commit made
		// meanwhile leaves them at different revisions.
		rel, _ := filepath.Rel(root, d)
		rev, ok := res.Targets[filepath.ToSlash(rel)]
		if !ok {
			return nil, nil, fmt.Errorf("svn update printed no revision for %s", d)
		}
		out[i] = &svn.UpdateResult{Revision: rev}
	}
	split := func(p string, add func(*svn.UpdateResult, string)) error {
		i, rel, ok := owner(root, dirs, p)
		if !ok {
			return fmt.Errorf("svn update printed %s, outside every working copy asked", p)
		}
		add(out[i], rel)
		return nil
	}
	for _, ch := range res.Changed {
		if err := split(ch.Path, func(r *svn.UpdateResult, rel string) { ch.Path = rel; r.Changed = append(r.Changed, ch) }); err != nil {
			return nil, nil, err
		}
	}
	for _, list := range []struct {
		from []string
		to   func(*svn.UpdateResult) *[]string
	}{
		{res.Conflicts, func(r *svn.UpdateResult) *[]string { return &r.Conflicts }},
		{res.Restored, func(r *svn.UpdateResult) *[]string { return &r.Restored }},
		{res.Skipped, func(r *svn.UpdateResult) *[]string { return &r.Skipped }},
	} {
		for _, p := range list.from {
			if err := split(p, func(r *svn.UpdateResult, rel string) { l := list.to(r); *l = append(*l, rel) }); err != nil {
				return nil, nil, err
			}
		}
	}
	return out, make([]error, len(dirs)), nil
}

func (b *batchSVN) commitMany(ctx context.Context, _ struct{}, reqs []wcReq) ([]int64, []error, error) {
	dirs := make([]string, len(reqs))
	for i, r := range reqs {
		dirs[i] = r.dir
	}
	root, err := commonRoot(dirs)
	if err != nil {
		return nil, nil, err
	}
	revs := make([]int64, len(reqs))
	errs := make([]error, len(reqs))
	// Commits of at most MaxCommit paths, like a tenant's own: each stays
	// well within the svn timeout.
	for start := 0; start < len(reqs); {
		end, n := start, 0
		for end < len(reqs) && (end == start || n+len(reqs[end].paths) <= MaxCommit) {
			n += len(reqs[end].paths)
			end++
		}
		group := reqs[start:end]
		msgs := make([]string, len(group))
		for i, r := range group {
			msgs[i] = r.message
		}
		deletable := []string{}
		for _, r := range group {
			rel, _ := filepath.Rel(root, r.dir)
			for _, p := range r.deletable {
				deletable = append(deletable, filepath.ToSlash(inRoot(root, rel, p)))
			}
		}
		rev, err := b.c.CommitWith(ctx, root, joinMessages(msgs), svn.CommitOptions{Deletable: deletable}, targets(root, group)...)
		for i, r := range group {
			if err != nil {
				// Each alone, for its own result and error.
				revs[start+i], errs[start+i] = b.c.CommitWith(ctx, r.dir, r.message, svn.CommitOptions{Deletable: r.deletable}, r.paths...)
				continue
			}
			revs[start+i] = rev
		}
		start = end
	}
	return revs, errs, nil
}
