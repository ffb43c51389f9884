package svntest

import (
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"runtime"
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
	if kind != SVNServe && kind != HTTP {
		t.Fatalf("svntest: the examples have no %s server", kind)
	}
	examples := examplesDir(t)
	authz := readFile(t, filepath.Join(examples, "authz"))
	e := &ExampleServer{WorkerPassword: randomPassword(t), Stranger: "depsync-stranger", StrangerPassword: randomPassword(t)}
	e.Server = newServer(t, kind, func(s *Server) {
		s.Username, s.Password = ExampleManager, randomPassword(t)
		users := [][2]string{{ExampleManager, s.Password}, {ExampleWorker, e.WorkerPassword}, {e.Stranger, e.StrangerPassword}}
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
			site := renderSite(t, readFile(t, filepath.Join(examples, "apache-depsync-svn.conf")), map[string]string{
				"@SVN_ROOT@": s.dir,
				"@HTPASSWD@": filepath.Join(s.dir, "htpasswd"),
				"@AUTHZ@":    filepath.Join(s.dir, "authz"),
				"@CERT@":     res.Nodes[0].CertFile,
				"@KEY@":      res.Nodes[0].KeyFile,
			})
			s.site = func(port int) string {
				return strings.ReplaceAll(site, "@PORT@", fmt.Sprint(port))
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
	for k, v := range values {
		if !strings.Contains(site, k) {
			t.Fatalf("svntest: the example Apache site has no %s", k)
		}
		site = strings.ReplaceAll(site, k, fmt.Sprintf("%q", v))
	}
	for _, k := range placeholder.FindAllString(site, -1) {
		if k != "@PORT@" {
			t.Fatalf("svntest: the example Apache site has %s, which the test does not fill in", k)
		}
	}
	return site
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
