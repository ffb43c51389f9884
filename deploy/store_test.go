package deploy

import (
	"bytes"
	"crypto/sha256"
	"errors"
	"io"
	"io/fs"
	"net/http"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"sync"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/depsync/depsync/carbonapp"
	"github.com/depsync/depsync/deploy/cappname"
	"github.com/depsync/depsync/internal/backup"
	"github.com/depsync/depsync/internal/sfv"
	"github.com/depsync/depsync/internal/testcapp"
)

func sum(b []byte) []byte { s := sha256.Sum256(b); return s[:] }

// dirNames lists every name in dir, dot files included.
func dirNames(t testing.TB, dir string) []string {
	t.Helper()
	ents, err := os.ReadDir(dir)
	require.NoError(t, err)
	var out []string
	for _, e := range ents {
		out = append(out, e.Name())
	}
	sort.Strings(out)
	return out
}

func TestStorePutListDelete(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "carbonapps") // created by NewStore
	s, err := NewStore(dir, 0)
	require.NoError(t, err)

	a := testcapp.Build(t, "App", "1.0.0")
	res, err := s.Put("App_1.0.0.car", bytes.NewReader(a), sum(a), PutOptions{})
	require.NoError(t, err)
	require.Equal(t, StatusCreated, res.Status)
	require.Equal(t, "App_1.0.0", res.ID)

	got, err := os.ReadFile(filepath.Join(dir, "App_1.0.0.car"))
	require.NoError(t, err)
	require.Equal(t, a, got)
	fi, _ := os.Stat(filepath.Join(dir, "App_1.0.0.car"))

	res, err = s.Put("App_1.0.0.car", bytes.NewReader(a), nil, PutOptions{})
	require.NoError(t, err)
	require.Equal(t, StatusUnchanged, res.Status)
	fi2, _ := os.Stat(filepath.Join(dir, "App_1.0.0.car"))
	require.True(t, os.SameFile(fi, fi2), "unchanged must not rewrite the file")
	require.Equal(t, fi.ModTime(), fi2.ModTime())

	a2 := testcapp.Build(t, "App", "1.0.0", testcapp.Artifacts("api_a", "api_b"))
	res, err = s.Put("App_1.0.0.car", bytes.NewReader(a2), sum(a2), PutOptions{})
	require.NoError(t, err)
	require.Equal(t, StatusUpdated, res.Status)

	// An invalid .car and dot/temp files are listed / skipped as documented.
	require.NoError(t, os.WriteFile(filepath.Join(dir, "broken.car"), []byte("not a zip at all"), 0o644))
	require.NoError(t, os.WriteFile(filepath.Join(dir, ".hidden.car"), a, 0o644))
	require.NoError(t, os.WriteFile(filepath.Join(dir, "notes.txt"), a, 0o644))
	list, err := s.List()
	require.NoError(t, err)
	require.Len(t, list, 2)
	require.Equal(t, "App_1.0.0.car", list[0].File)
	require.Equal(t, "App_1.0.0", list[0].ID)
	require.Equal(t, "App", list[0].Name)
	require.Equal(t, "1.0.0", list[0].Version)
	require.Equal(t, int64(len(a2)), list[0].Size)
	require.Equal(t, res.SHA256, list[0].SHA256)
	require.True(t, list[0].Valid())
	require.Equal(t, "broken.car", list[1].File)
	require.False(t, list[1].Valid())
	require.NotEmpty(t, list[1].Error)
	require.Empty(t, list[1].ID)
	require.Len(t, list[1].SHA256, 64)

	require.NoError(t, s.Delete("App_1.0.0.car"))
	require.ErrorIs(t, s.Delete("App_1.0.0.car"), ErrNotFound)
	require.ErrorIs(t, s.Delete("../x.car"), cappname.ErrBad)
}

func TestStoreListCache(t *testing.T) {
	dir := t.TempDir()
	s, err := NewStore(dir, 0)
	require.NoError(t, err)
	p := testcapp.Write(t, dir, "A_1.car", "A", "1")
	l1, err := s.List()
	require.NoError(t, err)
	// Overwrite with other bytes of the same size: the key (mtime, inode)
	// changes, so the entry is recomputed.
	b := testcapp.Build(t, "B", "1")
	require.NoError(t, os.WriteFile(p+".new", b, 0o644))
	require.NoError(t, os.Rename(p+".new", p))
	l2, err := s.List()
	require.NoError(t, err)
	require.Equal(t, "A_1", l1[0].ID)
	require.Equal(t, "B_1", l2[0].ID)
	require.Len(t, s.cache, 1)
	require.NoError(t, os.Remove(p))
	l3, err := s.List()
	require.NoError(t, err)
	require.Empty(t, l3)
	require.Empty(t, s.cache)
}

