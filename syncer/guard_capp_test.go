package syncer

import (
	"os"
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/depsync/depsync/internal/guard"
	"github.com/depsync/depsync/internal/testcapp"
)

// Carbon deploys only names ending in ".car" in lower case (see
// carbonapp.IsCApp): an App.CAR left in carbonapps does not keep it from
// being emptied, so deleting the last real C-Apps is held.
func TestManagerEmptiedGuardIgnoresUpperCaseCAR(t *testing.T) {
	m, _ := realManager(t)
	apps := filepath.Join(m.t.Dir, "carbonapps")
	require.NoError(t, os.MkdirAll(apps, 0o755))
	for _, n := range []string{"One", "Two"} {
		testcapp.Write(t, apps, n+"_1.0.0.car", n, "1.0.0")
	}
	testcapp.Write(t, apps, "Old_1.0.0.CAR", "Old", "1.0.0")
	api := filepath.Join(m.t.Dir, "synapse-configs", "default", "api")
	require.NoError(t, os.MkdirAll(api, 0o755))
	for _, n := range []string{"a", "b", "c", "d", "e", "f"} {
		require.NoError(t, os.WriteFile(filepath.Join(api, n+".xml"), []byte("<api name=\""+n+"\"/>"), 0o644))
	}
	require.Positive(t, commitAll(t, m).rev)
	require.Contains(t, repoFiles(t, m), "carbonapps/Old_1.0.0.CAR")

	for _, n := range []string{"One", "Two"} {
		require.NoError(t, os.Remove(filepath.Join(apps, n+"_1.0.0.car")))
	}
	assert.Zero(t, commitAll(t, m).rev, "the last C-Apps Carbon deploys are not deleted without approval")
	holds := holdsOf(m)
	require.Len(t, holds, 1)
	assert.Equal(t, guard.ReasonEmptied, holds[0].Reason)
	assert.Equal(t, 2, holds[0].Count)
}
