// Package handover takes a node over from Carbon's own
// DeploymentSynchronizer when the daemon starts: it writes or checks the
// <DeploymentSynchronizer> block of carbon.xml (Check without writing),
// waits while a Carbon JVM that read the block on still runs that
// synchronizer (TakeOver; TakeOverOnce fails instead), and adopts the working copies it left: a working copy
// of an older format is upgraded after a copy is kept (Upgrade), and a
// working copy's URL is compared however each side spelled it
// (config.SameSVNURL). Two agents committing and updating one working copy
// corrupt it; this is what keeps depsync from being the second.
//
// It knows nothing of the daemon: what it uses comes in as values and
// function types (Env), and what it decides (since when Carbon's
// synchronizer is off, whether a JVM still holds the working copies and
// why) are pure functions.
package handover
