//go:build !unix

package svn

import "os"

func isExecutable(fi os.FileInfo) bool { return fi.Mode().Perm()&0o111 != 0 }
