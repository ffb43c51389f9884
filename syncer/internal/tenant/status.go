package tenant

import (
	"sort"
	"time"

	"github.com/depsync/depsync/api"
	"github.com/depsync/depsync/internal/drift"
)

// DiskFullHint is what /v1/status says while a file system is full.
const DiskFullHint = "no space left on device: free space where the deployment directory or state_dir lives; " +
	"depsync retries with backoff and converges by itself"

// Status is a tenant's runtime state as /v1/status and /readyz show it.
// Its methods are what the roles' reports change; the daemon holds it
// under its tenant's lock and sets the metrics.
type Status struct {
	Revision    int64
	Ready       bool      // a first sync succeeded
	LastSuccess time.Time // last successful operation or probe
	LastSync    time.Time // last sync that changed something or confirmed nothing to do
	LastError   string
	Failures    int
	Rejected    map[string]api.Rejection
	// Waiting says why the tenant cannot sync at all for now (its
	// deployment directory is missing); "" otherwise. It makes /readyz
	// fail whatever the server checks say.
	Waiting string
	// DiskFull is set while the last operation failed for lack of space
	// (a probe of the server does not clear it; a sync does).
	DiskFull string
	// Drift is a worker's drifted paths (see worker.Env); never changed
	// in place, so a copy of the state may share it.
	Drift drift.Set
	// Wanted is the newest revision a notice named to the worker, and
	// Behind why its server lacks it for long (see worker.State.Wanted).
	Wanted int64
	Behind string
}

// NewStatus is the status of a tenant not synced yet.
func NewStatus() Status { return Status{Rejected: map[string]api.Rejection{}} }

// Copy is s with a Rejected of its own.
func (s *Status) Copy() Status {
	c := *s
	c.Rejected = make(map[string]api.Rejection, len(s.Rejected))
	for k, v := range s.Rejected {
		c.Rejected[k] = v
	}
	return c
}

// RejectedList is what is rejected, by path.
func (s *Status) RejectedList() []api.Rejection {
	out := make([]api.Rejection, 0, len(s.Rejected))
	for _, r := range s.Rejected {
		out = append(out, r)
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Path < out[j].Path })
	return out
}

// Reject records the rejection of rel (nil: none any more).
func (s *Status) Reject(rel string, r *api.Rejection) {
	if r != nil {
		s.Rejected[rel] = *r
	} else {
		delete(s.Rejected, rel)
	}
}

// Succeeded records a successful operation at now (synced: it synced or
// confirmed there was nothing to sync, rather than only probing).
func (s *Status) Succeeded(rev int64, synced bool, now time.Time) {
	if rev > 0 {
		s.Revision = rev
	}
	s.LastSuccess = now
	if synced {
		s.LastSync = now
		s.Ready = true
		s.DiskFull = ""
	}
	s.LastError = ""
	s.Failures = 0
}

// Failed records a failed operation.
func (s *Status) Failed(err error) {
	s.ProbeFailed(err)
	if NoSpace(err) {
		s.DiskFull = DiskFullHint
	}
}

// ProbeFailed records a failed look at the server: it leaves DiskFull as
// it is.
func (s *Status) ProbeFailed(err error) {
	s.LastError = err.Error()
	s.Failures++
}

// SetWaiting records why the tenant cannot sync for now (nil: it can).
func (s *Status) SetWaiting(err error) {
	if err == nil {
		s.Waiting = ""
		return
	}
	s.Waiting = err.Error()
	s.LastError = err.Error()
}
