//go:build race

package carbonlog

// raceEnabled: a race build is about ten times slower; the million-name
// test feeds fewer names then.
const raceEnabled = true
