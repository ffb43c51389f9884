// Package poll is the daemon's one look at the server per poll, whatever
// the number of tenants: svn info of svn.url and, only when it moved, one
// svn log over the new revisions, which tells which tenants changed (Hub).
// It is also the roles' health probe of the server, one call per server.
package poll
