// Package api holds the wire types of depsync's HTTP API, shared by the
// servers (package syncer's /v1/status, /v1/notify and /v1/approve, package
// deploy's /v1/capps) and their clients (deploy/client, the daemon's
// notifier, the CLI). Field names and JSON tags are a contract between
// nodes of different versions: rename none.
package api

import (
	"encoding/json"
	"net/http"
	"time"

	"github.com/depsync/depsync/internal/backup"
	"github.com/depsync/depsync/internal/guard"
)

// Modes of a daemon, as Status.Mode and Notice.Mode carry them.
const (
	ModeSVN    = "svn"
	ModeDirect = "direct"
)

// Status is the body of GET /v1/status.
type Status struct {
	Role string `json:"role"`
	Node string `json:"node"`
	Mode string `json:"mode"`
	// Manager is the manager's URL as a worker learnt it from notices
	// (on the manager itself: its own URL).
	Manager string `json:"manager,omitempty"`
	Ready   bool   `json:"ready"`
	Reason  string `json:"reason,omitempty"`
	// SVNURL is the URL of the repository's server in use: svn.url, or
	// one of svn.fallback_urls while svn.url does not answer. Empty
	// without svn.url and from an older node.
	SVNURL string `json:"svn_url,omitempty"`

	// ManagerMode, on a worker, is its manager's mode as the manager's
	// notices and answers last said: ModeSVN, ModeDirect, or "unknown"
	// while it cannot tell (Mode is the worker's own: whether it reaches
	// SVN). Empty on a manager and from an older worker.
	ManagerMode string `json:"manager_mode,omitempty"`
	// Tenants lists every tenant up to MaxStatusTenants of them; past
	// that, only the super tenant and the failing ones, and
	// TenantsTruncated is set (ask for one with ?tenant=<id>). With
	// ?tenant=<id>, only that one.
	Tenants          []TenantStatus `json:"tenants"`
	TenantsTruncated bool           `json:"tenants_truncated,omitempty"`
	// TenantSummary counts the tenants; nil from an older node.
	TenantSummary *TenantSummary `json:"tenant_summary,omitempty"`
	Peers         []PeerStatus   `json:"peers"`
	// HeldDeletions are the mass deletions held until `depsync approve`.
	HeldDeletions []guard.Hold `json:"held_deletions"`
	// PendingApprovals are the approvals (`depsync approve`) not used yet:
	// each lets its scope's next pass delete the paths held when it was
	// given, or fewer, until it expires. Nil from an older node.
	PendingApprovals []guard.Approval `json:"pending_approvals"`
	// HoldsKnown, on a manager, says whether it has looked at the files of
	// every tenant since it started: before, HeldDeletions is empty
	// whatever its files say (its carbonapps may be away). It is false too
	// while deletions wait to be judged together (sync.delete_settle). Nil
	// from a worker or an older manager.
	HoldsKnown *bool `json:"holds_known,omitempty"`
	// Backups is what the copies under <state_dir>/overwritten take, with
	// their limits (backups.max_bytes, backups.max_age).
	Backups backup.Stats `json:"backups"`
	// CarbonLog is the Carbon log this node reads C-App states from
	// (carbon.log_file); nil from a node that does not read one.
	CarbonLog *CarbonLog `json:"carbon_log,omitempty"`
	// FaultyCApps are the C-Apps Carbon's log says are faulty, with
	// Carbon's error line.
	FaultyCApps []CarbonCApp `json:"faulty_capps,omitempty"`
	// Drift, on a worker, is what its deployment directories hold that
	// neither the repository nor the manager accounts for (changed by
	// hand), until the next poll puts it back. Nil from a manager and from
	// an older worker.
	Drift *Drift `json:"drift,omitempty"`
}

// Drift is a worker's drift in Status.
type Drift struct {
	// Count is how many paths drifted, in every tenant.
	Count int `json:"count"`
	// Paths are the first 10 of them, by tenant and path.
	Paths []DriftPath `json:"paths"`
}

// DriftPath is one drifted path.
type DriftPath struct {
	Tenant int    `json:"tenant"`
	Path   string `json:"path"`
	// Change is what happened to it: "added" (the repository does not
	// hold it), "changed" or "removed".
	Change string `json:"change"`
	// Since is when the worker first saw it.
	Since time.Time `json:"since"`
}

// CarbonLog says which Carbon log a node reads and whether it can.
type CarbonLog struct {
	Path     string `json:"path"`
	Readable bool   `json:"readable"`
}

