package daemontest

import "syscall"

// procAttr puts a daemon in a process group of its own (so its svn runs
// can be signalled with it) and has the kernel kill it should the test
// binary die first.
func procAttr() *syscall.SysProcAttr {
	return &syscall.SysProcAttr{Setpgid: true, Pdeathsig: syscall.SIGKILL}
}
