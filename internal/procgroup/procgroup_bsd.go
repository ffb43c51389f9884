//go:build unix && !linux

package procgroup

import "syscall"

// withParent: only Linux can tie a child's life to its parent's.
func withParent(*syscall.SysProcAttr, syscall.Signal) {}