func TestStorePutErrorsLeaveNothing(t *testing.T) {
	a := testcapp.Build(t, "App", "1.0.0")
	big := testcapp.Build(t, "Big", "1.0.0", testcapp.Pad(64<<10))
	cases := []struct {
		name string
		file string
		body []byte
		want []byte
		err  error
	}{
		{"bad name", "../x.car", a, nil, cappname.ErrBad},
		{"digest mismatch", "App_1.0.0.car", a, sum([]byte("other")), sfv.ErrDigestMismatch},
		{"not a zip", "App_1.0.0.car", []byte("hello"), nil, ErrInvalidCApp},
		{"empty", "App_1.0.0.car", nil, nil, ErrInvalidCApp},
		{"truncated", "App_1.0.0.car", a[:len(a)/2], nil, carbonapp.ErrIncomplete},
		{"too large", "Big_1.0.0.car", big, nil, ErrTooLarge},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			dir := t.TempDir()
			s, err := NewStore(dir, 32<<10)
			require.NoError(t, err)
			_, err = s.Put(c.file, bytes.NewReader(c.body), c.want, PutOptions{})
			require.ErrorIs(t, err, c.err)
			require.Empty(t, dirNames(t, dir))
		})
	}
}

type failingReader struct {
	r io.Reader
	n int
}

func (f *failingReader) Read(p []byte) (int, error) {
	if f.n <= 0 {
		return 0, errors.New("connection reset")
	}
	if len(p) > f.n {
		p = p[:f.n]
	}
	n, err := f.r.Read(p)
	f.n -= n
	return n, err
}

func TestStoreInterruptedUpload(t *testing.T) {
	dir := t.TempDir()
	s, err := NewStore(dir, 0)
	require.NoError(t, err)
	a := testcapp.Build(t, "App", "1.0.0", testcapp.Pad(100<<10))
	_, err = s.Put("App_1.0.0.car", &failingReader{r: bytes.NewReader(a), n: 50 << 10}, sum(a), PutOptions{})
	require.ErrorIs(t, err, errReceive)
	require.Empty(t, dirNames(t, dir))
}

func TestStoreDuplicateID(t *testing.T) {
	dir := t.TempDir()
	s, err := NewStore(dir, 0)
	require.NoError(t, err)
	a := testcapp.Build(t, "App", "1.0.0")
	_, err = s.Put("old-name.car", bytes.NewReader(a), nil, PutOptions{})
	require.NoError(t, err)
	b := testcapp.Build(t, "App", "1.0.0", testcapp.Artifacts("api_b"))
	_, err = s.Put("App_1.0.0.car", bytes.NewReader(b), nil, PutOptions{})
	require.ErrorIs(t, err, ErrDuplicateID)
	var de *DuplicateIDError
	require.ErrorAs(t, err, &de)
	require.Equal(t, "old-name.car", de.Other)
	require.Equal(t, []string{"old-name.car"}, dirNames(t, dir))

	res, err := s.Put("App_1.0.0.car", bytes.NewReader(b), nil, PutOptions{Replace: true})
	require.NoError(t, err)
	require.Equal(t, StatusCreated, res.Status)
	require.Equal(t, []string{"old-name.car"}, res.Replaced)
	require.Equal(t, []string{"App_1.0.0.car"}, dirNames(t, dir))
}

func TestStoreConcurrentPuts(t *testing.T) {
	dir := t.TempDir()
	s, err := NewStore(dir, 0)
	require.NoError(t, err)
	apps := map[string][]byte{}
	for _, n := range []string{"A", "B", "C", "D"} {
		apps[n+"_1.car"] = testcapp.Build(t, n, "1", testcapp.Pad(256<<10))
	}
	var wg sync.WaitGroup
	for i := 0; i < 3; i++ {
		for f, b := range apps {
			wg.Go(func() {
				_, err := s.Put(f, bytes.NewReader(b), sum(b), PutOptions{})
				require.NoError(t, err)
			})
		}
	}
	wg.Wait()
	require.Equal(t, []string{"A_1.car", "B_1.car", "C_1.car", "D_1.car"}, dirNames(t, dir))
}

