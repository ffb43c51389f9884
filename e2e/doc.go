// Package e2e holds depsync's system tests: real depsync processes, real
// SVN servers, real faults. TestChaos is the fault soak (`make chaos` runs
// it for CHAOS_DURATION, default 5m; `make test` runs a 30 s version).
package e2e
