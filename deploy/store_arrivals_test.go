package deploy

import (
	"bytes"
	"os"
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/depsync/depsync/internal/testcapp"
)

// A worker takes what the API wrote for the manager's (or a forced push),
// and what a person did by hand since for drift.
func TestStoreFromAPI(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "carbonapps")
	s, err := NewStore(dir, 0)
	require.NoError(t, err)
	a := testcapp.Build(t, "App", "1.0.0")
	path := filepath.Join(dir, "App_1.0.0.car")

	testcapp.Write(t, dir, "Hand_1.0.0.car", "Hand", "1.0.0")
	assert.False(t, s.FromAPI("Hand_1.0.0.car"), "copied in by hand")
	assert.False(t, s.FromAPI("App_1.0.0.car"), "never written")
	assert.False(t, s.FromAPI("../x.car"), "not a C-App name")

	_, err = s.Put("App_1.0.0.car", bytes.NewReader(a), sum(a), PutOptions{})
	require.NoError(t, err)
	assert.True(t, s.FromAPI("App_1.0.0.car"), "as the push left it")

	b := testcapp.Build(t, "App", "1.0.0", testcapp.Artifacts("api_b"))
	require.NoError(t, os.WriteFile(path, b, 0o644))
	assert.False(t, s.FromAPI("App_1.0.0.car"), "rewritten by hand")

	require.NoError(t, os.Remove(path))
	assert.False(t, s.FromAPI("App_1.0.0.car"), "removed by hand")

	_, err = s.Put("App_1.0.0.car", bytes.NewReader(a), sum(a), PutOptions{})
	require.NoError(t, err)
	require.NoError(t, s.Delete("App_1.0.0.car"))
	assert.True(t, s.FromAPI("App_1.0.0.car"), "deleted through the API")

	// A push that replaces another file of the same id: both as it left them.
	_, err = s.Put("App_1.0.0.car", bytes.NewReader(a), sum(a), PutOptions{})
	require.NoError(t, err)
	_, err = s.Put("App-1.0.0.car", bytes.NewReader(b), sum(b), PutOptions{Replace: true})
	require.NoError(t, err)
	assert.True(t, s.FromAPI("App_1.0.0.car"))
	assert.True(t, s.FromAPI("App-1.0.0.car"))
}
