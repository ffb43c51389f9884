//go:build linux

package regfile

import (
	"errors"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// readOrHang runs ReadFile and fails the test, instead of hanging it, when
// the read does not return.
func readOrHang(t *testing.T, path string, max int64) ([]byte, error) {
	t.Helper()
	type res struct {
		b   []byte
		err error
	}
	ch := make(chan res, 1)
	go func() { b, err := ReadFile(path, max); ch <- res{b, err} }()
	select {
	case r := <-ch:
		return r.b, r.err
	case <-time.After(10 * time.Second):
		t.Fatalf("ReadFile(%s) did not return", path)
		return nil, nil
	}
}

func TestReadFile(t *testing.T) {
	dir := t.TempDir()
	fifo := filepath.Join(dir, "fifo.xml")
	require.NoError(t, syscall.Mkfifo(fifo, 0o644))
	link := filepath.Join(dir, "link.xml")
	require.NoError(t, os.Symlink(fifo, link))
	big := filepath.Join(dir, "big.xml")
	require.NoError(t, os.WriteFile(big, []byte(strings.Repeat("x", 101)), 0o644))
	ok := filepath.Join(dir, "ok.xml")
	require.NoError(t, os.WriteFile(ok, []byte("<a/>"), 0o644))
	okLink := filepath.Join(dir, "oklink.xml")
	require.NoError(t, os.Symlink(ok, okLink))

	for _, tc := range []struct {
		name, path string
		want       string
		is         error
	}{
		{"a FIFO without a writer", fifo, "open " + fifo + ": not a regular file (a FIFO)", ErrNotRegular},
		{"a symlink to a FIFO", link, "open " + link + ": not a regular file (a FIFO)", ErrNotRegular},
		{"/dev/zero", "/dev/zero", "open /dev/zero: not a regular file (a device)", ErrNotRegular},
		{"a directory", dir, "open " + dir + ": not a regular file (a directory)", ErrNotRegular},
		{"too large", big, "read " + big + ": file too large: 101 bytes, more than the 100 bytes allowed for it: is it the right file?", ErrTooLarge},
		{"missing", filepath.Join(dir, "none.xml"), "open " + filepath.Join(dir, "none.xml") + ": no such file or directory", fs.ErrNotExist},
	} {
		t.Run(tc.name, func(t *testing.T) {
			b, err := readOrHang(t, tc.path, 100)
			require.Error(t, err)
			assert.Nil(t, b)
			assert.Equal(t, tc.want, err.Error())
			assert.True(t, errors.Is(err, tc.is), "%v is %v", err, tc.is)
			var pe *fs.PathError
			assert.True(t, errors.As(err, &pe), "a *fs.PathError naming the path")
		})
	}
	for _, p := range []string{ok, okLink} {
		b, err := readOrHang(t, p, 100)
		require.NoError(t, err)
		assert.Equal(t, "<a/>", string(b))
	}
	b, err := readOrHang(t, ok, 4)
	require.NoError(t, err, "exactly the limit is allowed")
	assert.Equal(t, "<a/>", string(b))
}

func TestOpenRefusesWhatIsNotARegularFile(t *testing.T) {
	dir := t.TempDir()
	file := filepath.Join(dir, "a.xml")
	require.NoError(t, os.WriteFile(file, []byte("<a/>"), 0o644))
	link := filepath.Join(dir, "link.xml")
	require.NoError(t, os.Symlink(file, link))
	fifo := filepath.Join(dir, "fifo.xml")
	require.NoError(t, syscall.Mkfifo(fifo, 0o644))

	tests := []struct {
		name, path, kind string
	}{
		{"regular file", file, ""},
		{"symlink to a regular file", link, "symlink"},
		{"FIFO without a writer", fifo, "FIFO"},
		{"directory", dir, "directory"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			done := make(chan error, 1)
			go func() {
				f, _, err := Open(tt.path)
				if f != nil {
					f.Close()
				}
				done <- err
			}()
			var err error
			select {
			case err = <-done:
			case <-time.After(10 * time.Second):
				t.Fatal("Open blocked")
			}
			if tt.kind == "" {
				require.NoError(t, err)
				return
			}
			require.ErrorIs(t, err, ErrNotRegular)
			var nr *NotRegularError
			require.True(t, errors.As(err, &nr))
			assert.Equal(t, tt.kind, nr.Kind)
		})
	}
	_, _, err := Open(filepath.Join(dir, "missing"))
	assert.ErrorIs(t, err, fs.ErrNotExist)
}

func TestOpenFollowingTakesALinkToARegularFile(t *testing.T) {
	dir := t.TempDir()
	file := filepath.Join(dir, "a.xml")
	require.NoError(t, os.WriteFile(file, []byte("<a/>"), 0o644))
	link := filepath.Join(dir, "link.xml")
	require.NoError(t, os.Symlink(file, link))
	f, fi, err := OpenFollowing(link)
	require.NoError(t, err)
	defer f.Close()
	assert.True(t, fi.Mode().IsRegular())
}
