package failover

import (
	"context"
	"fmt"
	"path/filepath"
	"strings"
	"sync"

	"github.com/depsync/depsync/svn"
)

// fakeServers is an svnbatch.SVN and a Relocator over servers that are up
// or down, only to force the failures failover recovers from.
type fakeServers struct {
	mu    sync.Mutex
	down  map[string]bool   // by base URL
	uuids map[string]string // by base URL
	wcs   map[string]string // working copy directory -> its URL
	heads map[string]int64  // by base URL; 5 when not set
	calls []string
}

func newFake(uuids map[string]string) *fakeServers {
	return &fakeServers{down: map[string]bool{}, uuids: uuids, wcs: map[string]string{}, heads: map[string]int64{}}
}

func (f *fakeServers) setDown(base string, down bool) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.down[base] = down
}

func (f *fakeServers) setHead(base string, head int64) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.heads[base] = head
}

func (f *fakeServers) record(format string, args ...any) {
	f.calls = append(f.calls, fmt.Sprintf(format, args...))
}

func (f *fakeServers) Calls() []string {
	f.mu.Lock()
	defer f.mu.Unlock()
	return append([]string(nil), f.calls...)
}

// serverOf is the base u is below, under mu.
func (f *fakeServers) serverOf(u string) string {
	for base := range f.uuids {
		if u == base || strings.HasPrefix(u, base+"/") {
			return base
		}
	}
	return ""
}

func unreachableErr(u string) error {
	return &svn.Error{Op: "info", Target: u, Kind: svn.ErrUnreachable, Message: "svn: E170013: Unable to connect"}
}

// reach fails when u's server is down, under mu.
func (f *fakeServers) reach(u string) error {
	base := f.serverOf(u)
	if base == "" {
		return &svn.Error{Op: "info", Target: u, Kind: svn.ErrNotFound}
	}
	if f.down[base] {
		return unreachableErr(u)
	}
	return nil
}

func (f *fakeServers) CheckVersion(context.Context) error { return nil }

func (f *fakeServers) Info(_ context.Context, target string) (*svn.Info, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.record("info %s", target)
	if !svn.IsURL(target) {
		u, ok := f.wcs[abs(target)]
		if !ok {
			return nil, &svn.Error{Op: "info", Target: target, Kind: svn.ErrNotWorkingCopy}
		}
		return &svn.Info{URL: u, RepoUUID: f.uuids[f.serverOf(u)], Revision: 1}, nil
	}
	if err := f.reach(target); err != nil {
		return nil, err
	}
	head := f.heads[f.serverOf(target)]
	if head == 0 {
		head = 5
	}
	return &svn.Info{URL: target, RepoUUID: f.uuids[f.serverOf(target)], Revision: head, LastChangedRev: head, Kind: "dir"}, nil
}

func (f *fakeServers) Relocate(_ context.Context, dir, from, to string) error {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.record("relocate %s %s", from, to)
	if err := f.reach(to); err != nil {
		return err
	}
	u := f.wcs[abs(dir)]
	if !strings.HasPrefix(u, from) {
		return fmt.Errorf("fake: %s is not below %s", u, from)
	}
	f.wcs[abs(dir)] = to + strings.TrimPrefix(u, from)
	return nil
}

func (f *fakeServers) Checkout(_ context.Context, url, dir string, _ bool) (int64, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.record("checkout %s", url)
	if err := f.reach(url); err != nil {
		return 0, err
	}
	f.wcs[abs(dir)] = url
	return 5, nil
}

// wcOp is an operation on a working copy that talks to its server.
func (f *fakeServers) wcOp(op, dir string) error {
	f.mu.Lock()
	defer f.mu.Unlock()
	u := f.wcs[abs(dir)]
	f.record("%s %s", op, u)
	return f.reach(u)
}

func (f *fakeServers) UpdateWith(_ context.Context, dir string, _ svn.UpdateOptions, _ ...string) (*svn.UpdateResult, error) {
	if err := f.wcOp("update", dir); err != nil {
		return nil, err
	}
	return &svn.UpdateResult{Revision: 5}, nil
}

func (f *fakeServers) CommitWith(_ context.Context, dir, _ string, _ svn.CommitOptions, _ ...string) (int64, error) {
	if err := f.wcOp("commit", dir); err != nil {
		return 0, err
	}
	return 6, nil
}

func (f *fakeServers) urlOp(op, u string) error {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.record("%s %s", op, u)
	return f.reach(u)
}

func (f *fakeServers) StatusWith(context.Context, string, svn.StatusOptions, ...string) ([]svn.StatusEntry, error) {
	return nil, nil
}
func (f *fakeServers) Revert(context.Context, string, ...string) error          { return nil }
func (f *fakeServers) Resolve(context.Context, string, string, ...string) error { return nil }
func (f *fakeServers) Cleanup(context.Context, string) error                    { return nil }
func (f *fakeServers) Upgrade(context.Context, string) error                    { return nil }
func (f *fakeServers) Mkdir(_ context.Context, url string, _ bool, _ string) error {
	return f.urlOp("mkdir", url)
}
func (f *fakeServers) Log(_ context.Context, url string, _, _ int64) ([]svn.LogEntry, error) {
	return nil, f.urlOp("log", url)
}
func (f *fakeServers) ListDirs(_ context.Context, url string) ([]string, error) {
	return nil, f.urlOp("list", url)
}
func (f *fakeServers) HasFolder(_ context.Context, url string) (bool, error) {
	return true, f.urlOp("has", url)
}
func (f *fakeServers) ListFiles(_ context.Context, url string, _ int) (int, []string, error) {
	return 0, nil, f.urlOp("list -R", url)
}
func (f *fakeServers) DeleteURL(_ context.Context, url, _ string) error {
	return f.urlOp("delete", url)
}

func abs(dir string) string {
	a, err := filepath.Abs(dir)
	if err != nil {
		return dir
	}
	return a
}
