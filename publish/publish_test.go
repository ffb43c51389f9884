package publish

import (
	"context"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/depsync/depsync/carbonapp"
	"github.com/depsync/depsync/deploy"
	"github.com/depsync/depsync/internal/svntest"
	"github.com/depsync/depsync/internal/testcapp"
)

// repo is a fresh file:// repository and the tenant folder C-Apps are
// published under.
type repo struct {
	srv    *svntest.Server
	tenant string
}

func newRepo(t *testing.T) *repo {
	t.Helper()
	srv := svntest.New(t, svntest.File)
	return &repo{srv: srv, tenant: srv.URL + "/-1234"}
}

// head is the repository's youngest revision.
func (r *repo) head(t *testing.T) int64 {
	t.Helper()
	out := strings.TrimSpace(r.srv.SVN(t, "info", "--show-item", "revision", r.srv.URL))
	rev, err := strconv.ParseInt(out, 10, 64)
	require.NoError(t, err, out)
	return rev
}

// files lists the carbonapps folder of the tenant.
func (r *repo) files(t *testing.T) []string {
	t.Helper()
	return strings.Fields(r.srv.SVN(t, "ls", Folder(r.tenant)))
}

func (r *repo) cat(t *testing.T, file string) string {
	t.Helper()
	return r.srv.SVN(t, "cat", Folder(r.tenant)+"/"+file)
}

// publish runs SVN with a temporary directory of its own and checks that
// SVN leaves nothing in it.
func (r *repo) publish(t *testing.T, replace bool, capps ...CApp) []Result {
	t.Helper()
	tmp := t.TempDir()
	res := SVN(context.Background(), Options{URL: r.tenant, Replace: replace, TempDir: tmp, Origin: "ci-runner"}, capps)
	require.Len(t, res, len(capps))
	ents, err := os.ReadDir(tmp)
	require.NoError(t, err)
	assert.Empty(t, ents, "the temporary checkout is removed")
	return res
}

// capp writes a C-App file and parses it, as capp push validates it.
func capp(t *testing.T, file, name, version string, opts ...testcapp.Option) CApp {
	t.Helper()
	p := testcapp.Write(t, t.TempDir(), file, name, version, opts...)
	app, err := carbonapp.ParseFile(p)
	require.NoError(t, err)
	return CApp{Path: p, App: app}
}

func read(t *testing.T, path string) string {
	t.Helper()
	b, err := os.ReadFile(path)
	require.NoError(t, err)
	return string(b)
}

func TestSVNCreatesUpdatesAndLeavesUnchanged(t *testing.T) {
	r := newRepo(t)
	a := capp(t, "A_1.0.0.car", "A", "1.0.0")
	b := capp(t, "B_2.0.0.car", "B", "2.0.0")

	// Into a repository without the folder: created, one revision for both.
	res := r.publish(t, false, a, b)
	for i, want := range []CApp{a, b} {
		assert.NoError(t, res[i].Err)
		assert.Equal(t, deploy.StatusCreated, res[i].Status)
		assert.Equal(t, filepath.Base(want.Path), res[i].File)
		assert.Equal(t, want.App.ID, res[i].ID)
		assert.Equal(t, want.App.SHA256, res[i].SHA256)
	}
	rev := r.head(t)
	require.Equal(t, rev, res[0].Revision)
	require.Equal(t, rev, res[1].Revision)
	require.Equal(t, []string{"A_1.0.0.car", "B_2.0.0.car"}, r.files(t))
	require.Equal(t, read(t, a.Path), r.cat(t, "A_1.0.0.car"))
	logMsg := r.srv.SVN(t, "log", "-r", strconv.FormatInt(rev, 10), r.srv.URL)
	assert.Contains(t, logMsg, "depsync capp push from ci-runner: A_1.0.0.car (A_1.0.0, sha256 "+a.App.SHA256[:16]+")")

	// The same bytes again: unchanged, nothing committed.
	res = r.publish(t, false, a)
	require.NoError(t, res[0].Err)
	require.Equal(t, deploy.StatusUnchanged, res[0].Status)
	require.Zero(t, res[0].Revision)
	require.Equal(t, rev, r.head(t))

	// New bytes under the same name: updated.
	a2 := capp(t, "A_1.0.0.car", "A", "1.0.0", testcapp.Pad(4<<10))
	res = r.publish(t, false, a2, b)
	require.NoError(t, res[0].Err)
	require.Equal(t, deploy.StatusUpdated, res[0].Status)
	require.Equal(t, rev+1, res[0].Revision)
	require.Equal(t, deploy.StatusUnchanged, res[1].Status)
	require.Equal(t, read(t, a2.Path), r.cat(t, "A_1.0.0.car"))
}

