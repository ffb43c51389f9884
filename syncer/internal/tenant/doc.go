// Package tenant holds what the loops of every role share about one
// tenant's sync: its directory as a working copy (Files: heal, with its
// journaled placeholders, and the copies kept of what the repository's
// version replaces), how a loop counts its failures and backs off, which
// errors say a disk is full or a working copy locked, which ones are the
// operator's to fix (ConfigError), the results its metrics count, and how
// its log lines list paths, and a tenant's Status as /v1/status shows it.
// The tenant's runtime itself (its signals, its Status under a lock, the
// roles' reports) is package tenantrun's.
package tenant
