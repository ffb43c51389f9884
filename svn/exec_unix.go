//go:build unix

package svn

import (
	"os"
	"syscall"
)

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
