// Package svntest provides shared real-SVN test servers for depsync's tests.
//
// Each [Server] is a fresh repository created with svnadmin and served over
// file://, svnserve or a private Apache (mod_dav_svn) instance. Servers are
// torn down in t.Cleanup, including every process they started.
package svntest

import (
	"bytes"
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"net"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/depsync/depsync/internal/procgroup"
)

// Kind selects how a repository is served.
type Kind string

// The supported ways of serving a repository.
const (
	File     Kind = "file"     // file:// URL, no server process
	SVNServe Kind = "svnserve" // svn:// URL served by svnserve
	HTTP     Kind = "http"     // http:// URL served by Apache with mod_dav_svn
)

// AllKinds returns every Kind, for table-driven tests.
func AllKinds() []Kind { return []Kind{File, SVNServe, HTTP} }

// User is the name of the test user of SVNServe and HTTP servers.
const User = "depsync"

const (
	installHint    = "apt-get install subversion apache2 libapache2-mod-svn"
	requireEnv     = "DEPSYNC_REQUIRE_INTEGRATION"
	readyTimeout   = 10 * time.Second
	stopTimeout    = 5 * time.Second
	startAttempts  = 3
	logTailLines   = 40
	apacheModsDirs = "/usr/lib/apache2/modules:/usr/lib64/httpd/modules:/usr/lib/httpd/modules"
)

// Server is one served repository.
type Server struct {
	Kind     Kind
	URL      string // repository root URL
	RepoPath string // on-disk repository path (for svnadmin)
	Username string // "" for File
	Password string // "" for File

	dir       string // private, world-traversable server directory
	configDir string // svn --config-dir
	port      int
	// site, when set, renders the Apache site served (HTTPS) instead of the
	// plain HTTP <Location> of New, for the port Apache listens on.
	site func(port int) string
	// modules are the Apache modules the site needs besides the usual ones.
	modules []string

	mu   sync.Mutex
	cmd  *exec.Cmd     // nil while stopped
	done chan struct{} // closed when cmd has exited
}

// New creates a fresh repository, starts a server of the given kind for it and
// registers t.Cleanup to stop the server and delete everything. Missing
// binaries skip or fail the test as described for [Require].
func New(t testing.TB, kind Kind) *Server {
	t.Helper()
	return newServer(t, kind, func(s *Server) {
		s.Username, s.Password = User, randomPassword(t)
		switch kind {
		case SVNServe:
			conf := "[general]\nanon-access = none\nauth-access = write\npassword-db = passwd\nrealm = depsync\n"
			check(t, os.WriteFile(filepath.Join(s.RepoPath, "conf", "svnserve.conf"), []byte(conf), 0o644))
			users := fmt.Sprintf("[users]\n%s = %s\n", s.Username, s.Password)
			check(t, os.WriteFile(filepath.Join(s.RepoPath, "conf", "passwd"), []byte(users), 0o600))
		case HTTP:
			htpasswd(t, filepath.Join(s.dir, "htpasswd"), s.Username, s.Password)
		}
	})
}

