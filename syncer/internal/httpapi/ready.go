package httpapi

import (
	"fmt"
	"strings"
	"time"

	"github.com/depsync/depsync/config"
	"github.com/depsync/depsync/syncer/internal/tenant"
)

// Readiness are the facts a node's readiness is judged on.
type Readiness struct {
	// Tenants are the tenants' ids and states, in the daemon's order.
	Tenants []TenantState
	// Now is when it is judged.
	Now time.Time
	// Stale is how old a tenant's last success may be; 0 when it cannot
	// be too old (no svn.url: there is nothing to poll).
	Stale time.Duration
	// Held says the deletions a manager holds ("" for none, and on a
	// worker: a worker does not hold its own).
	Held string
}

// TenantState is a tenant's id and state.
type TenantState struct {
	ID     int
	Status tenant.Status
}

// maxReasons is how many reasons /readyz's detail names.
const maxReasons = 10

// Ready reports whether every tenant has synced once and succeeded
// recently and no deletion is held, and if not, why.
func Ready(f Readiness) (bool, string) {
	var why []string
	for _, t := range f.Tenants {
		if r := notReady(t.Status, f.Now, f.Stale); r != "" {
			why = append(why, fmt.Sprintf("tenant %d: %s", t.ID, r))
		}
	}
	if f.Held != "" {
		why = append(why, f.Held)
	}
	if len(why) == 0 {
		return true, ""
	}
	// Bounded: a thousand tenants starting must not make a reason of a
	// thousand lines.
	if len(why) > maxReasons {
		why = append(why[:maxReasons], fmt.Sprintf("(+%d more)", len(why)-maxReasons))
	}
	return false, strings.Join(why, "; ")
}

// notReady is why a tenant keeps its node from being ready, "" when it
// does not.
func notReady(st tenant.Status, now time.Time, stale time.Duration) string {
	switch {
	case st.Waiting != "":
		return st.Waiting
	case st.DiskFull != "":
		return fmt.Sprintf("%s (%s)", st.DiskFull, st.LastError)
	case !st.Ready && st.LastError != "":
		return "first sync not done: " + st.LastError
	case !st.Ready:
		return "first sync not done yet"
	case stale > 0 && now.Sub(st.LastSuccess) > stale:
		return fmt.Sprintf("last success %s ago: %s", now.Sub(st.LastSuccess).Round(time.Second), st.LastError)
	}
	return ""
}

// readyStale is how old the last success of a tenant may be for /readyz:
// three polls, and at least a minute, so one slow poll does not flap it;
// without svn.url, never too old.
func readyStale(c *config.Config) time.Duration {
	if c.SVN.URL == "" {
		return 0
	}
	return max(3*c.SVN.PollInterval, time.Minute)
}

// Ready reports whether the node is ready (see Ready), and if not, why.
func (a *API) Ready() (bool, string) {
	all := a.env.Tenants()
	f := Readiness{Tenants: make([]TenantState, len(all)), Now: a.env.Now(), Stale: readyStale(a.env.Config)}
	for i, t := range all {
		f.Tenants[i] = TenantState{ID: t.Config().ID, Status: t.Status()}
	}
	if a.env.Config.Role == config.RoleManager {
		f.Held = a.env.Deletions.Summary()
	}
	return Ready(f)
}
