//go:build !linux

package syncer

import "errors"

// closeWatch is Linux's: elsewhere files closed or renamed in are reported
// after the watcher's quiet time, like any other change.
type closeWatch struct{}

func newCloseWatch() (*closeWatch, error) {
	return nil, errors.New("closes are watched on Linux only")
}

func (c *closeWatch) add(string, chan<- string) error { return nil }
func (c *closeWatch) drop(chan<- string)              {}
func (c *closeWatch) close()                          {}
