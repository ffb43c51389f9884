// Package peer is how nodes hear of each other. On a manager, the
// Notifier tells every peer of new revisions (POST /v1/notify: one
// goroutine per peer, only the latest revision pending, an idle peer
// probed on /healthz so that /v1/status says when it is down). On a
// worker, Manager is its view of its manager: its URL, the mode and held
// deletions its notices said, and what its /v1/status and /v1/capps
// answer when the worker asks about the C-Apps only it holds. Receiving
// a notice is package syncer's (its HTTP handler checks the sender).
package peer
