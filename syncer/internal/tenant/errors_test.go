package tenant

import (
	"errors"
	"fmt"
	"io/fs"
	"syscall"
	"testing"

	"github.com/depsync/depsync/svn"
	"github.com/stretchr/testify/assert"
)

func TestNoSpace(t *testing.T) {
	tests := []struct {
		err  error
		want bool
	}{
		{nil, false},
		{errors.New("boom"), false},
		{&fs.PathError{Op: "write", Path: "/x", Err: syscall.ENOSPC}, true},
		{fmt.Errorf("back up: %w", &fs.PathError{Op: "write", Path: "/x", Err: syscall.ENOSPC}), true},
		{&svn.Error{Op: "update", Message: "svn: E000028: Can't write to file '/wc/.svn/tmp/x': No space left on device"}, true},
		{&svn.Error{Op: "commit", Message: "svn: E000122: Disk quota exceeded"}, true},
		{&svn.Error{Op: "update", Message: "svn: E200030: sqlite[S13]: database or disk is full"}, true},
		{&svn.Error{Op: "update", Message: "svn: E155004: Working copy locked"}, false},
	}
	for _, tt := range tests {
		assert.Equal(t, tt.want, NoSpace(tt.err), "%v", tt.err)
	}
}
