// Package e2e holds depsync's system tests: real depsync processes, real
// SVN servers, real faults. TestChaos is the fault soak (`make chaos` runs
// it for CHAOS_DURATION, default 5m; `make test` runs a 30 s version).
// They run on Linux, where the faults can be made (a tmpfs filled up, the
// daemons killed with the test); elsewhere the package holds no test.
package e2e
