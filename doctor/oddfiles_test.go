//go:build linux

package doctor

import (
	"os"
	"path/filepath"
	"syscall"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// TestReadHomeRefusesOddFiles: a conf file that is a FIFO, a link to
// /dev/zero or far too large is reported as such, naming the file; reading
// the home neither hangs nor grows without bound, and the other files are
// still read.
func TestReadHomeRefusesOddFiles(t *testing.T) {
	home := homes(t, "")[0]
	conf := filepath.Join(home, "conf")
	replace := func(name string, make func(p string) error) {
		p := filepath.Join(conf, filepath.FromSlash(name))
		require.NoError(t, os.Remove(p))
		require.NoError(t, make(p))
	}
	replace(fileAxis2, func(p string) error { return syscall.Mkfifo(p, 0o644) })
	replace(fileCarbon, func(p string) error { return syscall.Mkfifo(p, 0o644) })
	replace(fileSpark, func(p string) error { return os.Symlink("/dev/zero", p) })
	replace(fileMasterDS, func(p string) error {
		f, err := os.Create(p)
		if err != nil {
			return err
		}
		defer f.Close()
		return f.Truncate(maxConfFile + 1) // sparse: costs no disk
	})

	type res struct {
		f   *Facts
		err error
	}
	ch := make(chan res, 1)
	go func() { f, err := ReadHome("n", home); ch <- res{f, err} }()
	var f *Facts
	select {
	case r := <-ch:
		require.NoError(t, r.err)
		f = r.f
	case <-time.After(30 * time.Second):
		t.Fatal("ReadHome did not return: it opened a FIFO or read /dev/zero")
	}
	for name, want := range map[string]string{
		fileAxis2:    "not a regular file (a FIFO)",
		fileCarbon:   "not a regular file (a FIFO)",
		fileSpark:    "not a regular file (a device)",
		fileMasterDS: "file too large",
	} {
		pe, ok := f.Errors[name]
		if assert.True(t, ok, "%s: no error; have %+v", name, f.Errors) {
			assert.Contains(t, pe.Err, want, name)
			assert.Equal(t, f.file(name), pe.File)
		}
	}
	assert.NotContains(t, f.Errors, fileUserMgt, "the other files are still read")
	assert.NotEmpty(t, f.RealmDatasource)
}
