// Package client talks to depsync nodes' HTTP API as `depsync capp push`,
// the other CLI commands and a manager's reconciler do: the peer C-App API
// (list, fetch, put with its Content-Digest, delete, presence), following a
// worker's 409 to its manager only where allowed, status, approve, history
// and rollback, a node's doctor facts, the cluster view, and the waits of
// `capp push --wait` and `capp rm --wait`. It shares only the wire types of
// package api and the name rule of package cappname with the server side.
package client
