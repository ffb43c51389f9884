// Package tenant holds what the loops of every role share about one
// tenant's sync: its directory as a working copy (Files: heal, with its
// journaled placeholders, and the copies kept of what the repository's
// version replaces), how a loop counts its failures and backs off, which
// errors say a disk is full or a working copy locked, which ones are the
// operator's to fix (ConfigError), the results its metrics count, and how
// its log lines list paths. The tenant's runtime state itself (tenantSync:
// its revision, readiness, failures and drift as /v1/status shows them, the
// channels its notices and the hub's looks come in on) is still package
// syncer's, which lends it to the roles through small interfaces (see
// package worker).
package tenant
