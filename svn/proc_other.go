//go:build !unix

package svn

import (
	"os"
	"os/exec"
)

func setProcessGroup(*exec.Cmd) {}

func terminateGroup(pid int) { killGroup(pid) }

func killGroup(pid int) {
	if p, err := os.FindProcess(pid); err == nil {
		_ = p.Kill()
	}
}

func isExecutable(fi os.FileInfo) bool { return fi.Mode().Perm()&0o111 != 0 }