func TestSVNDuplicateID(t *testing.T) {
	r := newRepo(t)
	old := capp(t, "A_1.0.0.car", "A", "1.0.0")
	require.Equal(t, deploy.StatusCreated, r.publish(t, false, old)[0].Status)
	before := r.head(t)

	// Another file with the id A_1.0.0: refused, and the other C-App of the
	// batch is committed all the same.
	renamed := capp(t, "A-new.car", "A", "1.0.0", testcapp.Artifacts("api_q"))
	c := capp(t, "C_1.0.0.car", "C", "1.0.0")
	res := r.publish(t, false, renamed, c)
	var dup *deploy.DuplicateIDError
	require.ErrorAs(t, res[0].Err, &dup)
	assert.Equal(t, "A_1.0.0.car", dup.Other)
	assert.Equal(t, StatusFailed, res[0].Status)
	assert.Zero(t, res[0].Revision)
	require.NoError(t, res[1].Err)
	require.Equal(t, before+1, res[1].Revision)
	require.Equal(t, []string{"A_1.0.0.car", "C_1.0.0.car"}, r.files(t))

	// Replace: the other file goes in the same revision.
	res = r.publish(t, true, renamed)
	require.NoError(t, res[0].Err)
	require.Equal(t, deploy.StatusCreated, res[0].Status)
	require.Equal(t, before+2, r.head(t))
	require.Equal(t, []string{"A-new.car", "C_1.0.0.car"}, r.files(t))
	changed := r.srv.SVN(t, "log", "-v", "-r", strconv.FormatInt(before+2, 10), r.srv.URL)
	assert.Contains(t, changed, "D /-1234/carbonapps/A_1.0.0.car")
	assert.Contains(t, changed, "A /-1234/carbonapps/A-new.car")
}

// TestSVNFailureFailsEvery: a repository that is not there fails every
// C-App with the same error, and leaves no temporary checkout.
func TestSVNFailureFailsEvery(t *testing.T) {
	r := newRepo(t)
	missing := "file://" + filepath.ToSlash(filepath.Join(t.TempDir(), "no-repo"))
	a := capp(t, "A_1.0.0.car", "A", "1.0.0")
	b := capp(t, "B_1.0.0.car", "B", "1.0.0")
	tmp := t.TempDir()
	res := SVN(context.Background(), Options{URL: missing, TempDir: tmp}, []CApp{a, b})
	for _, x := range res {
		assert.Equal(t, StatusFailed, x.Status)
		require.Error(t, x.Err)
		assert.Equal(t, res[0].Err, x.Err)
	}
	ents, err := os.ReadDir(tmp)
	require.NoError(t, err)
	assert.Empty(t, ents)

	// A source file gone since it was validated fails alone; the commit
	// carries the others.
	gone := capp(t, "G_1.0.0.car", "G", "1.0.0")
	require.NoError(t, os.Remove(gone.Path))
	res = r.publish(t, false, gone, a)
	assert.Equal(t, StatusFailed, res[0].Status)
	assert.ErrorIs(t, res[0].Err, os.ErrNotExist)
	assert.Equal(t, deploy.StatusCreated, res[1].Status)
	assert.Equal(t, []string{"A_1.0.0.car"}, r.files(t))
}

// TestCopyAtomic: the destination is replaced by a rename (a new inode, so
// never rewritten in place), keeps its permissions, and a failed copy
// leaves it as it was with no temporary file beside it.
func TestCopyAtomic(t *testing.T) {
	dir := t.TempDir()
	src := filepath.Join(t.TempDir(), "src.car")
	require.NoError(t, os.WriteFile(src, []byte("new bytes"), 0o600))

	for _, tt := range []struct {
		name     string
		existing string // "" for none
		mode     os.FileMode
		src      string
		wantErr  bool
		want     string
	}{
		{name: "new file", src: src, want: "new bytes"},
		{name: "replaces", existing: "old bytes", mode: 0o755, src: src, want: "new bytes"},
		{name: "source missing", existing: "old bytes", mode: 0o644, src: src + ".missing", wantErr: true, want: "old bytes"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			dst := filepath.Join(dir, strings.ReplaceAll(tt.name, " ", "_")+".car")
			var before os.FileInfo
			if tt.existing != "" {
				require.NoError(t, os.WriteFile(dst, []byte(tt.existing), tt.mode))
				require.NoError(t, os.Chmod(dst, tt.mode))
				var err error
				before, err = os.Stat(dst)
				require.NoError(t, err)
			}
			err := copyAtomic(tt.src, dst)
			if tt.wantErr {
				require.Error(t, err)
			} else {
				require.NoError(t, err)
			}
			require.Equal(t, tt.want, read(t, dst))
			after, err := os.Stat(dst)
			require.NoError(t, err)
			if before != nil {
				assert.Equal(t, before.Mode(), after.Mode())
				assert.Equal(t, tt.wantErr, os.SameFile(before, after), "replaced by a rename, never in place")
			}
			ents, err := os.ReadDir(dir)
			require.NoError(t, err)
			for _, e := range ents {
				assert.False(t, strings.HasPrefix(e.Name(), "."), "temporary file left: %s", e.Name())
			}
		})
	}
}
