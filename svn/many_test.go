package svn

import (
	"os"
	"path/filepath"
	"strconv"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/depsync/depsync/internal/svntest"
)

// TestManyTenants: the operations of the first sync of many tenants, each
// in one svn run: folders made in one commit, checked out side by side,
// looked at (a missing one gets its own not-found error), changed in
// several working copies and committed in one revision, updated together.
func TestManyTenants(t *testing.T) {
	forEachServer(t, svntest.AllKinds(), func(t *testing.T, s *svntest.Server) {
		c, _ := testClient(t, s)
		ctx := t.Context()
		ids := []string{"1", "2", "3"}
		var urls []string
		for _, id := range ids {
			urls = append(urls, JoinURL(s.URL, id))
		}
		require.NoError(t, c.MkdirMany(ctx, urls, true, "three tenants"))
		log, err := c.Log(ctx, s.URL, 1, -1)
		require.NoError(t, err)
		require.Len(t, log, 1, "one commit made every folder")

		require.Error(t, c.MkdirMany(ctx, urls[:1], false, "again"), "an existing folder fails the whole")

		parent := filepath.Join(t.TempDir(), "tenants")
		require.NoError(t, os.MkdirAll(filepath.Join(parent, "2"), 0o755))
		writeFile(t, filepath.Join(parent, "2", "local.xml"), "<local/>", 0o644)
		revs, err := c.CheckoutMany(ctx, urls, parent, true)
		require.NoError(t, err)
		assert.Equal(t, []int64{1, 1, 1}, revs)
		for _, id := range ids {
			assert.True(t, IsWorkingCopy(filepath.Join(parent, id)), "tenant %s checked out", id)
		}
		assert.FileExists(t, filepath.Join(parent, "2", "local.xml"), "--force keeps local files")

		missing := JoinURL(s.URL, "9")
		infos, errs := c.InfoMany(ctx, []string{urls[0], missing, filepath.Join(parent, "3"), filepath.Join(parent, "nope")})
		require.NoError(t, errs[0])
		assert.Equal(t, "dir", infos[0].Kind)
		assert.True(t, SameURL(infos[0].URL, urls[0]))
		assert.ErrorIs(t, errs[1], ErrNotFound, "the missing URL alone fails")
		assert.Nil(t, infos[1])
		require.NoError(t, errs[2])
		assert.True(t, SameURL(infos[2].URL, urls[2]))
		assert.Equal(t, int64(1), infos[2].Revision)
		assert.Error(t, errs[3])

		// Changes in two working copies, one commit.
		for _, id := range []string{"1", "3"} {
			writeFile(t, filepath.Join(parent, id, "carbonapps", "A"+id+".car"), "a"+id, 0o644)
		}
		rev, err := c.Commit(ctx, parent, "two tenants", "1/carbonapps", "1/carbonapps/A1.car", "3/carbonapps", "3/carbonapps/A3.car")
		require.NoError(t, err)
		assert.Equal(t, int64(2), rev)

		// Another checkout of all three is updated in one run, to one revision.
		other := filepath.Join(t.TempDir(), "tenants")
		_, err = c.CheckoutMany(ctx, urls, other, false)
		require.NoError(t, err)
		writeFile(t, filepath.Join(parent, "2", "b.xml"), "<b/>", 0o644)
		rev, err = c.Commit(ctx, parent, "tenant 2", "2/b.xml")
		require.NoError(t, err)
		res, err := c.UpdateWith(ctx, other, UpdateOptions{}, "1", "2", "3")
		require.NoError(t, err)
		assert.Equal(t, rev, res.Revision)
		assert.FileExists(t, filepath.Join(other, "2", "b.xml"))
		var changed []string
		for _, ch := range res.Changed {
			changed = append(changed, ch.Path)
		}
		assert.Contains(t, changed, "2/b.xml")
	})
}

// TestUpdateOfManyKeepsTimestampsApart: svn waits after each working copy
// it writes for the timestamps' next tick (up to a second when given
// several); the client turns that off and waits once itself, so an edit of
// the same size made right after the update must still show as one.
func TestUpdateOfManyKeepsTimestampsApart(t *testing.T) {
	forEachServer(t, []svntest.Kind{svntest.File}, func(t *testing.T, s *svntest.Server) {
		c, _ := testClient(t, s)
		ctx := t.Context()
		var urls []string
		for i := range 8 {
			urls = append(urls, JoinURL(s.URL, strconv.Itoa(i)))
		}
		require.NoError(t, c.MkdirMany(ctx, urls, true, "eight"))
		a := filepath.Join(t.TempDir(), "a")
		b := filepath.Join(t.TempDir(), "b")
		_, err := c.CheckoutMany(ctx, urls, a, false)
		require.NoError(t, err)
		_, err = c.CheckoutMany(ctx, urls, b, false)
		require.NoError(t, err)
		var paths []string
		for i := range 8 {
			id := strconv.Itoa(i)
			writeFile(t, filepath.Join(a, id, "f.xml"), "<f/>", 0o644)
			paths = append(paths, id+"/f.xml")
		}
		_, err = c.Commit(ctx, a, "eight files", paths...)
		require.NoError(t, err)

		var targets []string
		for i := range 8 {
			targets = append(targets, strconv.Itoa(i))
		}
		res, err := c.UpdateWith(ctx, b, UpdateOptions{}, targets...)
		require.NoError(t, err)
		assert.Len(t, res.Changed, 8)

		f := filepath.Join(b, "7", "f.xml")
		require.NoError(t, os.WriteFile(f, []byte("<g/>"), 0o644))
		st, err := c.Status(ctx, b, "7")
		require.NoError(t, err)
		require.Len(t, st, 1)
		assert.Equal(t, "modified", st[0].Item)
	})
}
