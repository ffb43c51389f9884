package tenant

import (
	"errors"
	"fmt"
	"strings"
	"syscall"

	"github.com/depsync/depsync/svn"
)

// ConfigError is a problem the operator must fix in the config or on the
// node (exit code 2), as opposed to a failure of the work.
type ConfigError struct{ Err error }

func (e *ConfigError) Error() string { return e.Err.Error() }
func (e *ConfigError) Unwrap() error { return e.Err }

// NoSpace reports whether err says a file system is full: ENOSPC from
// depsync's own writes (backups), or svn's E000028 ("No space left on
// device") from an update, checkout, commit or cleanup. svn writes each
// file to .svn/tmp and renames it into place, so a full disk leaves no
// half-written file in the deployment directory; it may leave the working
// copy locked, which the next try cleans up (heal) once there is room.
func NoSpace(err error) bool {
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

// Locked reports whether err says the working copy needs a cleanup.
func Locked(err error) bool { return errors.Is(err, svn.ErrLocked) }

// Results of a sync operation, the "result" label of its metrics.
const (
	ResultSuccess = "success"
	ResultError   = "error"
	ResultNoop    = "noop"
)

// JoinLimited joins the first n items for a log line, and says how many
// more there are.
func JoinLimited(items []string, n int) string {
	if len(items) <= n {
		return strings.Join(items, " ")
	}
	return fmt.Sprintf("%s (+%d more)", strings.Join(items[:n], " "), len(items)-n)
}
