//go:build unix

package backup

import (
	"io/fs"
	"strconv"
	"syscall"
)

// fileID identifies a file's content on disk: hard links share it.
func fileID(path string, fi fs.FileInfo) string {
	if st, ok := fi.Sys().(*syscall.Stat_t); ok {
		return strconv.FormatUint(uint64(st.Dev), 10) + ":" + strconv.FormatUint(st.Ino, 10)
	}
	return path
}
