// Package procgroup starts child processes (svn, the test servers, a test's
// daemons) as leaders of process groups of their own, and signals a whole
// group: a timeout or a stop then reaches everything the child started
// (ssh tunnels, hooks of file:// repositories, svnserve's forks), and on
// Linux the kernel signals the child should its parent die first, so that
// no orphan goes on changing a working copy under the next one's feet.
package procgroup
