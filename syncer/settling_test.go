package syncer

import (
	"context"
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/depsync/depsync/internal/guard"
	"github.com/depsync/depsync/internal/testcapp"
)

// deletions lists the deletions of a pass's summary.
func deletions(res syncResult) []string {
	var out []string
	for _, s := range res.summary {
		if strings.HasPrefix(s, "-") {
			out = append(out, s)
		}
	}
	return out
}

// TestManagerJudgesAFolderEmptiedInSlicesWhole: on the manager's clock,
// a folder emptied a slice per look has none of its deletions committed
// while new ones keep coming, nor until the folder has been quiet for
// sync.delete_settle; other changes go meanwhile. Then the deletions are
// judged together: over the limit, all held; the folder gone, held at once
// as directory_gone. A single deletion elsewhere goes once its window is
// over.
func TestManagerJudgesAFolderEmptiedInSlicesWhole(t *testing.T) {
	m, _ := realManager(t)
	dir := m.t.Dir
	many := filepath.Join(dir, "many")
	var files []string
	for i := range 60 {
		p := filepath.Join(many, fmt.Sprintf("d%d", i/20), fmt.Sprintf("f%02d.xml", i))
		require.NoError(t, os.MkdirAll(filepath.Dir(p), 0o755))
		require.NoError(t, os.WriteFile(p, []byte("<f/>"), 0o644))
		files = append(files, p)
	}
	api := filepath.Join(dir, "api")
	require.NoError(t, os.MkdirAll(api, 0o755))
	for _, n := range []string{"a", "b"} {
		require.NoError(t, os.WriteFile(filepath.Join(api, n+".xml"), []byte("<api/>"), 0o644))
	}
	require.NoError(t, os.MkdirAll(filepath.Join(dir, "carbonapps"), 0o755))
	testcapp.Write(t, filepath.Join(dir, "carbonapps"), "App_1.0.0.car", "App", "1.0.0")
	require.Positive(t, commitAll(t, m).rev)

	const window = 2 * time.Second
	m.del.settleWindow = window
	clock := time.Now()
	m.gate.Now = func() time.Time { return clock }
	look := func() syncResult {
		t.Helper()
		res, err := m.sync(context.Background(), nil, true)
		require.NoError(t, err)
		return res
	}
	remove := func(ps []string) {
		for _, p := range ps {
			require.NoError(t, os.Remove(p))
		}
	}

	// A single deletion waits its window, then goes.
	require.NoError(t, os.Remove(filepath.Join(api, "b.xml")))
	res := look()
	assert.Empty(t, deletions(res), "judged once quiet, not at first sight")
	assert.True(t, res.lookWhole)
	assert.Equal(t, clock.Add(window), res.nextLook)
	clock = clock.Add(window)
	res = look()
	assert.Equal(t, []string{"-api/b.xml"}, deletions(res))
	assert.Empty(t, holdsOf(m))

	// Slices of the folder, a look after each: nothing of it goes; a
	// file written meanwhile does.
	for i, n := range []int{10, 10, 15} {
		remove(files[:n])
		files = files[n:]
		if i == 1 {
			p := filepath.Join(api, "new.xml")
			require.NoError(t, os.WriteFile(p, []byte("<api/>"), 0o644))
			stamp(t, p, clock.Add(-time.Minute))
		}
		clock = clock.Add(time.Second)
		res = look()
		assert.Empty(t, deletions(res), "slice %d: no deletion while the folder is being emptied", i)
		assert.Equal(t, clock.Add(window), res.nextLook, "slice %d: looked at again once the folder has been quiet", i)
		assert.Empty(t, holdsOf(m))
		assert.False(t, m.d.holdsKnown(nil), "slice %d: what the manager holds is not known while deletions wait", i)
		if i == 1 {
			assert.Contains(t, res.summary, "+api/new.xml", "other changes go on")
		}
	}
	// Quiet, but not for long enough: still waits.
	clock = clock.Add(window - time.Millisecond)
	res = look()
	assert.Empty(t, deletions(res))
	assert.Empty(t, holdsOf(m))
	// Quiet for the window: 35 of 63 files, judged as one, over the limit.
	clock = clock.Add(time.Millisecond)
	res = look()
	assert.Empty(t, deletions(res))
	holds := holdsOf(m)
	require.Len(t, holds, 1)
	assert.Equal(t, guard.ReasonLimit, holds[0].Reason)
	assert.Equal(t, 35, holds[0].Count)
	assert.True(t, m.d.holdsKnown(nil))

	// The rest of the folder, and the folder itself: gone whole, it can
	// lose no more, and is held at once.
	require.NoError(t, os.RemoveAll(many))
	clock = clock.Add(100 * time.Millisecond)
	res = look()
	assert.Empty(t, deletions(res))
	assert.False(t, res.lookWhole, "judged at once")
	holds = holdsOf(m)
	require.Len(t, holds, 1)
	assert.Equal(t, guard.ReasonDirGone, holds[0].Reason)
	assert.Equal(t, 60, holds[0].Count)
	kept := 0
	for _, l := range strings.Split(repoFiles(t, m), "\n") {
		if strings.HasPrefix(l, "many/") && strings.HasSuffix(l, ".xml") {
			kept++
		}
	}
	assert.Equal(t, 60, kept, "every file of the folder is still in the repository")

	// Deletions that keep coming for a minute: one WARN says so.
	var logs logBuffer
	m.log = slog.New(slog.NewTextHandler(&logs, nil))
	for _, p := range []string{filepath.Join(api, "a.xml"), filepath.Join(api, "new.xml"),
		filepath.Join(dir, "carbonapps", "App_1.0.0.car")} {
		require.NoError(t, os.Remove(p))
		res = look()
		assert.Empty(t, deletions(res))
		assert.True(t, res.lookWhole)
		clock = clock.Add(40 * time.Second)
	}
	assert.Equal(t, 1, strings.Count(logs.String(), "deletions keep coming"), logs.String())
}
