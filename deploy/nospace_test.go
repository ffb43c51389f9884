package deploy

import (
	"bytes"
	"fmt"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/depsync/depsync/config"
	"github.com/depsync/depsync/deploy/client"
	"github.com/depsync/depsync/internal/httpserver"
	"github.com/depsync/depsync/internal/testcapp"
)

// smallFS mounts a tmpfs of size bytes for the test and returns it. It
// needs root on Linux; elsewhere the test is skipped, unless
// DEPSYNC_REQUIRE_INTEGRATION=1 makes that a failure.
func smallFS(t *testing.T, size int64) string {
	t.Helper()
	skip := func(why string) {
		if os.Getenv("DEPSYNC_REQUIRE_INTEGRATION") == "1" {
			t.Fatalf("a small file system is required: %s", why)
		}
		t.Skip(why)
	}
	if runtime.GOOS != "linux" || os.Geteuid() != 0 {
		skip("mounting a tmpfs needs root on Linux")
	}
	dir := t.TempDir()
	out, err := exec.Command("mount", "-t", "tmpfs", "-o", fmt.Sprintf("size=%d", size), "tmpfs", dir).CombinedOutput()
	if err != nil {
		skip(fmt.Sprintf("mount tmpfs: %v: %s", err, out))
	}
	t.Cleanup(func() { _ = exec.Command("umount", "-l", dir).Run() })
	return dir
}

// TestPutOnFullDisk: a PUT that hits ENOSPC answers 507 with a clear
// message and leaves no temporary or partial file in carbonapps; once
// space returns, the same PUT succeeds.
func TestPutOnFullDisk(t *testing.T) {
	fsDir := smallFS(t, 1<<20)
	dir := filepath.Join(fsDir, "carbonapps")
	store, err := NewStore(dir, 0)
	require.NoError(t, err)
	small := testcapp.Write(t, t.TempDir(), "Small_1.car", "Small", "1")
	bigApp := testcapp.Build(t, "Big", "1.0.0", testcapp.Pad(2<<20))

	_, err = store.Put("Big_1.0.0.car", bytes.NewReader(bigApp), sum(bigApp), PutOptions{Length: int64(len(bigApp))})
	require.Error(t, err)
	assert.True(t, isNoSpace(err), "%v", err)
	code, kind := putErrorCode(err)
	assert.Equal(t, http.StatusInsufficientStorage, code)
	assert.Equal(t, "no_space", kind)
	assert.Empty(t, dirNames(t, dir), "no temporary or partial file left")

	base := serveNode(t, store, config.RoleManager, config.TLS{}, httpserver.Options{})
	c, err := client.New(client.Options{Token: hardToken, RetryMax: -1})
	require.NoError(t, err)
	p := filepath.Join(t.TempDir(), "Big_1.0.0.car")
	require.NoError(t, os.WriteFile(p, bigApp, 0o644))
	_, err = c.Put(t.Context(), base, p, client.PutRequest{})
	var ae *client.APIError
	require.ErrorAs(t, err, &ae)
	assert.Equal(t, http.StatusInsufficientStorage, ae.StatusCode)
	assert.Contains(t, ae.Message, "no space left")
	assert.Empty(t, dirNames(t, dir))

	// What fits still goes in.
	_, err = c.Put(t.Context(), base, small, client.PutRequest{})
	require.NoError(t, err)
	assert.Equal(t, []string{"Small_1.car"}, dirNames(t, dir))
}
