// Package daemontest runs depsync daemons as real processes for end-to-end
// tests, chaos runs and benchmarks: it builds the binary once, writes each
// node's config, starts, stops and kill -9s nodes, and reads their status.
package daemontest

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/depsync/depsync/internal/procgroup"
	"github.com/depsync/depsync/internal/svntest"
	"go.yaml.in/yaml/v3"
)

// Token is the /v1 API token every test cluster shares: 32 characters or
// more, as a production token must be.
const Token = "daemontest-token-0123456789abcdef0123456789"

var (
	buildOnce sync.Once
	buildPath string
	buildErr  error
)

// Binary builds cmd/depsync once per test process and returns its path.
func Binary(t testing.TB) string {
	t.Helper()
	buildOnce.Do(func() {
		dir, err := os.MkdirTemp("", "depsync-bin-")
		if err != nil {
			buildErr = err
			return
		}
		buildPath = filepath.Join(dir, "depsync")
		args := []string{"build", "-o", buildPath}
		if raceEnabled {
			args = append(args, "-race")
		}
		cmd := exec.Command("go", append(args, "./cmd/depsync")...)
		cmd.Dir = moduleRoot()
		if out, err := cmd.CombinedOutput(); err != nil {
			buildErr = fmt.Errorf("go build: %v\n%s", err, out)
		}
	})
	if buildErr != nil {
		t.Fatal(buildErr)
	}
	return buildPath
}

func moduleRoot() string {
	_, file, _, _ := runtime.Caller(0)
	return filepath.Join(filepath.Dir(file), "..", "..")
}

// Config describes one node of a test cluster.
type Config struct {
	Name string
	Role string // "manager" or "worker"
	SVN  *svntest.Server
	// SVNURL, when set, is the svn.url this node uses instead of SVN.URL:
	// the same repository reached another way (e.g. through a proxy that a
	// test cuts to take this node's route to SVN away while others keep
	// theirs). SVN still gives the credentials.
	SVNURL string
	Peers  []string
	// Settings are further config keys, dotted (e.g. "sync.debounce": "100ms").
	Settings map[string]any
}

// Node is one depsync daemon process and its directories.
type Node struct {
	Config
	Bin        string
	Home       string // carbon.home
	Dir        string // the deployment directory
	StateDir   string
	ConfigFile string
	Listen     string
	URL        string

	settings map[string]any

	mu   sync.Mutex
	cmd  *exec.Cmd
	done chan struct{}
	logs *lockedBuffer
}

// NewNode writes a node's config on a free loopback port; Start runs it.
func NewNode(t testing.TB, bin string, c Config) *Node {
	t.Helper()
	// Not t.TempDir: svn processes of a killed daemon may still be on
	// their way out and write a last file while the directory goes, which
	// t.TempDir's cleanup reports as a failure; the cleanup below retries.
	home, err := os.MkdirTemp("", "depsync-node-")
	if err != nil {
		t.Fatal(err)
	}
	n := &Node{
		Config:   c,
		Bin:      bin,
		Home:     home,
		Dir:      filepath.Join(home, "repository", "deployment", "server"),
		StateDir: filepath.Join(home, "depsync-state"),
		Listen:   fmt.Sprintf("127.0.0.1:%d", svntest.FreePort(t)),
		logs:     &lockedBuffer{},
	}
	n.URL = "http://" + n.Listen
	if c.Role == "manager" {
		// A Carbon home has its deployment directory; a manager waits for
		// a missing one rather than make it up.
		if err := os.MkdirAll(n.Dir, 0o755); err != nil {
			t.Fatal(err)
		}
	}
	settings := map[string]any{
		"role":        c.Role,
		"node_name":   c.Name,
		"listen":      n.Listen,
		"carbon.home": home,
		"peers":       c.Peers,
	}
	if c.SVN != nil {
		settings["svn.url"] = c.SVN.URL
		if c.SVNURL != "" {
			settings["svn.url"] = c.SVNURL
		}
		settings["svn.username"] = c.SVN.Username
	}
	for k, v := range c.Settings {
		settings[k] = v
	}
	n.settings = settings
	n.ConfigFile = filepath.Join(home, "depsync.yaml")
	n.writeConfig(t)
	t.Cleanup(func() {
		n.Kill(t)
		if t.Failed() {
			t.Logf("--- %s (%s) log ---\n%s", c.Name, c.Role, n.Logs())
		}
		for try := 0; try < 50; try++ {
			if err = os.RemoveAll(home); err == nil {
				return
			}
			time.Sleep(20 * time.Millisecond)
		}
		t.Logf("daemontest: could not remove %s: %v", home, err)
	})
	return n
}

// SetPeers changes the node's peers (e.g. a worker's manager, known only
// once the manager's node exists); it takes effect at the next Start.
func (n *Node) SetPeers(t testing.TB, peers ...string) {
	n.Peers = peers
	n.settings["peers"] = peers
	n.writeConfig(t)
}

func (n *Node) writeConfig(t testing.TB) {
	data, err := yaml.Marshal(nest(n.settings))
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(n.ConfigFile, data, 0o600); err != nil {
		t.Fatal(err)
	}
}

