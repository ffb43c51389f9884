package failover

import (
	"context"

	"github.com/depsync/depsync/svn"
)

// The SVN methods: a URL below svn.url goes to the server in use; a call on
// a working copy that talks to the server first moves it there; a call that
// stays on the disk (status, revert, resolve, cleanup, upgrade) goes as it
// is and is not counted.

// CheckVersion is the client's.
func (s *SVN) CheckVersion(ctx context.Context) error { return s.inner.CheckVersion(ctx) }

// Info of a URL asks the server in use; Info of a working copy (svn's
// answer from the disk) says its URL below svn.url wherever it is.
func (s *SVN) Info(ctx context.Context, pathOrURL string) (*svn.Info, error) {
	if !svn.IsURL(pathOrURL) {
		info, err := s.inner.Info(ctx, pathOrURL)
		if err != nil {
			return nil, err
		}
		where, _, _ := s.urls.of(info.URL)
		s.placed(pathOrURL, where)
		s.learn(info.RepoUUID, info.Revision)
		return s.asConfigured(info), nil
	}
	return call(s, ctx, "", true, func(at int) (*svn.Info, error) {
		info, err := s.inner.Info(ctx, s.urls.rewrite(pathOrURL, at))
		if err != nil {
			return nil, err
		}
		s.learn(info.RepoUUID, info.Revision)
		return s.asConfigured(info), nil
	})
}

// asConfigured is info with its URL spelled below svn.url.
func (s *SVN) asConfigured(info *svn.Info) *svn.Info {
	if at, _, ok := s.urls.of(info.URL); ok && at != 0 {
		c := *info
		c.URL = s.urls.rewrite(info.URL, 0)
		return &c
	}
	return info
}

// Mkdir is made on the server in use.
func (s *SVN) Mkdir(ctx context.Context, url string, parents bool, message string) error {
	_, err := call(s, ctx, "", false, func(at int) (struct{}, error) {
		return struct{}{}, s.inner.Mkdir(ctx, s.urls.rewrite(url, at), parents, message)
	})
	return err
}

// Checkout checks out from the server in use.
func (s *SVN) Checkout(ctx context.Context, url, dir string, force bool) (int64, error) {
	return call(s, ctx, "", false, func(at int) (int64, error) {
		rev, err := s.inner.Checkout(ctx, s.urls.rewrite(url, at), dir, force)
		if err != nil {
			s.placed(dir, -1) // it may be a working copy now, or not
			return rev, err
		}
		s.placed(dir, at)
		return rev, nil
	})
}

// UpdateWith updates from the server in use.
func (s *SVN) UpdateWith(ctx context.Context, dir string, opts svn.UpdateOptions, paths ...string) (*svn.UpdateResult, error) {
	return call(s, ctx, dir, true, func(int) (*svn.UpdateResult, error) {
		return s.inner.UpdateWith(ctx, dir, opts, paths...)
	})
}

// StatusWith is the client's: svn status reads the disk.
func (s *SVN) StatusWith(ctx context.Context, dir string, opts svn.StatusOptions, paths ...string) ([]svn.StatusEntry, error) {
	return s.inner.StatusWith(ctx, dir, opts, paths...)
}

// CommitWith commits to the server in use.
func (s *SVN) CommitWith(ctx context.Context, dir, message string, opts svn.CommitOptions, paths ...string) (int64, error) {
	return call(s, ctx, dir, false, func(int) (int64, error) {
		return s.inner.CommitWith(ctx, dir, message, opts, paths...)
	})
}

// Revert is the client's.
func (s *SVN) Revert(ctx context.Context, dir string, paths ...string) error {
	return s.inner.Revert(ctx, dir, paths...)
}

// Resolve is the client's.
func (s *SVN) Resolve(ctx context.Context, dir, accept string, paths ...string) error {
	return s.inner.Resolve(ctx, dir, accept, paths...)
}

// Cleanup is the client's.
func (s *SVN) Cleanup(ctx context.Context, dir string) error { return s.inner.Cleanup(ctx, dir) }

// Relocate is the client's: the wrapper relocates working copies itself.
func (s *SVN) Relocate(ctx context.Context, dir, from, to string) error {
	return s.inner.Relocate(ctx, dir, from, to)
}

// Upgrade is the client's.
func (s *SVN) Upgrade(ctx context.Context, dir string) error { return s.inner.Upgrade(ctx, dir) }

// Log asks the server in use.
func (s *SVN) Log(ctx context.Context, url string, from, to int64) ([]svn.LogEntry, error) {
	return call(s, ctx, "", true, func(at int) ([]svn.LogEntry, error) {
		return s.inner.Log(ctx, s.urls.rewrite(url, at), from, to)
	})
}

// ListDirs asks the server in use.
func (s *SVN) ListDirs(ctx context.Context, url string) ([]string, error) {
	return call(s, ctx, "", true, func(at int) ([]string, error) {
		return s.inner.ListDirs(ctx, s.urls.rewrite(url, at))
	})
}

// HasFolder asks the server in use.
func (s *SVN) HasFolder(ctx context.Context, url string) (bool, error) {
	return call(s, ctx, "", true, func(at int) (bool, error) {
		return s.inner.HasFolder(ctx, s.urls.rewrite(url, at))
	})
}

// ListFiles asks the server in use.
func (s *SVN) ListFiles(ctx context.Context, url string, max int) (int, []string, error) {
	type listed struct {
		n     int
		paths []string
	}
	l, err := call(s, ctx, "", true, func(at int) (listed, error) {
		n, paths, err := s.inner.ListFiles(ctx, s.urls.rewrite(url, at), max)
		return listed{n, paths}, err
	})
	return l.n, l.paths, err
}

// DeleteURL deletes on the server in use.
func (s *SVN) DeleteURL(ctx context.Context, url, message string) error {
	_, err := call(s, ctx, "", false, func(at int) (struct{}, error) {
		return struct{}{}, s.inner.DeleteURL(ctx, s.urls.rewrite(url, at), message)
	})
	return err
}
