package svntest

import "syscall"

// procAttr puts the server in its own process group (so Stop reaches forked
// children) and has the kernel stop it if the test binary dies without
// running cleanups, e.g. on a test timeout panic.
func procAttr() *syscall.SysProcAttr {
	return &syscall.SysProcAttr{Setpgid: true, Pdeathsig: syscall.SIGTERM}
}
