//go:build !race

package carbonlog

const raceEnabled = false