// newServer creates the repository, lets auth set up the users and the
// server's configuration (for SVNServe and HTTP only) and starts the server.
func newServer(t testing.TB, kind Kind, auth func(s *Server)) *Server {
	t.Helper()
	bins := []string{"svn", "svnadmin"}
	switch kind {
	case File:
	case SVNServe:
		bins = append(bins, "svnserve")
	case HTTP:
		bins = append(bins, "apache2", "htpasswd")
	default:
		t.Fatalf("svntest: unknown kind %q", kind)
	}
	Require(t, bins...)
	if kind == HTTP && apacheModulesDir() == "" {
		missing(t, "mod_dav_svn.so")
	}

	// t.TempDir's parents may be 0700, which Apache's unprivileged user
	// cannot traverse, so use our own 0755 directory.
	dir, err := os.MkdirTemp("", "svntest-")
	check(t, err)
	t.Cleanup(func() { _ = os.RemoveAll(dir) })
	check(t, os.Chmod(dir, 0o755))

	s := &Server{Kind: kind, dir: dir, RepoPath: filepath.Join(dir, "repo"), configDir: filepath.Join(dir, "svnconfig")}
	run(t, nil, "svnadmin", "create", s.RepoPath)
	// Populate the config dir once so parallel svn runs don't race creating it.
	run(t, nil, "svn", "--version", "--quiet", "--config-dir", s.configDir)

	if kind == File {
		s.URL = (&url.URL{Scheme: "file", Path: filepath.ToSlash(s.RepoPath)}).String()
		return s
	}
	auth(s)

	t.Cleanup(func() {
		s.stop()
		if t.Failed() {
			s.logTail(t)
		}
	})
	var lastErr error
	for range startAttempts { // a port from FreePort may be taken before we bind it
		s.setPort(FreePort(t))
		if lastErr = s.start(); lastErr == nil {
			return s
		}
	}
	t.Fatalf("svntest: starting %s server: %v", kind, lastErr)
	return nil
}

// htpasswd adds user with password to the htpasswd file path, creating it
// if need be; the password goes on stdin, never in argv.
func htpasswd(t testing.TB, path, user, password string) {
	t.Helper()
	args := []string{"-i", path, user}
	if _, err := os.Stat(path); os.IsNotExist(err) {
		args = append([]string{"-c"}, args...)
	}
	run(t, strings.NewReader(password+"\n"), "htpasswd", args...)
}

// Stop stops the server process and waits for it to exit. The repository is
// kept and URL stays valid for a later [Server.Start]. It is a no-op for File
// servers and for stopped servers.
func (s *Server) Stop(t testing.TB) {
	t.Helper()
	s.stop()
}

// Start starts a stopped server again on the same port and URL and waits until
// it accepts connections (typically well under a second; at most about 10 s
// per attempt). It is a no-op for File servers and for running servers.
func (s *Server) Start(t testing.TB) {
	t.Helper()
	var err error
	for i := range startAttempts {
		if i > 0 {
			time.Sleep(250 * time.Millisecond)
		}
		if err = s.start(); err == nil {
			return
		}
	}
	t.Fatalf("svntest: restarting %s server: %v", s.Kind, err)
}

// SVN runs the svn CLI with args, authenticated as the test user, and fails
// the test if svn fails. It returns svn's combined stdout and stderr.
func (s *Server) SVN(t testing.TB, args ...string) string {
	t.Helper()
	out, err := s.TrySVN(args...)
	if err != nil {
		t.Fatalf("svn %s: %v\n%s", strings.Join(args, " "), err, out)
	}
	return out
}

// TrySVN is like [Server.SVN] but returns the error instead of failing, for
// tests that expect svn to fail.
func (s *Server) TrySVN(args ...string) (string, error) {
	return runSVN(s.configDir, s.Username, s.Password, args...)
}

// runSVN runs svn non-interactively with a private config dir, passing the
// password on stdin so that it never appears in argv.
func runSVN(configDir, username, password string, args ...string) (string, error) {
	full := []string{"--non-interactive", "--no-auth-cache", "--config-dir", configDir}
	cmd := exec.Command("svn")
	if username != "" {
		full = append(full, "--username", username)
	}
	if password != "" {
		full = append(full, "--password-from-stdin")
		cmd.Stdin = strings.NewReader(password + "\n")
	}
	cmd.Args = append(append(cmd.Args, full...), args...)
	out, err := cmd.CombinedOutput()
	return string(out), err
}

// Require skips the test if any of bins is not installed, with an install
// hint. With DEPSYNC_REQUIRE_INTEGRATION=1 it fails the test instead.
// Besides PATH, /usr/sbin and /usr/local/sbin are searched, as Apache lives
// there and they are often missing from non-root PATHs.
func Require(t testing.TB, bins ...string) {
	t.Helper()
	var miss []string
	for _, b := range bins {
		if lookPath(b) == "" {
			miss = append(miss, b)
		}
	}
	if len(miss) > 0 {
		missing(t, strings.Join(miss, ", "))
	}
}

