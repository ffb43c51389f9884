//go:build race

package daemontest

// raceEnabled builds the daemons with -race when the tests run with it, so
// that end-to-end tests catch data races in the daemon too.
const raceEnabled = true
