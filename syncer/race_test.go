//go:build race

package syncer_test

// raceEnabled: the daemons of the benchmarks are race-built too, which
// makes their figures meaningless; the benchmarks say so.
const raceEnabled = true