// CarbonState is what Carbon's log says about one C-App, as Entry.Carbon
// and CarbonCApp carry it.
type CarbonState struct {
	// State is deploying, deployed, faulty, undeployed or unknown.
	State string `json:"state"`
	// Time is the time written on Carbon's line (Carbon's JVM clock).
	Time time.Time `json:"time"`
	// Seen is when the node read that line, on the node's own clock: compare
	// it with the node's other times (PutResult.Received, Entry.MTime),
	// never with the caller's clock, and only when Live.
	Seen time.Time `json:"seen"`
	// Live: the node read the line while following the log. A line read
	// from the log's history (the daemon restarted) is not live: its Seen
	// is the restart, not when Carbon wrote it. Absent from older nodes.
	Live bool `json:"live,omitempty"`
	// Error is Carbon's first error line for a faulty C-App (or the
	// warning that left it unknown).
	Error string `json:"error,omitempty"`
}

// CarbonCApp is one C-App of a tenant with its Carbon state, as
// Status.FaultyCApps lists them.
type CarbonCApp struct {
	Tenant int    `json:"tenant"`
	ID     string `json:"id,omitempty"`
	File   string `json:"file,omitempty"`
	CarbonState
}

// ReconcilerHeader marks the requests of a manager's reconciler; its value
// is the manager's node name. A worker applies PUT and DELETE only when it
// is present (or with ?force=true).
const ReconcilerHeader = "Depsync-Reconciler"

// BootHeader, on replies to GET /v1/capps, identifies the node's current
// run: it changes when the node restarts.
const BootHeader = "Depsync-Boot"

// CarbonLogHeader, on replies to GET /v1/capps, says whether the node reads
// a Carbon log: "readable" or "unreadable". A node without the header
// (an older version) reports no Carbon state.
const CarbonLogHeader = "Depsync-Carbon-Log"

// Values of CarbonLogHeader.
const (
	CarbonLogReadable   = "readable"
	CarbonLogUnreadable = "unreadable"
)

// MaxStatusTenants is how many tenants Status lists in full.
const MaxStatusTenants = 200

// TenantSummary is what Status says of all the tenants at once.
type TenantSummary struct {
	// Count is how many tenants the node syncs.
	Count int `json:"count"`
	// InStep is how many have synced, have no error and are not behind a
	// revision the node saw.
	InStep int `json:"in_step"`
	// Failing are the ids of the tenants with an error (at most
	// MaxStatusTenants of them, lowest first); FailingCount counts them all.
	Failing      []int `json:"failing"`
	FailingCount int   `json:"failing_count"`
}

// TenantStatus is one tenant in Status.
type TenantStatus struct {
	ID        int         `json:"id"`
	Dir       string      `json:"dir"`
	URL       string      `json:"url"`
	Revision  int64       `json:"revision"`
	LastSync  *time.Time  `json:"last_sync"`
	LastError string      `json:"last_error"`
	Rejected  []Rejection `json:"rejected"`
	// Ready: the tenant's first sync is done; InStep: and it has no error
	// and is not behind a revision the node saw.
	Ready  bool `json:"ready"`
	InStep bool `json:"in_step"`
	// Drift counts the tenant's drifted paths (see Status.Drift): a
	// tenant with drift is not in step.
	Drift int `json:"drift,omitempty"`
	// WantedRevision is the newest revision a notice named to a worker
	// (0: none yet). While its server (a replica behind its master)
	// lacks it, the worker waits for it and is not in step;
	// depsync_replica_lag_revisions is WantedRevision - Revision.
	WantedRevision int64 `json:"wanted_revision,omitempty"`
	// ServerBehind says the worker's server has lacked WantedRevision for
	// svn.poll_interval or more ("" otherwise); the worker keeps waiting.
	ServerBehind string `json:"server_behind,omitempty"`
}

// Rejection is a file a manager did not commit because it is not a valid
// C-App (yet), as TenantStatus lists it.
type Rejection struct {
	Path   string `json:"path"`
	Reason string `json:"reason"`
	Error  string `json:"error,omitempty"`
}

// PeerStatus is a peer as Status shows it.
type PeerStatus struct {
	URL         string     `json:"url"`
	Up          bool       `json:"up"`
	LastSuccess *time.Time `json:"last_success"`
	LastError   string     `json:"last_error"`
}

// ApproveRequest is the optional body of POST /v1/approve (or its query:
// ?scope=...&scope=...&digest=...): which holds to approve. An empty one
// approves every hold as it is.
type ApproveRequest struct {
	// Scopes are the holds to approve ("tenant -1234", "peer
	// https://node2:9780"); each must hold something.
	Scopes []string `json:"scopes,omitempty"`
	// Digest is the hold's digest the person saw in /v1/status: the
	// approval is refused (409) when the hold changed since.
	Digest string `json:"digest,omitempty"`
}

// ApproveReply is the body of POST /v1/approve: the holds let through,
// each with the digest of every path it covers.
type ApproveReply struct {
	Approved []guard.Hold `json:"approved"`
	// ExpiresAt is when the approvals expire unused (sync.approval_ttl);
	// nil when nothing was approved, or from an older node.
	ExpiresAt *time.Time `json:"expires_at,omitempty"`
}

