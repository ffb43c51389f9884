package doctor

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"net"
	"os"
	"path/filepath"
	"slices"
	"sort"
	"strings"
	"time"

	"github.com/depsync/depsync/carbonapp"
)

// LiveOptions say what a running node knows about itself beyond its files:
// the online-only facts of GET /v1/doctor and of `depsync doctor --config`.
type LiveOptions struct {
	// Node names the node (its node_name).
	Node string
	// Home is the node's carbon.home; its conf folder is read as ReadHome
	// reads it.
	Home string
	// Role is depsync's role on the node (manager or worker); SVN is
	// whether it runs its SVN loop (svn.url is set).
	Role string
	SVN  bool
	// CApps lists the deployed C-Apps, id -> sha256 (the daemon passes its
	// store's cached listing). Nil reads CAppsDir with ReadCApps.
	CApps    func() (map[string]string, error)
	CAppsDir string
	// InterfaceAddrs defaults to net.InterfaceAddrs; LookupHost to the
	// default resolver's (tests replace them).
	InterfaceAddrs func() ([]net.Addr, error)
	LookupHost     func(ctx context.Context, host string) ([]string, error)
}

// resolveTimeout bounds the lookup of a localMemberHost that is a name.
const resolveTimeout = 5 * time.Second

// Live reads the node's files (ReadHome) and fills the online-only facts:
// the host's addresses, the deployed C-Apps, the home's path and depsync's
// role. Only a home without a conf folder, or a carbonapps folder that
// cannot be listed, is an error.
func Live(ctx context.Context, o LiveOptions) (*Facts, error) {
	f, err := ReadHome(o.Node, o.Home)
	if err != nil {
		return nil, err
	}
	f.CarbonHome = o.Home
	f.Depsync = &DepsyncRole{Role: o.Role, SVN: o.SVN}

	addrs := o.InterfaceAddrs
	if addrs == nil {
		addrs = net.InterfaceAddrs
	}
	as, err := addrs()
	if err != nil {
		return nil, fmt.Errorf("list the host's addresses: %w", err)
	}
	f.LocalAddrs = []string{}
	for _, a := range as {
		ip := a.String()
		if ipn, ok := a.(*net.IPNet); ok {
			ip = ipn.IP.String()
		} else if p, _, ok := strings.Cut(ip, "/"); ok {
			ip = p
		}
		if !slices.Contains(f.LocalAddrs, ip) {
			f.LocalAddrs = append(f.LocalAddrs, ip)
		}
	}
	f.LocalAddrs = append(f.LocalAddrs, f.ownNames(ctx, o.LookupHost)...)

	list := o.CApps
	if list == nil {
		list = func() (map[string]string, error) { return ReadCApps(o.CAppsDir) }
	}
	if f.CApps, err = list(); err != nil {
		return nil, fmt.Errorf("list the deployed C-Apps: %w", err)
	}
	if f.CApps == nil {
		f.CApps = map[string]string{}
	}
	return f, nil
}

// ownNames returns localMemberHost when it is a name (not an IP) that
// resolves to one of the host's addresses: the live check then takes it as
// the node's own. A name that does not resolve in time is left out, and
// the check says the host does not have it.
func (f *Facts) ownNames(ctx context.Context, lookup func(context.Context, string) ([]string, error)) []string {
	h := strings.TrimSpace(f.Clustering.LocalHost)
	if h == "" || net.ParseIP(strings.Trim(h, "[]")) != nil || strings.Contains(h, "${") {
		return nil
	}
	if lookup == nil {
		lookup = net.DefaultResolver.LookupHost
	}
	ctx, cancel := context.WithTimeout(ctx, resolveTimeout)
	defer cancel()
	ips, err := lookup(ctx, h)
	if err != nil {
		return nil
	}
	for _, ip := range ips {
		if slices.Contains(f.LocalAddrs, ip) {
			return []string{h}
		}
	}
	return nil
}

// ReadCApps lists the C-Apps Carbon would deploy from a carbonapps folder:
// id -> sha256 of every valid .car. Files that are not (or not yet) valid
// C-Apps are left out, as Carbon leaves them; a missing folder deploys
// nothing. It only reads: temporary files of a push in flight are not
// touched.
func ReadCApps(dir string) (map[string]string, error) {
	out := map[string]string{}
	ents, err := os.ReadDir(dir)
	if errors.Is(err, fs.ErrNotExist) {
		return out, nil
	}
	if err != nil {
		return nil, err
	}
	sort.Slice(ents, func(i, j int) bool { return ents[i].Name() < ents[j].Name() })
	for _, e := range ents {
		name := e.Name()
		if !carbonapp.IsCApp(name) || !e.Type().IsRegular() {
			continue
		}
		app, err := carbonapp.ParseFile(filepath.Join(dir, name))
		if err != nil {
			continue
		}
		if _, dup := out[app.ID]; !dup {
			out[app.ID] = app.SHA256
		}
	}
	return out, nil
}
