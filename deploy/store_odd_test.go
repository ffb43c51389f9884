package deploy

import (
	"bytes"
	"os"
	"path/filepath"
	"syscall"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/depsync/depsync/deploy/client"
	"github.com/depsync/depsync/internal/backup"
	"github.com/depsync/depsync/internal/regfile"
	"github.com/depsync/depsync/internal/testcapp"
)

// TestStoreListsOddNamesAsInvalid: a C-App name that is a symlink, a FIFO
// or a socket is listed with Error set (never read, never hashed: not
// pushed, and not taken for a deletion); a folder named like a C-App is
// not listed; Get of a FIFO answers without blocking.
func TestStoreListsOddNamesAsInvalid(t *testing.T) {
	dir := t.TempDir()
	elsewhere := t.TempDir()
	target := testcapp.Write(t, elsewhere, "One_1.0.0.car", "One", "1.0.0")
	testcapp.Write(t, dir, "Two_1.0.0.car", "Two", "1.0.0")
	require.NoError(t, os.Symlink(target, filepath.Join(dir, "One_1.0.0.car")))
	require.NoError(t, syscall.Mkfifo(filepath.Join(dir, "Fifo_1.0.0.car"), 0o644))
	require.NoError(t, os.Mkdir(filepath.Join(dir, "Dir_1.0.0.car"), 0o755))
	s, err := NewStore(dir, 0)
	require.NoError(t, err)

	done := make(chan struct{})
	var entries []Entry
	go func() {
		defer close(done)
		entries, err = s.List()
	}()
	select {
	case <-done:
	case <-time.After(10 * time.Second):
		t.Fatal("List blocked")
	}
	require.NoError(t, err)
	byName := map[string]Entry{}
	for _, e := range entries {
		byName[e.File] = e
	}
	assert.Len(t, entries, 3, "%v", entries)
	assert.True(t, byName["Two_1.0.0.car"].Valid())
	for name, kind := range map[string]string{"One_1.0.0.car": "symlink", "Fifo_1.0.0.car": "FIFO"} {
		e, ok := byName[name]
		require.True(t, ok, "%s not listed", name)
		assert.False(t, e.Valid(), name)
		assert.Contains(t, e.Error, kind, name)
		assert.Empty(t, e.SHA256, name)
	}
	e, err := s.Get("Fifo_1.0.0.car")
	require.NoError(t, err)
	assert.Contains(t, e.Error, "FIFO")
}

// TestStorePutReplacesOddNames: a push of a C-App whose name is a FIFO or
// a symlink on this node replaces it with the file, without blocking on
// the FIFO (the backup of what is replaced reads nothing of it) and
// without writing through the link.
func TestStorePutReplacesOddNames(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "carbonapps")
	s, err := NewStore(dir, 0)
	require.NoError(t, err)
	s.KeepBackups(backup.New(filepath.Join(t.TempDir(), "overwritten"), backup.Options{}), "carbonapps")
	outside := filepath.Join(t.TempDir(), "outside.car")
	require.NoError(t, os.WriteFile(outside, []byte("not mine"), 0o644))
	require.NoError(t, syscall.Mkfifo(filepath.Join(dir, "Fifo_1.0.0.car"), 0o644))
	require.NoError(t, os.Symlink(outside, filepath.Join(dir, "Link_1.0.0.car")))

	for _, name := range []string{"Fifo_1.0.0.car", "Link_1.0.0.car"} {
		body := testcapp.Build(t, name[:4], "1.0.0")
		done := make(chan error, 1)
		go func() {
			_, err := s.Put(name, bytes.NewReader(body), sum(body), PutOptions{})
			done <- err
		}()
		select {
		case err := <-done:
			require.NoError(t, err, name)
		case <-time.After(10 * time.Second):
			t.Fatalf("Put of %s blocked", name)
		}
		fi, err := os.Lstat(filepath.Join(dir, name))
		require.NoError(t, err)
		assert.True(t, fi.Mode().IsRegular(), name)
	}
	data, err := os.ReadFile(outside)
	require.NoError(t, err)
	assert.Equal(t, "not mine", string(data), "written through the link")
}

// TestClientPutRefusesAFIFO: pushing a path that is a FIFO (a C-App
// swapped for one after the manager listed it, or named by hand) fails
// at once instead of blocking on the open.
func TestClientPutRefusesAFIFO(t *testing.T) {
	fifo := filepath.Join(t.TempDir(), "App_1.0.0.car")
	require.NoError(t, syscall.Mkfifo(fifo, 0o644))
	c, err := client.New(client.Options{Token: testToken, RetryMax: -1})
	require.NoError(t, err)
	done := make(chan error, 1)
	go func() {
		_, err := c.Put(t.Context(), "http://127.0.0.1:1", fifo, client.PutRequest{})
		done <- err
	}()
	select {
	case err := <-done:
		require.ErrorIs(t, err, regfile.ErrNotRegular)
	case <-time.After(10 * time.Second):
		t.Fatal("Put blocked on the FIFO")
	}
}
