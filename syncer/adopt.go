package syncer

import (
	"context"
	"fmt"
	"io/fs"
	"net"
	"net/url"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"time"

	"github.com/depsync/depsync/internal/atomicfile"
	"github.com/depsync/depsync/svn"
)

// sameLocation reports whether two repository URLs name the same folder,
// however each was spelled: Carbon's SvnUrl, and so the URL its working
// copies were checked out from, may differ from svn.url in the case of the
// scheme or host, a default port, escaping or a trailing slash.
func sameLocation(a, b string) bool {
	return svn.SameURL(a, b) || canonicalURL(a) == canonicalURL(b)
}

// defaultPorts are the ports a URL of each scheme may leave out.
var defaultPorts = map[string]string{"http": "80", "https": "443", "svn": "3690", "svn+ssh": "22"}

// canonicalURL spells a repository URL one way: scheme and host in lower
// case, no default port, the path unescaped without a trailing slash.
func canonicalURL(s string) string {
	u, err := url.Parse(strings.TrimSpace(s))
	if err != nil || u.Scheme == "" {
		return s
	}
	scheme := strings.ToLower(u.Scheme)
	host := strings.ToLower(u.Hostname())
	if port := u.Port(); port != "" && port != defaultPorts[scheme] {
		host = net.JoinHostPort(host, port)
	} else if strings.Contains(host, ":") {
		host = "[" + host + "]"
	}
	return scheme + "://" + host + strings.TrimRight(u.Path, "/")
}

// oldFormat reports whether err is svn refusing a working copy made by an
// older svn or by Carbon's SVNKit (E155036, "please see the 'svn upgrade'
// command").
func oldFormat(err error) bool {
	return err != nil && strings.Contains(err.Error(), "E155036")
}

// upgradeWorkingCopy upgrades the tenant's working copy, one Carbon's
// synchronizer made in an older format, after keeping a copy of it as it
// was under <state_dir>/upgraded/<UTC time>/tenant<id>: svn upgrade
// rewrites .svn in place and cannot be undone.
func (ts *tenantSync) upgradeWorkingCopy(ctx context.Context) error {
	keep := filepath.Join(ts.d.cfg.StateDir, "upgraded", time.Now().UTC().Format("20060102T150405.000Z"),
		"tenant"+strconv.Itoa(ts.t.ID))
	if err := copyTree(ts.t.Dir, keep); err != nil {
		return fmt.Errorf("keep a copy of %s before svn upgrade: %w", ts.t.Dir, err)
	}
	if err := ts.svn.Upgrade(ctx, ts.t.Dir); err != nil {
		return fmt.Errorf("svn upgrade %s (a copy of it as it was is in %s): %w", ts.t.Dir, keep, err)
	}
	ts.log.Info("the working copy was of an older format (made by an older svn or Carbon's SVNKit): upgraded with svn upgrade",
		"dir", ts.t.Dir, "copy", keep)
	return nil
}

// copyTree copies the folder src, whole, to dst (made anew, owner-only):
// folders, regular files with their mode and time, and symlinks as links.
func copyTree(src, dst string) error {
	if _, err := os.Lstat(dst); err == nil {
		return fmt.Errorf("%s exists", dst)
	}
	return filepath.WalkDir(src, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		rel, err := filepath.Rel(src, p)
		if err != nil {
			return err
		}
		target := filepath.Join(dst, rel)
		switch {
		case d.IsDir():
			return os.MkdirAll(target, 0o700)
		case d.Type()&fs.ModeSymlink != 0:
			link, err := os.Readlink(p)
			if err != nil {
				return err
			}
			return os.Symlink(link, target)
		case d.Type().IsRegular():
			return atomicfile.Copy(p, target, atomicfile.CopyOptions{KeepAttrs: true})
		}
		return nil // sockets, FIFOs: nothing svn keeps
	})
}
