//go:build unix

package regfile

import (
	"errors"
	"syscall"
)

// noFollow makes an open of a symlink fail with ELOOP.
const noFollow = syscall.O_NOFOLLOW

func isLoop(err error) bool { return errors.Is(err, syscall.ELOOP) }
