package worker

import (
	"context"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/depsync/depsync/internal/svntest"
	"github.com/depsync/depsync/svn"
)

func write(t *testing.T, dir, rel, body string) {
	t.Helper()
	p := filepath.Join(dir, filepath.FromSlash(rel))
	require.NoError(t, os.MkdirAll(filepath.Dir(p), 0o755))
	require.NoError(t, os.WriteFile(p, []byte(body), 0o644))
}

func read(t *testing.T, dir, rel string) string {
	t.Helper()
	data, err := os.ReadFile(filepath.Join(dir, filepath.FromSlash(rel)))
	if os.IsNotExist(err) {
		return "<gone>"
	}
	require.NoError(t, err)
	return string(data)
}

// committer commits to the super tenant's folder of srv as a manager
// would, from a working copy of its own.
type committer struct {
	srv *svntest.Server
	dir string
}

func newCommitter(t *testing.T, srv *svntest.Server) committer {
	t.Helper()
	srv.SVN(t, "mkdir", "-q", "--parents", "-m", "the super tenant", srv.URL+"/-1234")
	c := committer{srv: srv, dir: t.TempDir()}
	srv.SVN(t, "checkout", "-q", srv.URL+"/-1234", c.dir)
	return c
}

// commit writes files (body "" removes one), commits and returns the
// revision.
func (c committer) commit(t *testing.T, files map[string]string) int64 {
	t.Helper()
	for rel, body := range files {
		if body == "" {
			c.srv.SVN(t, "rm", "-q", filepath.Join(c.dir, filepath.FromSlash(rel)))
			continue
		}
		write(t, c.dir, rel, body)
	}
	c.srv.SVN(t, "add", "-q", "--force", c.dir)
	c.srv.SVN(t, "commit", "-q", "-m", "the manager", c.dir)
	c.srv.SVN(t, "update", "-q", c.dir)
	rev, err := strconv.ParseInt(strings.TrimSpace(c.srv.SVN(t, "info", "--show-item", "revision", c.srv.URL)), 10, 64)
	require.NoError(t, err)
	return rev
}

// TestTargetedUpdate: with a working copy costly to look at whole, a
// worker updates only what svn log says changed in its folder since its
// revision: changes, additions in new folders and deletions arrive; a local
// edit of a changed file is backed up and the repository wins; a local
// edit elsewhere is left for the next whole update, which reverts it (with
// its copy). Anything unusual goes whole.
func TestTargetedUpdate(t *testing.T) {
	srv := svntest.New(t, svntest.File)
	m := newCommitter(t, srv)
	ctx := context.Background()
	m.commit(t, map[string]string{"synapse-configs/default/api/a.xml": "<a1/>", "synapse-configs/default/api/b.xml": "<b1/>"})

	c := testConfig(t, srv.URL)
	client, err := svn.New(svn.Options{StateDir: c.StateDir})
	require.NoError(t, err)
	w := newTestWorker(t, c, client)
	require.NoError(t, w.Prepare(ctx))
	require.NoError(t, w.Sync(ctx, "start", 0))
	dir := w.dir
	assert.Equal(t, "<a1/>", read(t, dir, "synapse-configs/default/api/a.xml"))
	w.plan.wholeCost = time.Hour // as if the tree were huge

	for _, step := range []struct {
		name     string
		manager  func() int64
		local    map[string]string // edits on the worker before the update
		want     map[string]string
		targeted bool
	}{
		{
			name: "a change, a file in a new folder, and a local edit elsewhere",
			manager: func() int64 {
				return m.commit(t, map[string]string{
					"synapse-configs/default/api/a.xml":       "<a2/>",
					"synapse-configs/default/sequences/s.xml": "<s/>",
				})
			},
			local: map[string]string{"synapse-configs/default/api/b.xml": "<b-local/>"},
			want: map[string]string{
				"synapse-configs/default/api/a.xml":       "<a2/>",
				"synapse-configs/default/sequences/s.xml": "<s/>",
				"synapse-configs/default/api/b.xml":       "<b-local/>", // not this update's business
			},
			targeted: true,
		},
		{
			name: "a deletion, and a local edit of the changed file",
			manager: func() int64 {
				return m.commit(t, map[string]string{
					"synapse-configs/default/sequences/s.xml": "",
					"synapse-configs/default/api/a.xml":       "<a3/>",
				})
			},
			local: map[string]string{"synapse-configs/default/api/a.xml": "<a-local/>"},
			want: map[string]string{
				"synapse-configs/default/api/a.xml":       "<a3/>",
				"synapse-configs/default/sequences/s.xml": "<gone>",
				"synapse-configs/default/api/b.xml":       "<b-local/>",
			},
			targeted: true,
		},
		{
			name: "the next whole update reverts the edit left alone",
			manager: func() int64 {
				w.plan.wholeDue = time.Time{}
				return m.commit(t, map[string]string{"synapse-configs/default/api/c.xml": "<c/>"})
			},
			want: map[string]string{
				"synapse-configs/default/api/b.xml": "<b1/>",
				"synapse-configs/default/api/c.xml": "<c/>",
			},
			targeted: false,
		},
	} {
		t.Run(step.name, func(t *testing.T) {
			rev := step.manager()
			for rel, body := range step.local {
				write(t, dir, rel, body)
			}
			require.NoError(t, w.Sync(ctx, "notice", rev))
			assert.Equal(t, step.targeted, w.plan.targeted, "targeted")
			assert.Equal(t, "/-1234", w.plan.relRoot, "the folder's place, learnt when first needed")
			assert.Equal(t, rev, w.rev)
			for rel, body := range step.want {
				assert.Equal(t, body, read(t, dir, rel), rel)
			}
			st, err := client.StatusWith(ctx, dir, svn.StatusOptions{})
			require.NoError(t, err)
			for _, e := range st {
				if _, edited := step.want[e.Path]; !edited || e.Item != "modified" {
					assert.Failf(t, "left changed", "%s is %s", e.Path, e.Item)
				}
			}
		})
	}
	// Every local edit overwritten has its copy.
	var copies []string
	require.NoError(t, filepath.Walk(filepath.Join(c.StateDir, "overwritten"), func(p string, fi os.FileInfo, err error) error {
		if err == nil && fi.IsDir() && fi.Name() == ".objects" {
			return filepath.SkipDir // the content index of the copies
		}
		if err == nil && !fi.IsDir() {
			data, rerr := os.ReadFile(p)
			require.NoError(t, rerr)
			copies = append(copies, string(data))
		}
		return err
	}))
	assert.ElementsMatch(t, []string{"<a-local/>", "<b-local/>"}, copies)
}