// nest turns dotted keys into the nested maps of a YAML document.
func nest(flat map[string]any) map[string]any {
	out := map[string]any{}
	for k, v := range flat {
		m := out
		parts := strings.Split(k, ".")
		for _, p := range parts[:len(parts)-1] {
			sub, ok := m[p].(map[string]any)
			if !ok {
				sub = map[string]any{}
				m[p] = sub
			}
			m = sub
		}
		m[parts[len(parts)-1]] = v
	}
	return out
}

// Env is the environment a node runs with: secrets go there, never in argv.
func (n *Node) Env() []string {
	env := append(os.Environ(), "DEPSYNC_TOKEN="+Token)
	if n.SVN != nil && n.SVN.Password != "" {
		env = append(env, "DEPSYNC_SVN_PASSWORD="+n.SVN.Password)
	}
	return env
}

// Start runs `depsync run` for the node and waits until /healthz answers.
func (n *Node) Start(t testing.TB, args ...string) {
	t.Helper()
	n.mu.Lock()
	if n.cmd != nil {
		n.mu.Unlock()
		t.Fatalf("%s already running", n.Name)
	}
	cmd := exec.Command(n.Bin, append([]string{"run", "--config", n.ConfigFile, "--log-level", "debug"}, args...)...)
	cmd.Env = n.Env()
	fmt.Fprintf(n.logs, "=== start %s\n", time.Now().Format(time.RFC3339Nano))
	cmd.Stdout, cmd.Stderr = n.logs, n.logs
	cmd.SysProcAttr = procgroup.Attr(syscall.SIGKILL) // killed with the test binary should it die first
	if err := cmd.Start(); err != nil {
		n.mu.Unlock()
		t.Fatalf("start %s: %v", n.Name, err)
	}
	done := make(chan struct{})
	go func() { _ = cmd.Wait(); close(done) }()
	n.cmd, n.done = cmd, done
	n.mu.Unlock()

	deadline := time.Now().Add(30 * time.Second)
	for time.Now().Before(deadline) {
		select {
		case <-done:
			t.Fatalf("%s exited at start:\n%s", n.Name, n.Logs())
		default:
		}
		if resp, err := http.Get(n.URL + "/healthz"); err == nil {
			resp.Body.Close()
			if resp.StatusCode == 200 {
				return
			}
		}
		time.Sleep(20 * time.Millisecond)
	}
	t.Fatalf("%s: /healthz not up within 30s:\n%s", n.Name, n.Logs())
}

// Pid returns the process id of the running node, or 0.
func (n *Node) Pid() int {
	n.mu.Lock()
	defer n.mu.Unlock()
	if n.cmd == nil {
		return 0
	}
	return n.cmd.Process.Pid
}

// Running reports whether the node's process is alive.
func (n *Node) Running() bool {
	n.mu.Lock()
	defer n.mu.Unlock()
	if n.cmd == nil {
		return false
	}
	select {
	case <-n.done:
		return false
	default:
		return true
	}
}

// Kill sends SIGKILL to the node's whole process group (svn children too)
// and waits for it. It does nothing when the node is not running.
func (n *Node) Kill(t testing.TB) { n.signal(t, syscall.SIGKILL, 10*time.Second) }

// Stop sends SIGTERM and waits for a clean exit, returning the exit code.
func (n *Node) Stop(t testing.TB) int {
	n.mu.Lock()
	cmd := n.cmd
	n.mu.Unlock()
	if cmd == nil {
		return -1
	}
	n.signal(t, syscall.SIGTERM, 30*time.Second)
	return cmd.ProcessState.ExitCode()
}

func (n *Node) signal(t testing.TB, sig syscall.Signal, wait time.Duration) {
	n.mu.Lock()
	defer n.mu.Unlock()
	if n.cmd == nil {
		return
	}
	if sig == syscall.SIGKILL {
		_ = syscall.Kill(-n.cmd.Process.Pid, sig)
	} else {
		_ = n.cmd.Process.Signal(sig)
	}
	select {
	case <-n.done:
	case <-time.After(wait):
		_ = syscall.Kill(-n.cmd.Process.Pid, syscall.SIGKILL)
		<-n.done
		t.Errorf("%s did not exit within %s of %v", n.Name, wait, sig)
	}
	n.cmd = nil
}

// Logs returns everything the node has printed so far.
func (n *Node) Logs() string { return n.logs.String() }

// Get fetches path from the node's API with the cluster token and decodes
// the JSON reply into v (when v is not nil). It returns the status code.
func (n *Node) Get(path string, v any) (int, error) {
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, n.URL+path, nil)
	if err != nil {
		return 0, err
	}
	req.Header.Set("Authorization", "Bearer "+Token)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return 0, err
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(resp.Body)
	if err != nil {
		return resp.StatusCode, err
	}
	if v != nil {
		if err := json.Unmarshal(body, v); err != nil {
			return resp.StatusCode, fmt.Errorf("%s%s: %w: %s", n.URL, path, err, body)
		}
	}
	return resp.StatusCode, nil
}

// Eventually polls cond every 20ms until it returns true or timeout passes.
func Eventually(t testing.TB, timeout time.Duration, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(timeout)
	for {
		if cond() {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("timed out after %s waiting for %s", timeout, what)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// lockedBuffer collects a process's output for concurrent readers.
type lockedBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (l *lockedBuffer) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.Write(p)
}

func (l *lockedBuffer) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.String()
}
