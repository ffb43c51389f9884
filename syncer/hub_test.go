package syncer

import (
	"context"
	"encoding/json"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/depsync/depsync/api"
	"github.com/depsync/depsync/config"
	"github.com/depsync/depsync/svn"
)

// countCalls counts the recorded calls that start with prefix.
func countCalls(f *fakeSVN, prefix string) int {
	n := 0
	for _, c := range f.Calls() {
		if strings.HasPrefix(c, prefix) {
			n++
		}
	}
	return n
}

// TestHubOneLookForEveryTenant: one svn info per poll whatever the number
// of tenants, one svn log only when something moved, and only the tenants
// the log names learn of a change.
func TestHubOneLookForEveryTenant(t *testing.T) {
	c := testConfig(t, config.RoleWorker)
	c.SVN.URL = "http://svn.example/repo/depsync"
	for id := 1; id <= 50; id++ {
		c.Carbon.Tenants = append(c.Carbon.Tenants, id)
	}
	f := &fakeSVN{info: &svn.Info{URL: "http://svn.example/repo/depsync", RepoRoot: "http://svn.example/repo",
		Kind: "dir", Revision: 10, LastChangedRev: 10}}
	d := newTestDaemon(t, c, f)
	h := d.hub
	h.Start(context.Background())
	require.Equal(t, int64(10), h.Base())

	h.Look(context.Background())
	assert.Equal(t, 2, countCalls(f, "info "), "start and one look: one svn info each, for 51 tenants")
	assert.Zero(t, countCalls(f, "log "), "nothing moved: no log")
	for _, ts := range d.tenants.list {
		assert.Zero(t, ts.ChangedRev().Load())
		assert.Len(t, ts.Tick(), 1, "every tenant is told the hub looked")
		<-ts.Tick()
	}

	f.mu.Lock()
	f.info = &svn.Info{URL: "http://svn.example/repo/depsync", RepoRoot: "http://svn.example/repo",
		Kind: "dir", Revision: 13, LastChangedRev: 12}
	f.log = []svn.LogEntry{
		{Revision: 11, Paths: []string{"/depsync/7/carbonapps/a.car", "/depsync/-1234/x.xml"}},
		{Revision: 12, Paths: []string{"/depsync/7/carbonapps/b.car", "/depsync/99/y", "/elsewhere/3/z", "/depsync/readme"}},
	}
	f.mu.Unlock()
	h.Look(context.Background())
	assert.Equal(t, []string{"log http://svn.example/repo/depsync 11:12"}, filter(f.Calls(), "log "))
	changed := map[int]int64{}
	for _, ts := range d.tenants.list {
		if r := ts.ChangedRev().Load(); r > 0 {
			changed[ts.ID()] = r
		}
	}
	assert.Equal(t, map[int]int64{-1234: 11, 7: 12}, changed, "only the tenants the log names")
	assert.Equal(t, int64(12), h.Base())

	h.Look(context.Background())
	assert.Equal(t, 1, countCalls(f, "log "), "nothing new: no log again")
}

// TestHubNewRepositoryIsABase: a repository at revision 0 when the daemon
// starts is a base like any other; the first look after commits reads the
// log from revision 1 and wakes only the tenants it names, not every
// tenant as when the server could not be reached at start.
func TestHubNewRepositoryIsABase(t *testing.T) {
	for _, tc := range []struct {
		name    string
		reached bool // the server answered at start
		want    map[int]int64
	}{
		{"new repository", true, map[int]int64{7: 2}},
		{"server down at start", false, map[int]int64{-1234: 2, 7: 2, 8: 2}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			c := testConfig(t, config.RoleWorker)
			c.SVN.URL = "http://svn.example/repo"
			c.Carbon.Tenants = []int{7, 8}
			f := &fakeSVN{info: &svn.Info{URL: "http://svn.example/repo", RepoRoot: "http://svn.example/repo",
				Kind: "dir", Revision: 0, LastChangedRev: 0}}
			if !tc.reached {
				f.infoErr = svn.ErrUnreachable
			}
			d := newTestDaemon(t, c, f)
			d.hub.Start(context.Background())

			f.mu.Lock()
			f.infoErr = nil
			f.info = &svn.Info{URL: "http://svn.example/repo", RepoRoot: "http://svn.example/repo",
				Kind: "dir", Revision: 2, LastChangedRev: 2}
			f.log = []svn.LogEntry{{Revision: 1, Paths: []string{"/7"}}, {Revision: 2, Paths: []string{"/7/carbonapps/a.car"}}}
			f.mu.Unlock()
			d.hub.Look(context.Background())
			changed := map[int]int64{}
			for _, ts := range d.tenants.list {
				if r := ts.ChangedRev().Load(); r > 0 {
					changed[ts.ID()] = r
				}
			}
			assert.Equal(t, tc.want, changed)
			assert.Equal(t, int64(2), d.hub.Base())
		})
	}
}

func filter(calls []string, prefix string) []string {
	var out []string
	for _, c := range calls {
		if strings.HasPrefix(c, prefix) {
			out = append(out, c)
		}
	}
	return out
}

// TestNoticeNamesItsTenants: a notice naming tenants wakes only those, each
// to its own revision; one naming none (an older manager) wakes them all.
func TestNoticeNamesItsTenants(t *testing.T) {
	c := testConfig(t, config.RoleWorker)
	c.Carbon.Tenants = []int{3, 7}
	d := newTestDaemon(t, c, &fakeSVN{})
	h := d.Handler()
	body, err := json.Marshal(Notice{Revision: 9, Tenants: []api.NoticeTenant{{ID: 7, Revision: 9}, {ID: 42, Revision: 8}}})
	require.NoError(t, err)
	rec := notify(h, testToken, string(body))
	require.Equal(t, 202, rec.Code, rec.Body.String())
	got := map[int]int64{}
	for _, ts := range d.tenants.list {
		got[ts.ID()] = ts.NotifiedRev().Load()
	}
	assert.Equal(t, map[int]int64{-1234: 0, 3: 0, 7: 9}, got)

	rec = notify(h, testToken, `{"revision":10}`)
	require.Equal(t, 202, rec.Code, rec.Body.String())
	for _, ts := range d.tenants.list {
		assert.Equal(t, int64(10), ts.NotifiedRev().Load(), "tenant %d", ts.ID())
	}
}
