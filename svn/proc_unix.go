//go:build unix

package svn

import (
	"os"
	"os/exec"
	"syscall"
)

// setProcessGroup makes svn the leader of a new process group, so that a
// timeout kills svn and everything it started (ssh tunnels, hooks of
// file:// repositories).
func setProcessGroup(cmd *exec.Cmd) {
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	dieWithParent(cmd.SysProcAttr)
}

// terminateGroup sends SIGTERM to the process group led by pid.
func terminateGroup(pid int) { _ = syscall.Kill(-pid, syscall.SIGTERM) }

// killGroup sends SIGKILL to the process group led by pid.
func killGroup(pid int) { _ = syscall.Kill(-pid, syscall.SIGKILL) }

// isExecutable reports whether fi is executable by the current user the way
// svn decides it when it sets svn:executable (svn_io_is_file_executable):
// the owner bit if the real user owns the file, else the group bit if the
// real primary group owns it, else the other bit.
func isExecutable(fi os.FileInfo) bool {
	st, ok := fi.Sys().(*syscall.Stat_t)
	if !ok {
		return fi.Mode().Perm()&0o111 != 0
	}
	mode := fi.Mode().Perm()
	switch {
	case int(st.Uid) == os.Getuid():
		return mode&0o100 != 0
	case int(st.Gid) == os.Getgid():
		return mode&0o010 != 0
	default:
		return mode&0o001 != 0
	}
}
