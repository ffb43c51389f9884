// Package gate is the manager's completeness gate: whether a changed file
// may go into a commit now. A file goes once it has been quiet for the
// debounce or is provably whole (closed, and for XML a complete document);
// a C-App once package carbonapp reads it whole; an odd path (a symlink, a
// FIFO, a name svn cannot take) never, until it changes. The gate
// remembers what it waits for and what it rejected, so that an invalid
// file is judged again only when it changes, and tells its record hook of
// each rejection made or dropped (the manager's metrics and /v1/status).
package gate