// LeaveStaleLock kills `svn update` runs in the working copy wc mid-way
// until one leaves it locked (as svn killed by a crash or kill -9 does),
// and reports whether one did. The updates go back and forth between r0 and
// HEAD, so that a run that finished before the kill leaves the next one
// something to do. The working copy may end at any revision.
func (s *Server) LeaveStaleLock(t testing.TB, wc string) bool {
	t.Helper()
	for try := 0; try < 24; try++ {
		rev := "0"
		if try%2 == 1 {
			rev = "HEAD"
		}
		args := []string{"update", "--non-interactive", "--no-auth-cache", "-r", rev}
		cmd := exec.Command("svn")
		if s.Username != "" {
			args = append(args, "--username", s.Username, "--password-from-stdin")
			cmd.Stdin = strings.NewReader(s.Password + "\n")
		}
		cmd.Args = append(cmd.Args, append(args, "--", wc)...)
		if err := cmd.Start(); err != nil {
			t.Fatalf("svntest: %v", err)
		}
		time.Sleep(time.Duration(5+(try/2)*8) * time.Millisecond)
		_ = cmd.Process.Kill()
		_ = cmd.Wait()
		out, _ := exec.Command("svn", "status", "--depth", "empty", "--", wc).Output()
		if len(out) > 2 && out[2] == 'L' {
			return true
		}
	}
	return false
}

// Unsupported skips a test whose setup this machine could not make happen
// (a race it lost, say), unless DEPSYNC_REQUIRE_INTEGRATION=1: then the
// test fails, since a skip must never pass for a pass in CI.
func Unsupported(t testing.TB, format string, args ...any) {
	t.Helper()
	msg := fmt.Sprintf(format, args...)
	if os.Getenv(requireEnv) == "1" {
		t.Fatal(msg)
	}
	t.Skip(msg + " (set " + requireEnv + "=1 to fail instead of skipping)")
}

func missing(t testing.TB, what string) {
	t.Helper()
	msg := fmt.Sprintf("svntest: %s not installed; install with: %s", what, installHint)
	if os.Getenv(requireEnv) == "1" {
		t.Fatal(msg)
	}
	t.Skip(msg + " (set " + requireEnv + "=1 to fail instead of skipping)")
}

func lookPath(bin string) string {
	if p, err := exec.LookPath(bin); err == nil {
		return p
	}
	for _, dir := range []string{"/usr/sbin", "/usr/local/sbin"} {
		p := filepath.Join(dir, bin)
		if fi, err := os.Stat(p); err == nil && fi.Mode().IsRegular() && fi.Mode()&0o111 != 0 {
			return p
		}
	}
	return ""
}

// FreePort returns a currently free TCP port on 127.0.0.1.
func FreePort(t testing.TB) int {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	check(t, err)
	defer l.Close()
	return l.Addr().(*net.TCPAddr).Port
}

func (s *Server) setPort(port int) {
	s.port = port
	switch s.Kind {
	case SVNServe:
		s.URL = fmt.Sprintf("svn://127.0.0.1:%d/repo", port)
	case HTTP:
		scheme := "http"
		if s.site != nil {
			scheme = "https"
		}
		s.URL = fmt.Sprintf("%s://127.0.0.1:%d/svn/repo", scheme, port)
	}
}

