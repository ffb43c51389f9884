// Package syncer is the depsync daemon: it keeps each tenant's deployment
// directory in step with its folder in SVN, in one of two roles.
//
// A manager's directory is the source of truth. A Watcher (package fswatch) reports changed
// paths; the manager looks at them with svn status, waits until each file is
// stable (and, for a .car, until package carbonapp reads it whole), commits
// exactly those paths and tells every peer at once (POST /v1/notify). A full
// reconcile (svn status of the whole tree) runs at start, every
// sync.rescan_interval and whenever the watcher may have lost events.
//
// A worker follows: it updates on a notice and on a poll of the remote
// revision. Before svn touches anything, local edits are copied to
// <state_dir>/overwritten/<UTC time>/<path> and reverted, so the repository
// wins and nothing a person put there is lost without a copy. svn installs
// each file by rename, so Carbon never sees a half-written one.
//
// The seams, as the code is cut:
//   - The tenant's runtime (package tenantrun; tenants.go builds one per
//     tenant): what /v1/status, /readyz and the metrics show of it, the
//     channels its notices and the hub's looks come in on. The roles report
//     to it; package tenant has what their loops share (the working copy's
//     heal and backups as tenant.Files, failures and backoff, the error
//     classes).
//   - The manager role (package manager): the loop, a pass over the
//     changes, the commit and what follows it, the deletion guard,
//     catch-up and the removal of a tenant folder; it takes what it uses
//     from the daemon through manager.Env (managerenv.go builds it). Its
//     completeness gate is package gate.
//   - The worker role (package worker): the loop, whole and targeted
//     updates, strays, drift and the removal of a tenant; it takes what it
//     uses from the daemon through worker.Env (workerenv.go builds it).
//   - The peer (package peer): the notifier of a manager's peers, and a
//     worker's view of its manager (its mode and held deletions, as
//     noticed or asked); package httpapi's /v1/notify is the receiving
//     side.
//   - The HTTP API (package httpapi; http.go wires it): the probes, what
//     /v1/status and /readyz show of the node and its tenants, notices
//     and approvals received.
//   - The tenants (tenantSet, tenants.go; discover.go): the registry of
//     the tenants synced, which grows when one is found and shrinks when
//     one is removed.
//   - The poll (package poll; hub.go wires it): one look at the server
//     per poll for every tenant, which tickles each tenant's loop.
//   - The mode (package mode; mode.go wires it): svn, or direct while
//     there is no SVN server, with the direct syncer it runs on a manager
//     and a worker's view of its manager's mode.
//   - The servers (package failover; failover.go wires it, only with
//     svn.fallback_urls): which server of the repository is in use, the
//     switch after svn.fail_threshold unreachable results and the way
//     back, working copies relocated.
//   - The handover (package handover; handover.go wires it): taking a node
//     over from Carbon's own synchronizer at start (carbon.xml, the wait for
//     Carbon's old JVM, an old-format working copy).
//
// One goroutine per tenant runs its role's loop; the HTTP handlers
// (Handler) read its state under a mutex. svn is reached through the small
// SVN interface, which *svn.Client satisfies and tests fake; the daemon
// wraps the client with package svnbatch, which lets the calls of tenants that meet
// share one svn run and bounds the svn processes of the node. The daemon's
// parts (Deps: the svn client, the guard, the backups keeper, the
// registry, the client of notices) are built from the config by
// cmd/depsync alone; New takes them.
package syncer
