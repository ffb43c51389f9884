//go:build !linux

package deploy

import "os"

func startWriteback(*os.File, int64, int64) {}
