package syncer

import (
	"errors"
	"strings"
	"syscall"
)

// noSpace reports whether err says a file system is full: ENOSPC from
// depsync's own writes (backups), or svn's E000028 ("No space left on
// device") from an update, checkout, commit or cleanup. svn writes each
// file to .svn/tmp and renames it into place, so a full disk leaves no
// half-written file in the deployment directory; it may leave the working
// copy locked, which the next try cleans up (heal) once there is room.
func noSpace(err error) bool {
	if err == nil {
		return false
	}
	if errors.Is(err, syscall.ENOSPC) || errors.Is(err, syscall.EDQUOT) {
		return true
	}
	msg := err.Error()
	// The working copy's wc.db reports it through SQLite: "E200030:
	// sqlite[S13]: database or disk is full".
	return strings.Contains(msg, "E000028") || strings.Contains(msg, "No space left on device") ||
		strings.Contains(msg, "E000122") || strings.Contains(msg, "Disk quota exceeded") ||
		strings.Contains(msg, "sqlite[S13]") || strings.Contains(msg, "database or disk is full")
}

// diskFullHint is what /v1/status says while a file system is full.
const diskFullHint = "no space left on device: free space where the deployment directory or state_dir lives; " +
	"depsync retries with backoff and converges by itself"
