// Package manager is the manager role of one tenant: it commits the
// tenant's deployment directory to the repository, which follows it.
//
// Its loop (Manager.Run) watches the directory and, at each pass, looks at
// what changed (changes.go), lets through the gate (package gate) what is
// complete, puts deletions to the mass-deletion guard (guard.go), leases
// the C-Apps svn is about to read (lease.go), commits and looks at the
// committed files once more (commit.go, aftercommit.go), and notifies the
// peers. When the working copy and the repository disagree it catches up
// without letting the repository win (catchup.go); a tenant folder removed
// here is held, and removed from the repository once approved (folder.go).
// What a pass does next is decided by a pure function (next.go).
//
// The manager owns its own state (backoff, what it knows it committed, the
// deletions waiting to be judged) and takes everything else through Env:
// the tenant's runtime state (State), its working copy (Files), the daemon
// around it (Node), the guard (Deletions) and the peers (Peers). Package
// syncer builds the Env; no pointer leads back to the daemon.
package manager
