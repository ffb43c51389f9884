//go:build unix

package carbonxml

import (
	"io/fs"
	"os"
	"syscall"
)

// keepOwner gives f the owner and group of fi, when the process may (as
// root); a Carbon server running as its own user must still read the file.
func keepOwner(f *os.File, fi fs.FileInfo) {
	if st, ok := fi.Sys().(*syscall.Stat_t); ok {
		_ = f.Chown(int(st.Uid), int(st.Gid))
	}
}
