package syncer

import (
	"github.com/depsync/depsync/api"
)

// APIArrivals says which C-Apps of the super tenant's carbonapps are as the
// C-App API (the manager's pushes, a forced push) last left them: those
// are no drift, and follow the rules of pushed C-Apps (see worker.DropStrays).
// *deploy.Store is one.
type APIArrivals interface {
	FromAPI(file string) bool
}

// Drift is how /v1/status shows a worker's drift.
type Drift = api.Drift
