//go:build linux

package procgroup

import "syscall"

func withParent(attr *syscall.SysProcAttr, sig syscall.Signal) { attr.Pdeathsig = sig }
