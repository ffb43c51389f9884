// Package peer is a worker's view of its manager: the mode and held
// deletions its notices said, and what its /v1/status and /v1/capps
// answer when the worker asks about the C-Apps only it holds. The
// notifier of a manager's peers is still package syncer's (notify.go).
package peer
