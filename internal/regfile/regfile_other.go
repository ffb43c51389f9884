//go:build !unix

package regfile

// noFollow: elsewhere the FileInfo of the open file is all there is.
const noFollow = 0

func isLoop(error) bool { return false }
