//go:build !linux

package svntest

import "syscall"

// procAttr puts the server in its own process group, so Stop reaches forked
// children.
func procAttr() *syscall.SysProcAttr {
	return &syscall.SysProcAttr{Setpgid: true}
}