// TestStoreCrashMidUpload kills a process that is writing a C-App through a
// Store (kill -9, as a crash would): it leaves its temporary file, no .car;
// NewStore removes the temporary file at the next start.
func TestStoreCrashMidUpload(t *testing.T) {
	if os.Getenv("DEPSYNC_TEST_CRASH_CHILD") != "" {
		s, err := NewStore(os.Getenv("DEPSYNC_TEST_CRASH_DIR"), 0)
		if err != nil {
			os.Exit(3)
		}
		// Stream from stdin forever: the parent kills us mid-upload.
		_, _ = s.Put("App_1.0.0.car", os.Stdin, nil, PutOptions{})
		os.Exit(4)
	}
	dir := t.TempDir()
	require.NoError(t, os.WriteFile(filepath.Join(dir, "Keep_1.car"), testcapp.Build(t, "Keep", "1"), 0o644))
	child := crashChild(t, "TestStoreCrashMidUpload", dir)
	defer child.kill()
	child.feed(t, testcapp.Build(t, "App", "1.0.0", testcapp.Pad(2<<20))[:1<<20])
	waitFor(t, func() bool {
		for _, n := range dirNames(t, dir) {
			if IsTemp(n) {
				fi, err := os.Stat(filepath.Join(dir, n))
				return err == nil && fi.Size() > 0
			}
		}
		return false
	})
	child.kill()

	names := dirNames(t, dir)
	require.Len(t, names, 2, "the temporary file stays after a crash")
	for _, n := range names {
		require.True(t, n == "Keep_1.car" || IsTemp(n), n)
		require.False(t, strings.HasSuffix(n, ".car") && n != "Keep_1.car", "no partial .car")
	}
	_, err := NewStore(dir, 0)
	require.NoError(t, err)
	require.Equal(t, []string{"Keep_1.car"}, dirNames(t, dir))
}

// TestStoreKeepsBackups: what a push replaces or a prune deletes is copied
// to <root>/<UTC time>/carbonapps/<file> first.
func TestStoreKeepsBackups(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "carbonapps")
	root := filepath.Join(t.TempDir(), "overwritten")
	s, err := NewStore(dir, 0)
	require.NoError(t, err)
	s.KeepBackups(backup.New(root, backup.Options{}), "carbonapps")

	backups := func() map[string][]byte {
		out := map[string][]byte{}
		_ = filepath.WalkDir(root, func(p string, d fs.DirEntry, err error) error {
			if err == nil && d.IsDir() && d.Name() == ".objects" {
				return filepath.SkipDir // the content index, not a copy
			}
			if err == nil && d.Type().IsRegular() {
				data, _ := os.ReadFile(p)
				rel, _ := filepath.Rel(root, p)
				out[rel] = data
			}
			return nil
		})
		return out
	}
	v1 := testcapp.Build(t, "App", "1.0.0")
	v2 := testcapp.Build(t, "App", "1.0.0", testcapp.Artifacts("api_a", "api_b"))
	other := testcapp.Build(t, "App", "1.0.0", testcapp.Artifacts("api_c"))

	_, err = s.Put("App_1.0.0.car", bytes.NewReader(v1), sum(v1), PutOptions{})
	require.NoError(t, err)
	assert.Empty(t, backups(), "a new file replaces nothing")
	_, err = s.Put("App_1.0.0.car", bytes.NewReader(v2), sum(v2), PutOptions{})
	require.NoError(t, err)
	_, err = s.Put("App-1.0.0.car", bytes.NewReader(other), sum(other), PutOptions{Replace: true})
	require.NoError(t, err)
	require.NoError(t, s.Delete("App-1.0.0.car"))

	var got [][]byte
	for rel, data := range backups() {
		assert.Regexp(t, `^\d{8}T\d{6}\.\d{9}Z/carbonapps/App[_-]1\.0\.0\.car$`, filepath.ToSlash(rel))
		got = append(got, data)
	}
	assert.ElementsMatch(t, [][]byte{v1, v2, other}, got, "updated, replaced and deleted versions are all kept")
}

// TestStoreNoCreate: a store that does not make up its directory lists
// nothing (worker, MkdirOnPut) or fails (manager) while it is missing; a
// worker's first C-App makes it, a manager's is refused with ErrNoDir.
func TestStoreNoCreate(t *testing.T) {
	app := testcapp.Build(t, "App", "1.0.0")
	t.Run("manager", func(t *testing.T) {
		dir := filepath.Join(t.TempDir(), "carbonapps")
		s, err := NewStoreWith(dir, StoreOptions{NoCreate: true})
		require.NoError(t, err)
		assert.NoDirExists(t, dir)
		_, err = s.List()
		assert.ErrorIs(t, err, fs.ErrNotExist)
		_, err = s.Put("App_1.0.0.car", bytes.NewReader(app), sum(app), PutOptions{})
		require.ErrorIs(t, err, ErrNoDir)
		code, _ := putErrorCode(err)
		assert.Equal(t, http.StatusServiceUnavailable, code)
		assert.NoDirExists(t, dir)
	})
	t.Run("worker", func(t *testing.T) {
		dir := filepath.Join(t.TempDir(), "carbonapps")
		s, err := NewStoreWith(dir, StoreOptions{NoCreate: true, MkdirOnPut: true})
		require.NoError(t, err)
		assert.NoDirExists(t, dir)
		l, err := s.List()
		require.NoError(t, err)
		assert.Empty(t, l)
		_, err = s.Put("App_1.0.0.car", bytes.NewReader(app), sum(app), PutOptions{})
		require.NoError(t, err)
		assert.Equal(t, []string{"App_1.0.0.car"}, dirNames(t, dir))
	})
}
