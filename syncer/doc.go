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
// One goroutine per tenant runs the loop (the tenantSync); the HTTP handlers
// (Handler) read its state under a mutex. svn is reached through the small
// SVN interface, which *svn.Client satisfies and tests fake; the daemon
// wraps the client with package svnbatch, which lets the calls of tenants that meet
// share one svn run and bounds the svn processes of the node.
package syncer
