// Package mode decides and runs a daemon's mode: svn while the SVN server
// answers, direct (C-Apps pushed from the manager straight to its peers)
// when there is no server (svn.url empty) or it has been unreachable for
// svn.fail_threshold svn results in a row.
//
// What the mode is, given those facts, is a pure function (Of, Count,
// OfManager); State keeps the run of unreachable results the daemon's svn
// operations report, says when the mode changes, and runs the direct
// syncer on a manager while it is direct (RunDirect, Feed). A worker's
// view of its manager's mode (Learn) and the metrics depsync_mode and
// depsync_svn_fallback (Collector) are here too. The daemon hands in what
// they need as values and functions; nothing here knows the daemon.
package mode
