// Package worker is the worker role of one tenant: it follows the
// tenant's folder in the repository and never commits.
//
// Its loop (Worker.Run) updates at start, on a manager's notice and when
// the daemon's hub sees the folder change (take.go: a revision nobody
// notified is taken once it has stayed the newest for a settle time); it
// backs off after failures. Before svn touches anything, local edits are copied to
// <state_dir>/overwritten and reverted, so the repository wins and nothing
// is lost without a copy; an update of the changed paths alone
// (targeted.go) replaces the whole one when the tree is costly to look at.
// After each update it judges the strays, the C-Apps only this worker
// holds (strays.go: the facts; straydecision.go: the pure decision), and
// it watches its own directory for drift, put back at the next poll
// (drift.go). A tenant removed from the repository is removed here too,
// with copies (remove.go).
//
// The worker owns its own state (revisions, plan, strays kept) and takes
// everything else through Env: the tenant's runtime state (State), its
// working copy and backups (Files), the daemon around it (Node) and its
// view of its manager (Manager). Package syncer builds the Env, lending
// the tenant's runtime (package tenantrun) as State, Files and Node; no
// pointer leads back to the daemon.
package worker
