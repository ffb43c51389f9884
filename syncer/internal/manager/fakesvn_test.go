package manager

import (
	"context"
	"errors"
	"fmt"
	"sync"

	"github.com/depsync/depsync/svn"
)

// fakeSVN records calls and returns canned results, so that the daemon's
// error paths can be forced without a server.
type fakeSVN struct {
	mu        sync.Mutex
	calls     []string
	status    []svn.StatusEntry
	statusErr error
	commitRev int64
	commitErr error
	deletable [][]string // each commit's CommitOptions.Deletable
	committed [][]string
	messages  []string
	update    *svn.UpdateResult
	updateErr []error // returned by successive updates, then nil
	revertErr error
	reverted  [][]string
	info      *svn.Info
	infoErr   error
	cleanup   func() error
	log       []svn.LogEntry
	dirs      []string
}

func (f *fakeSVN) record(call string) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.calls = append(f.calls, call)
}

func (f *fakeSVN) Calls() []string {
	f.mu.Lock()
	defer f.mu.Unlock()
	return append([]string(nil), f.calls...)
}

func (f *fakeSVN) CheckVersion(context.Context) error { f.record("version"); return nil }
func (f *fakeSVN) Info(_ context.Context, target string) (*svn.Info, error) {
	f.record("info " + target)
	if f.infoErr != nil {
		return nil, f.infoErr
	}
	if f.info != nil {
		return f.info, nil
	}
	if !svn.IsURL(target) {
		target = "http://svn.example/repo/-1234" // the working copy of the super tenant
	}
	return &svn.Info{URL: target, Kind: "dir", Revision: 1}, nil
}
func (f *fakeSVN) Mkdir(_ context.Context, url string, _ bool, _ string) error {
	f.record("mkdir " + url)
	return nil
}
func (f *fakeSVN) Checkout(_ context.Context, url, dir string, force bool) (int64, error) {
	f.record("checkout")
	return 1, nil
}
func (f *fakeSVN) UpdateWith(context.Context, string, svn.UpdateOptions, ...string) (*svn.UpdateResult, error) {
	f.record("update")
	if len(f.updateErr) > 0 {
		err := f.updateErr[0]
		f.updateErr = f.updateErr[1:]
		if err != nil {
			return nil, err
		}
	}
	if f.update != nil {
		return f.update, nil
	}
	return &svn.UpdateResult{Revision: 2}, nil
}
func (f *fakeSVN) StatusWith(context.Context, string, svn.StatusOptions, ...string) ([]svn.StatusEntry, error) {
	f.record("status")
	return f.status, f.statusErr
}
func (f *fakeSVN) CommitWith(_ context.Context, _, message string, opts svn.CommitOptions, paths ...string) (int64, error) {
	f.record("commit")
	f.deletable = append(f.deletable, opts.Deletable)
	if f.commitErr != nil {
		return 0, f.commitErr
	}
	f.committed = append(f.committed, paths)
	f.messages = append(f.messages, message)
	return f.commitRev, nil
}
func (f *fakeSVN) Revert(_ context.Context, _ string, paths ...string) error {
	f.record("revert")
	if f.revertErr != nil {
		return f.revertErr
	}
	f.reverted = append(f.reverted, paths)
	return nil
}
func (f *fakeSVN) Resolve(context.Context, string, string, ...string) error {
	f.record("resolve")
	return nil
}
func (f *fakeSVN) Log(_ context.Context, url string, from, to int64) ([]svn.LogEntry, error) {
	f.record(fmt.Sprintf("log %s %d:%d", url, from, to))
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.log, nil
}
func (f *fakeSVN) ListDirs(_ context.Context, url string) ([]string, error) {
	f.record("list " + url)
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.dirs, nil
}

// errFakeCannot is what fakeSVN answers where it has nothing to fake: a
// question about a folder goes to Info (a failed cheap look falls back to
// it), and a tenant's removal fails (see removerSVN for one that works).
var errFakeCannot = errors.New("fakeSVN: not faked")

func (f *fakeSVN) HasFolder(_ context.Context, url string) (bool, error) {
	f.record("has " + url)
	return false, errFakeCannot
}
func (f *fakeSVN) ListFiles(_ context.Context, url string, _ int) (int, []string, error) {
	f.record("list -R " + url)
	return 0, nil, errFakeCannot
}
func (f *fakeSVN) Relocate(_ context.Context, dir, from, to string) error {
	f.record("relocate " + dir + " " + from + " " + to)
	return errFakeCannot
}
func (f *fakeSVN) Upgrade(_ context.Context, dir string) error {
	f.record("upgrade " + dir)
	return errFakeCannot
}
func (f *fakeSVN) DeleteURL(_ context.Context, url, _ string) error {
	f.record("delete " + url)
	return errFakeCannot
}
func (f *fakeSVN) Cleanup(context.Context, string) error {
	f.record("cleanup")
	if f.cleanup != nil {
		return f.cleanup()
	}
	return nil
}
