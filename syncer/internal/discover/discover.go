// Package discover finds the tenants of carbon.tenants: all at runtime. A
// manager follows each repository/tenants/<id> folder present at start or
// made later; a worker each tenant folder of the repository, checked out
// into repository/tenants/<id> (Carbon then loads it). Which folder names
// are tenants is a pure function (tenantIDs); the daemon (package syncer) adds
// and starts the tenants found. A tenant folder removed on the manager is
// a deletion held by the mass-deletion guard until a person approves it or
// the folder comes back; the workers keep their copy meanwhile.
package discover

import (
	"context"
	"log/slog"
	"os"
	"path/filepath"
	"strconv"
	"time"

	"github.com/fsnotify/fsnotify"

	"github.com/depsync/depsync/config"
	"github.com/depsync/depsync/syncer/internal/fswatch"
)

// tenantIDs returns the ids named by folder names, skipping what is not a
// tenant id (and the super tenant, which is always synced).
func tenantIDs(names []string) []int {
	var ids []int
	for _, n := range names {
		id, err := strconv.Atoi(n)
		if err != nil || id <= 0 || strconv.Itoa(id) != n {
			continue
		}
		ids = append(ids, id)
	}
	return ids
}

// Dir is the folder of the tenants' deployment directories under the
// Carbon home.
func Dir(home string) string { return filepath.Join(home, "repository", "tenants") }

// local names the tenant folders under repository/tenants.
func local(home string) []int {
	entries, err := os.ReadDir(Dir(home))
	if err != nil {
		return nil
	}
	var names []string
	for _, e := range entries {
		if e.IsDir() {
			names = append(names, e.Name())
		}
	}
	return tenantIDs(names)
}

// Env is what finding the tenants uses of the daemon.
type Env struct {
	Config *config.Config
	Log    *slog.Logger
	// ListDirs names the folders under url (the repository's tenants).
	ListDirs func(ctx context.Context, url string) ([]string, error)
	// OpContext is the context an svn operation runs in.
	OpContext func(ctx context.Context) (context.Context, context.CancelFunc)
}

// Find returns the ids of the tenants there now: on a manager the local
// folders, on a worker the repository's and the local working copies, so
// that a tenant the repository lost is not forgotten. None without
// carbon.tenants: all.
func Find(ctx context.Context, env Env) []int {
	if !env.Config.Carbon.AllTenants {
		return nil
	}
	ids := local(env.Config.Carbon.Home)
	if env.Config.Role == config.RoleWorker && env.Config.SVN.URL != "" {
		opCtx, cancel := env.OpContext(ctx)
		names, err := env.ListDirs(opCtx, env.Config.SVN.URL)
		cancel()
		if err != nil {
			env.Log.Warn("cannot list the repository's tenants; the next change names them", "error", err)
		}
		ids = append(ids, tenantIDs(names)...)
	}
	return ids
}

// Watch calls look whenever a folder may have been made in dir (the
// manager's repository/tenants) until ctx ends: at once on a watch's event
// (shared with the tenants' own watches through hub; nil: none), and
// every interval besides (one directory read, whatever the number of
// tenants), which also covers a system without watches and a tenants
// folder made after the start.
func Watch(ctx context.Context, hub *fswatch.Hub, dir string, every time.Duration, look func()) {
	t := time.NewTicker(every)
	defer t.Stop()
	var (
		sub     *fswatch.Sub
		events  <-chan fsnotify.Event
		errs    <-chan error
		watched bool
	)
	if hub != nil {
		sub = hub.SubscribeDir(dir)
		defer sub.Cancel()
		events, errs = sub.Events(), sub.Errs()
	}
	watch := func() {
		if sub != nil && !watched {
			// Missing until the first tenant's folder is made: the next
			// tick tries again.
			_, err := sub.Add(dir, false)
			watched = err == nil
		}
	}
	watch()
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
			watch()
			look()
		case ev := <-events:
			// Those queued meanwhile (many folders made at once) go in
			// the same look.
			for more := true; more; {
				if ev.Name == dir && ev.Has(fsnotify.Remove|fsnotify.Rename) {
					watched = false // its watch went with it
				}
				select {
				case ev = <-events:
				default:
					more = false
				}
			}
			look()
		case <-errs:
			look() // events were lost: a look covers them
		}
	}
}
