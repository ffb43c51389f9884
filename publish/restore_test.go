package publish

import (
	"context"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/depsync/depsync/internal/testcapp"
)

// TestRestore: one commit puts back what the files were at a revision,
// removes what did not exist then, and touches no other file.
func TestRestore(t *testing.T) {
	r := newRepo(t)
	v1 := capp(t, "App_1.0.0.car", "App", "1.0.0")
	other := capp(t, "Other_1.0.0.car", "Other", "1.0.0")
	res := r.publish(t, false, v1, other)
	require.NoError(t, res[0].Err)
	revV1 := res[0].Revision

	v2 := capp(t, "App_1.0.0.car", "App", "1.0.0", testcapp.Extra(map[string][]byte{"notes.txt": []byte("v2")}))
	added := capp(t, "New_1.0.0.car", "New", "1.0.0")
	other2 := capp(t, "Other_1.0.0.car", "Other", "1.0.0", testcapp.Extra(map[string][]byte{"notes.txt": []byte("o2")}))
	res = r.publish(t, false, v2, added, other2)
	require.NoError(t, res[0].Err)

	rev, out, err := Restore(context.Background(), Options{URL: r.tenant, TempDir: t.TempDir(), Origin: "ci"},
		[]string{"App_1.0.0.car", "New_1.0.0.car"}, revV1, "rollback")
	require.NoError(t, err)
	assert.Equal(t, r.head(t), rev, "one commit")
	require.Len(t, out, 2)
	assert.Equal(t, ActionRestored, out[0].Action)
	assert.Equal(t, v1.App.SHA256, out[0].SHA256)
	assert.Equal(t, "App_1.0.0", out[0].ID)
	assert.Equal(t, ActionRemoved, out[1].Action)
	assert.Equal(t, "New_1.0.0", out[1].ID)

	assert.Equal(t, read(t, v1.Path), r.cat(t, "App_1.0.0.car"))
	assert.Equal(t, read(t, other2.Path), r.cat(t, "Other_1.0.0.car"), "a file not named is left as it is")
	assert.ElementsMatch(t, []string{"App_1.0.0.car", "Other_1.0.0.car"}, r.files(t))

	rev, out, err = Restore(context.Background(), Options{URL: r.tenant, TempDir: t.TempDir()},
		[]string{"App_1.0.0.car", "New_1.0.0.car"}, revV1, "rollback")
	require.NoError(t, err)
	assert.Zero(t, rev, "nothing left to change: no commit")
	assert.Equal(t, ActionUnchanged, out[0].Action)
	assert.Equal(t, ActionUnchanged, out[1].Action)

	_, _, err = Restore(context.Background(), Options{URL: r.tenant, TempDir: t.TempDir()}, []string{"../x.car"}, revV1, "rollback")
	require.Error(t, err)
}

// TestHistory lists, newest first, the revisions that changed each C-App,
// with the digest of each version.
func TestHistory(t *testing.T) {
	r := newRepo(t)
	ctx := context.Background()
	o := Options{URL: r.tenant, TempDir: t.TempDir()}
	h, err := History(ctx, o, "", 20)
	require.NoError(t, err, "no folder yet: no history")
	assert.Empty(t, h)

	v1 := capp(t, "App_1.0.0.car", "App", "1.0.0")
	rev1 := r.publish(t, false, v1)[0].Revision
	v2 := capp(t, "App_1.0.0.car", "App", "1.0.0", testcapp.Extra(map[string][]byte{"notes.txt": []byte("v2")}))
	rev2 := r.publish(t, false, v2, capp(t, "Other_1.0.0.car", "Other", "1.0.0"))[0].Revision
	rev3, _, err := Restore(ctx, o, []string{"App_1.0.0.car", "Other_1.0.0.car"}, rev1, "rollback")
	require.NoError(t, err)

	h, err = History(ctx, o, "App_1.0.0.car", 20)
	require.NoError(t, err)
	require.Len(t, h, 3)
	assert.Equal(t, []int64{rev3, rev2, rev1}, []int64{h[0].Revision, h[1].Revision, h[2].Revision})
	assert.Equal(t, []string{"modified", "modified", "added"}, []string{h[0].Action, h[1].Action, h[2].Action})
	assert.Equal(t, v1.App.SHA256, h[0].SHA256)
	assert.Equal(t, v2.App.SHA256, h[1].SHA256)
	assert.Equal(t, v1.App.SHA256, h[2].SHA256)
	assert.Contains(t, h[0].Message, "rollback")

	h, err = History(ctx, o, "", 2)
	require.NoError(t, err)
	require.Len(t, h, 2, "-n bounds the list")
	assert.Equal(t, rev3, h[0].Revision)
	files := []string{h[0].File, h[1].File}
	assert.ElementsMatch(t, []string{"App_1.0.0.car", "Other_1.0.0.car"}, files)
	for _, x := range h {
		if x.File == "Other_1.0.0.car" {
			assert.Equal(t, "deleted", x.Action)
			assert.Empty(t, x.SHA256)
		}
	}
}
