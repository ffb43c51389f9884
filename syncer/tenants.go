package syncer

import (
	"sync"

	"github.com/depsync/depsync/config"
)

// tenantSet is the daemon's tenants, which grow at runtime with
// carbon.tenants: all, and shrink when a tenant is removed from the
// repository. Its lock guards them all; read them through all.
type tenantSet struct {
	mu   sync.RWMutex
	list []*tenantSync
	byID map[int]*tenantSync
	// gone is the revision each removed tenant was removed in: news of
	// it up to there (the removal itself) does not bring it back.
	gone map[int]int64
	// spawn starts a tenant found at runtime (set by Run while it runs).
	spawn func(*tenantSync)
	// starting bounds the tenants starting (first sync) at once (see
	// startParallel).
	starting chan struct{}
}

// add adds the tenant newTS makes (told how many there are) and returns
// it, or the one already there with t's id (and false).
func (s *tenantSet) add(t config.Tenant, newTS func(n int) *tenantSync) (*tenantSync, bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if ts := s.byID[t.ID]; ts != nil {
		return ts, false
	}
	if s.byID == nil {
		s.byID = map[int]*tenantSync{}
	}
	ts := newTS(len(s.list))
	s.list = append(s.list, ts)
	s.byID[t.ID] = ts
	return ts, true
}

// all returns the tenants as they are now (the super tenant first).
func (s *tenantSet) all() []*tenantSync {
	s.mu.RLock()
	defer s.mu.RUnlock()
	return s.list[:len(s.list):len(s.list)]
}

// get returns the tenant with that id, or nil.
func (s *tenantSet) get(id int) *tenantSync {
	s.mu.RLock()
	defer s.mu.RUnlock()
	return s.byID[id]
}

// remove forgets ts and records the revision it was removed in, then
// runs forget, all under the lock (a tenant found again meanwhile waits);
// it does nothing when ts is not (or no longer) the tenant of its id.
func (s *tenantSet) remove(ts *tenantSync, forget func()) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.byID[ts.t.ID] != ts {
		return
	}
	delete(s.byID, ts.t.ID)
	kept := make([]*tenantSync, 0, len(s.list))
	for _, t := range s.list {
		if t != ts {
			kept = append(kept, t)
		}
	}
	s.list = kept
	if s.gone == nil {
		s.gone = map[int]int64{}
	}
	s.gone[ts.t.ID] = max(ts.changedRev.Load(), ts.notifiedRev.Load(), ts.status().Revision)
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
func (s *tenantSet) setSpawn(spawn func(*tenantSync)) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.spawn = spawn
}

// spawner is how a tenant found at runtime starts, nil while the daemon
// does not run.
func (s *tenantSet) spawner() func(*tenantSync) {
	s.mu.RLock()
	defer s.mu.RUnlock()
	return s.spawn
}
