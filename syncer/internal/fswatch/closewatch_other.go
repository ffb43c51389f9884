//go:build !linux

package fswatch

import (
	"errors"
	"log/slog"
)

// closeWatch is Linux's: elsewhere files closed or renamed in are reported
// after the watcher's quiet time, like any other change.
type closeWatch struct{}

func newCloseWatch(*slog.Logger) (*closeWatch, error) {
	return nil, errors.New("closes are watched on Linux only")
}

func (c *closeWatch) add(string, chan<- string) error { return nil }
func (c *closeWatch) drop(chan<- string)              {}
func (c *closeWatch) forget(string, chan<- string)    {}
func (c *closeWatch) shed()                           {}
func (c *closeWatch) close()                          {}

var errCloseWatchShed = errors.New("close watch given up")
