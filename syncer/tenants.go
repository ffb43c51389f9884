package syncer

import (
	"context"
	"sync"

	"github.com/depsync/depsync/config"
	"github.com/depsync/depsync/syncer/internal/tenantrun"
)

// tenantSet is the daemon's tenants, which grow at runtime with
// carbon.tenants: all, and shrink when a tenant is removed from the
// repository. Its lock guards them all; read them through all.
type tenantSet struct {
	mu   sync.RWMutex
	list []*tenantrun.Runtime
	byID map[int]*tenantrun.Runtime
	// gone is the revision each removed tenant was removed in: news of
	// it up to there (the removal itself) does not bring it back.
	gone map[int]int64
	// spawn starts a tenant found at runtime (set by Run while it runs).
	spawn func(*tenantrun.Runtime)
	// starting bounds the tenants starting (first sync) at once (see
	// startParallel).
	starting chan struct{}
}

// add adds the tenant newTS makes (told how many there are) and returns
// it, or the one already there with t's id (and false).
func (s *tenantSet) add(t config.Tenant, newTS func(n int) *tenantrun.Runtime) (*tenantrun.Runtime, bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if ts := s.byID[t.ID]; ts != nil {
		return ts, false
	}
	if s.byID == nil {
		s.byID = map[int]*tenantrun.Runtime{}
	}
	ts := newTS(len(s.list))
	s.list = append(s.list, ts)
	s.byID[t.ID] = ts
	return ts, true
}

// all returns the tenants as they are now (the super tenant first).
func (s *tenantSet) all() []*tenantrun.Runtime {
	s.mu.RLock()
	defer s.mu.RUnlock()
	return s.list[:len(s.list):len(s.list)]
}

// get returns the tenant with that id, or nil.
func (s *tenantSet) get(id int) *tenantrun.Runtime {
	s.mu.RLock()
	defer s.mu.RUnlock()
	return s.byID[id]
}

// remove forgets ts and records the revision it was removed in, then
// runs forget, all under the lock (a tenant found again meanwhile waits);
// it does nothing when ts is not (or no longer) the tenant of its id.
func (s *tenantSet) remove(ts *tenantrun.Runtime, forget func()) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.byID[ts.ID()] != ts {
		return
	}
	delete(s.byID, ts.ID())
	kept := make([]*tenantrun.Runtime, 0, len(s.list))
	for _, t := range s.list {
		if t != ts {
			kept = append(kept, t)
		}
	}
	s.list = kept
	if s.gone == nil {
		s.gone = map[int]int64{}
	}
	s.gone[ts.ID()] = ts.Newest()
	forget()
}

// removedBy reports whether revision rev of tenant id is no newer than its
// removal: the removal's own news, which must not bring the tenant back.
func (s *tenantSet) removedBy(id int, rev int64) bool {
	s.mu.RLock()
	defer s.mu.RUnlock()
	at, ok := s.gone[id]
	return ok && rev <= at
}

// setSpawn sets (nil: clears) how a tenant found at runtime starts.
func (s *tenantSet) setSpawn(spawn func(*tenantrun.Runtime)) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.spawn = spawn
}

// spawner is how a tenant found at runtime starts, nil while the daemon
// does not run.
func (s *tenantSet) spawner() func(*tenantrun.Runtime) {
	s.mu.RLock()
	defer s.mu.RUnlock()
	return s.spawn
}

// tenantEnv is what the daemon lends the runtime of its n-th tenant (0:
// the super tenant).
func (d *Daemon) tenantEnv(t config.Tenant, n int) tenantrun.Env {
	return tenantrun.Env{
		Tenant:  t,
		Config:  d.cfg,
		Label:   tenantrun.Label(t.ID, n),
		Log:     d.log.With("tenant", t.ID),
		SVN:     d.svn,
		Backups: d.backups,
		Metrics: d.m.tenant(),
		Node: tenantrun.Node{Starting: d.tenants.starting, OpContext: d.opContext, SVNResult: d.svnResult,
			Remove: d.removeTenant},
	}
}

// runTenant is the tenant's loop, by role.
func (d *Daemon) runTenant(ctx context.Context, ts *tenantrun.Runtime) error {
	ts.RemoveStalePlaceholders()
	if d.cfg.Role == config.RoleManager {
		return d.newManager(ts).Run(ctx)
	}
	return d.newWorker(ts).Run(ctx)
}

// onceTenant runs one full sync of the tenant, by role.
func (d *Daemon) onceTenant(ctx context.Context, ts *tenantrun.Runtime) error {
	if d.cfg.Role == config.RoleManager {
		return d.newManager(ts).Once(ctx)
	}
	return d.newWorker(ts).Once(ctx)
}
