//go:build !linux

package lease

import "os"

func take(string) (*os.File, error) { return nil, nil }

func release(f *os.File) { f.Close() }
