//go:build linux

package svn

import "syscall"

// dieWithParent has the kernel kill svn when the process that started it
// dies (kill -9 of the daemon included): an orphaned svn would otherwise
// go on changing the working copy under the next daemon's feet.
func dieWithParent(attr *syscall.SysProcAttr) { attr.Pdeathsig = syscall.SIGKILL }
