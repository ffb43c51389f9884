package deploy

import (
	"errors"
	"syscall"
)

// isNoSpace reports whether err is a full file system or an exhausted
// quota: the node cannot store the C-App now, and may once space returns
// (507; the reconciler retries with backoff).
func isNoSpace(err error) bool {
	return errors.Is(err, syscall.ENOSPC) || errors.Is(err, syscall.EDQUOT)
}
