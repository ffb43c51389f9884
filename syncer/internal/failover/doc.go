// Package failover lets a node use more than one server of its repository:
// svn.url first, then svn.fallback_urls (a master and its replicas, all
// with the repository's UUID). It wraps the daemon's SVN, and only when
// fallback URLs are configured: every URL below svn.url is sent to the
// server in use instead, a working copy is relocated there (svn relocate,
// never a new checkout) before it is next updated or committed, and what
// svn says of a working copy's URL is spelled below svn.url again, so that
// the roles see one repository wherever it is served from.
//
// After svn.fail_threshold consecutive unreachable results on the server in
// use it switches to the first other one that answers with the repository's
// UUID (svn.url first, then fallback_urls in order), and it goes back to
// svn.url once that has answered for a whole svn.poll_interval. A failure
// it recovered from by switching comes back as ErrSwitched, not as
// svn.ErrUnreachable: the daemon's count towards direct mode only grows
// while no server answers.
package failover
