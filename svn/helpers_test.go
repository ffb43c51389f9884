package svn

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"io/fs"
	"log/slog"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/depsync/depsync/internal/svntest"
)

// syncBuffer is a goroutine-safe log sink.
type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

// testClient returns a client for s that logs at debug level into the
// returned buffer.
func testClient(t testing.TB, s *svntest.Server, mod ...func(*Options)) (*Client, *syncBuffer) {
	t.Helper()
	logs := &syncBuffer{}
	opts := Options{
		Username:     s.Username,
		Password:     s.Password,
		StateDir:     t.TempDir(),
		Timeout:      2 * time.Minute,
		ProbeTimeout: 30 * time.Second,
		Logger:       slog.New(slog.NewTextHandler(logs, &slog.HandlerOptions{Level: slog.LevelDebug})),
	}
	for _, m := range mod {
		m(&opts)
	}
	c, err := New(opts)
	require.NoError(t, err)
	t.Cleanup(func() {
		if s.Password != "" && strings.Contains(logs.String(), s.Password) {
			t.Errorf("the password appears in the client's logs")
		}
	})
	return c, logs
}

// checkout checks the repository root out into a new directory.
func checkout(t testing.TB, c *Client, url string) string {
	t.Helper()
	dir := filepath.Join(t.TempDir(), "wc")
	_, err := c.Checkout(t.Context(), url, dir, false)
	require.NoError(t, err)
	return dir
}

// node is a file or directory of a tree, as compared by sameTree.
type node struct {
	Dir  bool
	Exec bool
	Sum  string
	Size int64
}

// tree lists dir's files and directories (without .svn) with their content
// hashes and executable bits.
func tree(t testing.TB, dir string) map[string]node {
	t.Helper()
	out := map[string]node{}
	err := filepath.WalkDir(dir, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if d.Name() == ".svn" {
			return filepath.SkipDir
		}
		rel, err := filepath.Rel(dir, p)
		if err != nil {
			return err
		}
		if rel == "." {
			return nil
		}
		rel = filepath.ToSlash(rel)
		if d.IsDir() {
			out[rel] = node{Dir: true}
			return nil
		}
		fi, err := d.Info()
		if err != nil {
			return err
		}
		data, err := os.ReadFile(p)
		if err != nil {
			return err
		}
		sum := sha256.Sum256(data)
		out[rel] = node{Exec: isExecutable(fi), Sum: hex.EncodeToString(sum[:]), Size: fi.Size()}
		return nil
	})
	require.NoError(t, err)
	return out
}

func writeFile(t testing.TB, path string, data string, mode os.FileMode) {
	t.Helper()
	require.NoError(t, os.MkdirAll(filepath.Dir(path), 0o755))
	require.NoError(t, os.WriteFile(path, []byte(data), mode))
	require.NoError(t, os.Chmod(path, mode))
}

// svnProcesses returns the pids of running processes whose command line
// mentions configDir.
func svnProcesses(t testing.TB, configDir string) []string {
	t.Helper()
	var pids []string
	ents, err := os.ReadDir("/proc")
	require.NoError(t, err)
	for _, e := range ents {
		if e.Name()[0] < '0' || e.Name()[0] > '9' {
			continue
		}
		cmdline, err := os.ReadFile(filepath.Join("/proc", e.Name(), "cmdline"))
		if err == nil && bytes.Contains(cmdline, []byte(configDir)) {
			pids = append(pids, e.Name())
		}
	}
	return pids
}

// rawSVN builds a raw svn command with the same global options as the
// client, for benchmarks and for processes the tests kill.
func rawSVN(c *Client, dir string, args ...string) *exec.Cmd {
	argv := append([]string{args[0]}, c.globalArgs(true)...)
	argv = append(argv, args[1:]...)
	cmd := exec.Command(c.Binary, argv...)
	cmd.Dir = dir
	cmd.Env = svnEnv()
	if c.Password != "" {
		cmd.Stdin = strings.NewReader(c.Password + "\n")
	}
	return cmd
}

// netListen starts a TCP server on 127.0.0.1 that accepts connections and
// never answers; it returns its address.
func netListen(t testing.TB) (string, error) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return "", err
	}
	var mu sync.Mutex
	var conns []net.Conn
	go func() {
		for {
			c, err := l.Accept()
			if err != nil {
				return
			}
			mu.Lock()
			conns = append(conns, c)
			mu.Unlock()
		}
	}()
	t.Cleanup(func() {
		assert.NoError(t, l.Close())
		mu.Lock()
		defer mu.Unlock()
		for _, c := range conns {
			assert.NoError(t, c.Close())
		}
	})
	return l.Addr().String(), nil
}

func kindName(k svntest.Kind) string { return string(k) }

func requireSVN(t testing.TB) {
	t.Helper()
	svntest.Require(t, "svn", "svnadmin")
}

// authKinds are the servers that take a password: svnserve and Apache.
var authKinds = []svntest.Kind{svntest.SVNServe, svntest.HTTP}

// forEachServer runs test against a new repository of each kind, each in
// a parallel subtest named after the kind.
func forEachServer(t *testing.T, kinds []svntest.Kind, test func(t *testing.T, s *svntest.Server)) {
	t.Helper()
	eachServer(t, kinds, true, test)
}

// forEachServerInTurn is forEachServer for tests that must not share the
// machine with each other (they watch every process).
func forEachServerInTurn(t *testing.T, kinds []svntest.Kind, test func(t *testing.T, s *svntest.Server)) {
	t.Helper()
	eachServer(t, kinds, false, test)
}

func eachServer(t *testing.T, kinds []svntest.Kind, parallel bool, test func(t *testing.T, s *svntest.Server)) {
	t.Helper()
	for _, kind := range kinds {
		t.Run(kindName(kind), func(t *testing.T) {
			if parallel {
				t.Parallel()
			}
			test(t, svntest.New(t, kind))
		})
	}
}
