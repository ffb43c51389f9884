//go:build !unix

package procgroup

import (
	"os"
	"syscall"
)

// Attr: without process groups, a child is on its own.
func Attr(syscall.Signal) *syscall.SysProcAttr { return nil }

// Terminate ends the process pid (there is no group to signal).
func Terminate(pid int) { Kill(pid) }

// Kill kills the process pid (there is no group to signal).
func Kill(pid int) {
	if p, err := os.FindProcess(pid); err == nil {
		_ = p.Kill()
	}
}
