//go:build unix && !linux

package daemontest

import "syscall"

// procAttr puts a daemon in a process group of its own; only Linux can
// have it killed with the test binary, so a crashed test may leave one.
func procAttr() *syscall.SysProcAttr {
	return &syscall.SysProcAttr{Setpgid: true}
}
