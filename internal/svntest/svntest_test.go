package svntest

import (
	"crypto/rand"
	"os"
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/require"
)

func TestServer(t *testing.T) {
	for _, kind := range AllKinds() {
		t.Run(string(kind), func(t *testing.T) {
			t.Parallel()
			s := New(t, kind)
			require.Equal(t, kind, s.Kind)

			// Commit a binary file with a space in its name and a nested dir.
			wc1 := filepath.Join(t.TempDir(), "wc1")
			s.SVN(t, "checkout", s.URL, wc1)
			files := map[string][]byte{
				"bin file.dat":          randomBytes(t, 64<<10),
				"a/b/c/nested file.jar": randomBytes(t, 4<<10),
			}
			for name, data := range files {
				p := filepath.Join(wc1, filepath.FromSlash(name))
				require.NoError(t, os.MkdirAll(filepath.Dir(p), 0o755))
				require.NoError(t, os.WriteFile(p, data, 0o644))
			}
			s.SVN(t, "add", filepath.Join(wc1, "bin file.dat"), filepath.Join(wc1, "a"))
			s.SVN(t, "commit", "-m", "add files", wc1)

			// A second checkout has the same bytes.
			wc2 := filepath.Join(t.TempDir(), "wc2")
			s.SVN(t, "checkout", s.URL, wc2)
			for name, want := range files {
				got, err := os.ReadFile(filepath.Join(wc2, filepath.FromSlash(name)))
				require.NoError(t, err)
				require.Equal(t, want, got, name)
			}

			if kind == File {
				require.Empty(t, s.Password)
				s.Stop(t) // no-op
				require.Contains(t, s.SVN(t, "info", s.URL), "Revision: 1")
				return
			}

			// Stop makes the URL unreachable; Start brings it back on the same URL.
			url := s.URL
			s.Stop(t)
			out, err := s.TrySVN("info", s.URL)
			require.Error(t, err, out)
			s.Start(t)
			require.Equal(t, url, s.URL)
			require.Contains(t, s.SVN(t, "info", s.URL), "Revision: 1")

			// Wrong credentials are rejected.
			require.Equal(t, User, s.Username)
			out, err = runSVN(t.TempDir(), s.Username, s.Password+"x", "info", s.URL)
			require.Error(t, err, out)
			out, err = runSVN(t.TempDir(), "", "", "info", s.URL)
			require.Error(t, err, out)
		})
	}
}

func TestRequireSkips(t *testing.T) {
	t.Setenv(requireEnv, "")
	ran := false
	t.Run("missing", func(t *testing.T) {
		Require(t, "svn", "no-such-binary-svntest")
		ran = true
	})
	require.False(t, ran, "Require should have skipped")
}

func randomBytes(t *testing.T, n int) []byte {
	b := make([]byte, n)
	_, err := rand.Read(b)
	require.NoError(t, err)
	b[0] = 0 // make sure svn sees a binary file
	return b
}
