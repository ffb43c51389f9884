package api

import "time"

// Paths of the history and rollback endpoints (svn mode).
const (
	// HistoryPath is GET /v1/history[?file=F&n=N]: History.
	HistoryPath = "/v1/history"
	// RollbackPath is POST /v1/rollback on the manager, with a
	// RollbackRequest: a RollbackReply.
	RollbackPath = "/v1/rollback"
)

// CAppChange is one revision that changed one C-App of a tenant's
// carbonapps in SVN.
type CAppChange struct {
	File     string    `json:"file"`
	Revision int64     `json:"revision"`
	Time     time.Time `json:"time"`
	Author   string    `json:"author"`
	// Action is "added", "modified", "replaced" or "deleted".
	Action string `json:"action"`
	// SHA256 is the digest of the file's bytes at that revision (not for
	// a deletion, nor when they could not be read).
	SHA256  string `json:"sha256,omitempty"`
	Message string `json:"message"`
}

// History is the reply of GET /v1/history: newest first.
type History struct {
	// URL is the carbonapps folder in SVN, credentials redacted.
	URL     string       `json:"url"`
	Changes []CAppChange `json:"changes"`
}

// RollbackRequest asks the manager to make each of Files what it was at
// revision To, in one commit.
type RollbackRequest struct {
	Files []string `json:"files"`
	To    int64    `json:"to"`
}

// RolledBack is one C-App of a rollback: the bytes it holds now (ID,
// SHA256), or, when removed, the id of the bytes removed.
type RolledBack struct {
	File   string `json:"file"`
	ID     string `json:"id,omitempty"`
	SHA256 string `json:"sha256,omitempty"`
}

// RollbackReply says what POST /v1/rollback committed.
type RollbackReply struct {
	// Revision is the commit, 0 when nothing had to change.
	Revision  int64        `json:"revision"`
	Restored  []RolledBack `json:"restored"`
	Removed   []RolledBack `json:"removed"`
	Unchanged []RolledBack `json:"unchanged"`
}
