package svntest

import (
	"fmt"
	"maps"
	"os"
	"path/filepath"
	"regexp"
	"runtime"
	"slices"
	"strings"
	"testing"

	"github.com/depsync/depsync/internal/pki"
)

// The users examples/svn/authz names: the manager's, which may write, and
// the workers', which may only read.
const (
	ExampleManager = "depsync"
	ExampleWorker  = "depsync-ro"
)

// ExampleServer is a Server configured with the files shipped in
// examples/svn. Its Username and Password are the manager's.
type ExampleServer struct {
	*Server
	WorkerPassword string
	// Stranger is a user with a valid password whom the authz file does
	// not name, so who may do nothing.
	Stranger, StrangerPassword string
	// CACert verifies the HTTPS server's certificate (HTTP only).
	CACert string
}

var placeholder = regexp.MustCompile(`@[A-Z_]+@`)

// NewExample is like [New] for SVNServe or HTTP, but the server runs with
// the configuration the README tells operators to install: for SVNServe,
// examples/svn/svnserve.conf and examples/svn/authz as the repository's
// conf/svnserve.conf and conf/authz; for HTTP, Apache over HTTPS with the
// site examples/svn/apache-depsync-svn.conf (its @...@ values filled in)
// and that authz file. The svn runs of the Server trust its CA.
func NewExample(t testing.TB, kind Kind) *ExampleServer {
	t.Helper()
	return newExample(t, kind, exampleSite{file: "apache-depsync-svn.conf"})
}

// exampleSite is what an example server has besides the users and files
// that every example has.
type exampleSite struct {
	file string // the Apache site, in examples/svn
	// users are more users (name, password), besides the example's own.
	users [][2]string
	// like, when set, is a server whose users' passwords this one's share
	// (a replica passes the users' requests on to its master).
	like *ExampleServer
	// modules are Apache modules the site needs besides the usual ones.
	modules []string
	// values are more @...@ values of the site.
	values map[string]string
	// prepare sets up the repository before the server starts.
	prepare func(s *Server)
}

func newExample(t testing.TB, kind Kind, site exampleSite) *ExampleServer {
	t.Helper()
	if kind != SVNServe && kind != HTTP {
		t.Fatalf("svntest: the examples have no %s server", kind)
	}
	examples := examplesDir(t)
	authz := readFile(t, filepath.Join(examples, "authz"))
	e := &ExampleServer{WorkerPassword: randomPassword(t), Stranger: "depsync-stranger", StrangerPassword: randomPassword(t)}
	managerPassword := randomPassword(t)
	if site.like != nil {
		managerPassword, e.WorkerPassword, e.StrangerPassword = site.like.Password, site.like.WorkerPassword, site.like.StrangerPassword
	}
	e.Server = newServer(t, kind, func(s *Server) {
		s.Username, s.Password = ExampleManager, managerPassword
		users := [][2]string{{ExampleManager, s.Password}, {ExampleWorker, e.WorkerPassword}, {e.Stranger, e.StrangerPassword}}
		users = append(users, site.users...)
		if site.prepare != nil {
			site.prepare(s)
		}
		switch kind {
		case SVNServe:
			conf := filepath.Join(s.RepoPath, "conf")
			check(t, os.WriteFile(filepath.Join(conf, "svnserve.conf"), []byte(readFile(t, filepath.Join(examples, "svnserve.conf"))), 0o644))
			check(t, os.WriteFile(filepath.Join(conf, "authz"), []byte(authz), 0o644))
			var b strings.Builder
			b.WriteString("[users]\n")
			for _, u := range users {
				fmt.Fprintf(&b, "%s = %s\n", u[0], u[1])
			}
			check(t, os.WriteFile(filepath.Join(conf, "passwd"), []byte(b.String()), 0o600))
		case HTTP:
			for _, u := range users {
				htpasswd(t, filepath.Join(s.dir, "htpasswd"), u[0], u[1])
			}
			check(t, os.WriteFile(filepath.Join(s.dir, "authz"), []byte(authz), 0o644))
			h, err := pki.ParseHost("127.0.0.1")
			check(t, err)
			res, err := pki.Init(pki.Options{Dir: filepath.Join(s.dir, "pki"), Hosts: []pki.Host{h}})
			check(t, err)
			e.CACert = res.CACert
			servers := fmt.Sprintf("[global]\nssl-authority-files = %s\n", res.CACert)
			check(t, os.WriteFile(filepath.Join(s.configDir, "servers"), []byte(servers), 0o644))
			values := map[string]string{
				"@SVN_ROOT@": s.dir,
				"@HTPASSWD@": filepath.Join(s.dir, "htpasswd"),
				"@AUTHZ@":    filepath.Join(s.dir, "authz"),
				"@CERT@":     res.Nodes[0].CertFile,
				"@KEY@":      res.Nodes[0].KeyFile,
			}
			maps.Copy(values, site.values)
			rendered := renderSite(t, readFile(t, filepath.Join(examples, site.file)), values)
			s.modules = site.modules
			s.site = func(port int) string {
				return strings.ReplaceAll(rendered, "@PORT@", fmt.Sprint(port))
			}
		}
	})
	return e
}

// TrySVNAs runs svn like [Server.TrySVN], as user with password (no user:
// anonymous).
func (s *Server) TrySVNAs(user, password string, args ...string) (string, error) {
	return runSVN(s.configDir, user, password, args...)
}

// renderSite fills in the site's @...@ values other than @PORT@ (known only
// when Apache starts) and fails the test if the site has one that values
// does not know, or lacks one it does: the example and this test must agree.
func renderSite(t testing.TB, site string, values map[string]string) string {
	t.Helper()
	return render(t, "Apache site", site, values, "@PORT@")
}

// render fills in the @...@ values of the example file text (quoted, as
// both Apache and sh read them) and fails the test if the file has one
// that values does not know (but for those of later), or lacks one it does.
func render(t testing.TB, what, text string, values map[string]string, later ...string) string {
	t.Helper()
	for k, v := range values {
		if !strings.Contains(text, k) {
			t.Fatalf("svntest: the example %s has no %s", what, k)
		}
		text = strings.ReplaceAll(text, k, fmt.Sprintf("%q", v))
	}
	for _, k := range placeholder.FindAllString(text, -1) {
		if !slices.Contains(later, k) {
			t.Fatalf("svntest: the example %s has %s, which the test does not fill in", what, k)
		}
	}
	return text
}

// examplesDir is examples/svn of the source tree this package is part of.
func examplesDir(t testing.TB) string {
	t.Helper()
	_, file, _, ok := runtime.Caller(0)
	if !ok {
		t.Fatal("svntest: cannot tell where the source tree is")
	}
	return filepath.Join(filepath.Dir(file), "..", "..", "examples", "svn")
}

func readFile(t testing.TB, path string) string {
	t.Helper()
	data, err := os.ReadFile(path)
	check(t, err)
	return string(data)
}
