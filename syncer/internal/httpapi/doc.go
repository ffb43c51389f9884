// Package httpapi is the daemon's HTTP API: the probes (/healthz,
// /readyz), /metrics, what GET /v1/status shows of the node and its
// tenants (with the depsync_tenants and depsync_drift_files metrics,
// computed from the same facts), and what a node takes from others
// (POST /v1/notify, POST /v1/approve).
//
// It gets what it shows and acts on from the daemon through Env (syncer's
// http.go builds it), never the daemon itself. What it judges, readiness
// (Ready) and whether a tenant is in step (InStep), are pure functions of
// the facts it is lent. The bodies on the wire are package api's.
package httpapi