// Notice is the body of POST /v1/notify: the manager's new revision.
type Notice struct {
	Revision int64  `json:"revision"`
	Node     string `json:"node,omitempty"`
	// URL is the manager's base URL; workers remember it so that the
	// C-App API can send pushes to the manager (409 replies). A worker
	// takes it only when it is one of its configured peers.
	URL string `json:"url,omitempty"`
	// Mode is the manager's mode, ModeSVN or ModeDirect: while it is not
	// "svn" a worker keeps the C-Apps the repository does not hold.
	Mode string `json:"mode,omitempty"`
	// Tenants are the tenants the notice concerns, each with its newest
	// revision; Revision is then the newest of them. Empty (a notice of an
	// older manager, or a change of mode): every tenant, up to Revision.
	Tenants []NoticeTenant `json:"tenants,omitempty"`
	// DeletionsHeld is how many deletions the manager holds (see
	// /v1/status held_deletions): while it holds any, a worker removes
	// nothing on its word, not even the C-Apps the repository lacks.
	DeletionsHeld int `json:"deletions_held,omitempty"`
	// HoldsUnknown says the manager has not yet looked at the whole tree
	// of every tenant since it started: DeletionsHeld says nothing yet,
	// and a worker removes nothing on its word.
	HoldsUnknown bool `json:"holds_unknown,omitempty"`
}

// NoticeTenant is one tenant a Notice concerns: the newest revision of its
// folder the manager vouches for.
type NoticeTenant struct {
	ID       int   `json:"id"`
	Revision int64 `json:"revision"`
}

// NotifyReply is the body of a 202 reply to POST /v1/notify.
type NotifyReply struct {
	Accepted bool `json:"accepted"`
}

// Health is the body of GET /healthz and GET /readyz: only a status word
// ("ok", "ready", "not ready"); the detail is in the token-protected
// /v1/status.
type Health struct {
	Status string `json:"status"`
}

// Entry describes one C-App of a carbonapps directory, as GET /v1/capps
// lists it.
type Entry struct {
	File    string    `json:"file"`
	ID      string    `json:"id"`
	Name    string    `json:"name"`
	Version string    `json:"version"`
	Size    int64     `json:"size"`
	SHA256  string    `json:"sha256"`
	MTime   time.Time `json:"mtime"`
	// Error is set, and ID, Name and Version are empty, when the file is not
	// a valid C-App (or not yet a complete one: it may still be being
	// copied). Such entries are listed so that nothing is hidden, but the
	// Reconciler neither pushes them nor removes the peer's copy.
	Error string `json:"error,omitempty"`
	// Carbon is what the node's Carbon log says about this C-App (by its
	// id, else its file name); nil when the node reads no Carbon log or
	// the log has not named it since Carbon's last start.
	Carbon *CarbonState `json:"carbon,omitempty"`
}

// Valid reports whether the entry is a C-App Carbon would deploy.
func (e Entry) Valid() bool { return e.Error == "" && e.ID != "" }

// PutResult is the body of a 200 or 201 reply to PUT /v1/capps/{file}:
// what the node did with the C-App.
type PutResult struct {
	File   string `json:"file"`
	ID     string `json:"id"`
	SHA256 string `json:"sha256"`
	Status string `json:"status"` // created, updated or unchanged
	// Replaced names the files with the same id that the node removed.
	Replaced []string `json:"replaced,omitempty"`
	// Received is the node's own clock when the file was in place (set
	// for created and updated): a Carbon verdict counts for these bytes
	// only when Carbon's line is not older (CarbonState.Time), or the node
	// read it live at or after it (CarbonState.Live and Seen).
	Received *time.Time `json:"received,omitempty"`
}

// Error is the JSON body of every error reply of the API.
type Error struct {
	Error string `json:"error"`
	// Manager is set on 409 replies from a worker: where to send the request.
	Manager string `json:"manager,omitempty"`
}

// WriteError writes a JSON error reply.
func WriteError(w http.ResponseWriter, code int, msg string) {
	WriteJSON(w, code, Error{Error: msg})
}

// WriteJSON writes v as an indented JSON reply with the given status code.
func WriteJSON(w http.ResponseWriter, code int, v any) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(code)
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	_ = enc.Encode(v)
}

// CAppPresence is the body of GET /v1/capps/{file}: whether the node holds
// the file, and what its Carbon log last said of the C-App (by the id of
// ?id=, else of the file held, or by the file name), also once the file is
// gone: how `depsync capp rm --wait` sees Carbon undeploy it.
type CAppPresence struct {
	File    string `json:"file"`
	Present bool   `json:"present"`
	// CarbonLog says whether the node reads a Carbon log it can open
	// (false also when it reads none).
	CarbonLog bool `json:"carbon_log"`
	// Carbon is the log's last word on the C-App since Carbon's last
	// start; nil when it said nothing.
	Carbon *CarbonState `json:"carbon,omitempty"`
}
