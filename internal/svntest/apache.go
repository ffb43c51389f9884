package svntest

import (
	"fmt"
	"os"
	"os/user"
	"path/filepath"
	"strconv"
	"strings"
)

// writeApacheConf writes a minimal httpd.conf serving RepoPath at /svn/repo.
func (s *Server) writeApacheConf() (string, error) {
	var runAs string
	if os.Geteuid() == 0 {
		// Apache refuses to serve as root; it drops to www-data, which must
		// own the repository. Re-done on every start to fix up files that
		// tests created as root (e.g. with svnadmin).
		if err := chownToApache(s.RepoPath); err != nil {
			return "", err
		}
		runAs = "User www-data\nGroup www-data\n"
	}
	mods := apacheModulesDir()
	var b strings.Builder
	fmt.Fprintf(&b, "ServerRoot %q\nServerName 127.0.0.1\nListen 127.0.0.1:%d\n", s.dir, s.port)
	fmt.Fprintf(&b, "PidFile %q\nErrorLog %q\nLogLevel warn\nDefaultRuntimeDir %q\n%s",
		filepath.Join(s.dir, "httpd.pid"), filepath.Join(s.dir, "error.log"), s.dir, runAs)
	modules := []string{"mpm_event", "authn_core", "authn_file", "authz_core", "authz_user", "auth_basic", "dav", "dav_svn", "authz_svn"}
	if s.site != nil {
		modules = append(modules, "ssl")
	}
	modules = append(modules, s.modules...)
	for _, m := range modules {
		fmt.Fprintf(&b, "LoadModule %s_module %q\n", m, filepath.Join(mods, "mod_"+m+".so"))
	}
	b.WriteString(`StartServers 1
ServerLimit 2
ThreadsPerChild 16
MinSpareThreads 1
MaxSpareThreads 32
MaxRequestWorkers 32
`)
	if s.site != nil {
		b.WriteString(s.site(s.port))
	} else {
		fmt.Fprintf(&b, `<Location /svn/repo>
  DAV svn
  SVNPath %q
  AuthType Basic
  AuthName "depsync"
  AuthBasicProvider file
  AuthUserFile %q
  Require valid-user
</Location>
`, s.RepoPath, filepath.Join(s.dir, "htpasswd"))
	}
	conf := filepath.Join(s.dir, "httpd.conf")
	return conf, os.WriteFile(conf, []byte(b.String()), 0o644)
}

// chownToApache gives path and all under it to www-data, the user Apache
// serves as when started by root (and so runs the repositories' hooks as).
func chownToApache(path string) error {
	u, err := user.Lookup("www-data")
	if err != nil {
		return err
	}
	uid, _ := strconv.Atoi(u.Uid)
	gid, _ := strconv.Atoi(u.Gid)
	return filepath.WalkDir(path, func(p string, _ os.DirEntry, err error) error {
		if err != nil {
			return err
		}
		return os.Lchown(p, uid, gid)
	})
}

func apacheModulesDir() string {
	for _, d := range filepath.SplitList(apacheModsDirs) {
		if _, err := os.Stat(filepath.Join(d, "mod_dav_svn.so")); err == nil {
			return d
		}
	}
	return ""
}