// start launches the server process and waits until its port accepts
// connections. On failure the process is gone again.
func (s *Server) start() error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.Kind == File || s.cmd != nil {
		return nil
	}
	var cmd *exec.Cmd
	switch s.Kind {
	case SVNServe:
		cmd = exec.Command(lookPath("svnserve"), "-d", "--foreground",
			"--listen-host", "127.0.0.1", "--listen-port", strconv.Itoa(s.port),
			"-r", s.dir, "--pid-file", filepath.Join(s.dir, "svnserve.pid"))
	case HTTP:
		conf, err := s.writeApacheConf()
		if err != nil {
			return err
		}
		cmd = exec.Command(lookPath("apache2"), "-d", s.dir, "-f", conf, "-DFOREGROUND")
	}
	out, err := os.OpenFile(filepath.Join(s.dir, "server.out"), os.O_CREATE|os.O_WRONLY|os.O_APPEND, 0o644)
	if err != nil {
		return err
	}
	defer out.Close() // the child has its own copy
	cmd.Stdout, cmd.Stderr = out, out
	cmd.SysProcAttr = procgroup.Attr(syscall.SIGTERM) // the kernel stops it if the test binary dies without its cleanups
	if err := cmd.Start(); err != nil {
		return err
	}
	done := make(chan struct{})
	go func() { _ = cmd.Wait(); close(done) }()
	s.cmd, s.done = cmd, done

	addr := net.JoinHostPort("127.0.0.1", strconv.Itoa(s.port))
	for deadline := time.Now().Add(readyTimeout); ; {
		select {
		case <-done:
			s.cmd = nil
			return fmt.Errorf("%s exited during startup (%v):\n%s", filepath.Base(cmd.Path), cmd.ProcessState, s.tail())
		default:
		}
		if c, err := net.DialTimeout("tcp", addr, 200*time.Millisecond); err == nil {
			_ = c.Close()
			return nil
		}
		if time.Now().After(deadline) {
			s.kill()
			return fmt.Errorf("%s not listening on %s after %v:\n%s", filepath.Base(cmd.Path), addr, readyTimeout, s.tail())
		}
		time.Sleep(20 * time.Millisecond)
	}
}

func (s *Server) stop() {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.cmd != nil {
		s.kill()
	}
}

// kill stops the running process group: SIGTERM, then SIGKILL if it has not
// exited after stopTimeout. s.mu must be held.
func (s *Server) kill() {
	pgid := s.cmd.Process.Pid
	_ = syscall.Kill(-pgid, syscall.SIGTERM)
	select {
	case <-s.done:
	case <-time.After(stopTimeout):
		_ = syscall.Kill(-pgid, syscall.SIGKILL)
		<-s.done
	}
	// Kill leftover children (e.g. per-connection svnserve forks). Should one
	// still hold the port for a moment, start's retries cover it.
	_ = syscall.Kill(-pgid, syscall.SIGKILL)
	s.cmd, s.done = nil, nil
}

// tail returns the last lines of the server's logs.
func (s *Server) tail() string {
	var b strings.Builder
	for _, name := range []string{"server.out", "error.log"} {
		data, err := os.ReadFile(filepath.Join(s.dir, name))
		if err != nil || len(bytes.TrimSpace(data)) == 0 {
			continue
		}
		lines := strings.Split(strings.TrimRight(string(data), "\n"), "\n")
		lines = lines[max(0, len(lines)-logTailLines):]
		fmt.Fprintf(&b, "--- %s:\n%s\n", name, strings.Join(lines, "\n"))
	}
	return b.String()
}

func (s *Server) logTail(t testing.TB) {
	if tail := s.tail(); tail != "" {
		t.Logf("svntest: %s server logs:\n%s", s.Kind, tail)
	}
}

func randomPassword(t testing.TB) string {
	b := make([]byte, 12)
	_, err := rand.Read(b)
	check(t, err)
	return hex.EncodeToString(b)
}

// run runs a setup command and fails the test on error.
func run(t testing.TB, stdin *strings.Reader, name string, args ...string) {
	t.Helper()
	cmd := exec.Command(lookPath(name), args...)
	if stdin != nil {
		cmd.Stdin = stdin
	}
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("svntest: %s %s: %v\n%s", name, strings.Join(args, " "), err, out)
	}
}

func check(t testing.TB, err error) {
	t.Helper()
	if err != nil {
		t.Fatalf("svntest: %v", err)
	}
}
