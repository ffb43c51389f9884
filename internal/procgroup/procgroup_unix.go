//go:build unix

package procgroup

import "syscall"

// Attr makes a child the leader of a new process group; on Linux the
// kernel also sends it onParentDeath (0: nothing) when its parent dies.
func Attr(onParentDeath syscall.Signal) *syscall.SysProcAttr {
	attr := &syscall.SysProcAttr{Setpgid: true}
	withParent(attr, onParentDeath)
	return attr
}

// Terminate sends SIGTERM to the process group led by pid.
func Terminate(pid int) { _ = syscall.Kill(-pid, syscall.SIGTERM) }

// Kill sends SIGKILL to the process group led by pid.
func Kill(pid int) { _ = syscall.Kill(-pid, syscall.SIGKILL) }
