package svntest

import (
	"path/filepath"
	"testing"
)

// SetPassword makes password the test user's on an HTTP server (in its
// htpasswd, which Apache reads at each request): servers of one
// repository (a master and its replica) share their users, so a node may
// use either with one svn.username and password.
func (s *Server) SetPassword(t testing.TB, password string) {
	t.Helper()
	if s.Kind != HTTP {
		t.Fatalf("svntest: SetPassword on a %s server", s.Kind)
	}
	htpasswd(t, filepath.Join(s.dir, "htpasswd"), s.Username, password)
	s.Password = password
}
