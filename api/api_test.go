package api

import (
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/depsync/depsync/internal/backup"
	"github.com/depsync/depsync/internal/guard"
)

// TestWireNames: the JSON of every body, field by field. Nodes of
// different versions talk to each other, so a renamed field or a changed
// omitempty is a break this test shows.
func TestWireNames(t *testing.T) {
	at := time.Date(2026, 12, 1, 10, 0, 0, 0, time.UTC)
	tests := []struct {
		name string
		v    any
		want string
	}{
		{"status", Status{Role: "worker", Node: "n2", Mode: ModeSVN, Manager: "https://n1:9780", Ready: false, Reason: "why",
			Tenants: []TenantStatus{{ID: -1234, Dir: "/d", URL: "svn://s/r", Revision: 7, LastSync: &at, LastError: "e",
				Rejected: []Rejection{{Path: "carbonapps/B.car", Reason: "not_zip", Error: "x"}}}},
			Peers: []PeerStatus{{URL: "https://n1:9780", Up: true, LastSuccess: &at, LastError: ""}},
			HeldDeletions: []guard.Hold{{Scope: "tenant -1234", Reason: "directory_gone", Count: 2, Paths: []string{"a"},
				Digest: "sha256:ab", Since: at}},
			PendingApprovals: []guard.Approval{{Scope: "peer https://n3:9780", Count: 4, Digest: "sha256:cd", ApprovedAt: at,
				ExpiresAt: at.Add(10 * time.Minute)}},
			Backups: backup.Stats{Bytes: 10, Copies: 1, MaxBytes: 100, MaxAge: time.Second}},
			`{"role":"worker","node":"n2","mode":"svn","manager":"https://n1:9780","ready":false,"reason":"why",
			"tenants":[{"id":-1234,"dir":"/d","url":"svn://s/r","revision":7,"last_sync":"2026-12-01T10:00:00Z","last_error":"e",
				"rejected":[{"path":"carbonapps/B.car","reason":"not_zip","error":"x"}],"ready":false,"in_step":false}],
			"peers":[{"url":"https://n1:9780","up":true,"last_success":"2026-12-01T10:00:00Z","last_error":""}],
			"held_deletions":[{"scope":"tenant -1234","reason":"directory_gone","count":2,"paths":["a"],"digest":"sha256:ab",
				"since":"2026-12-01T10:00:00Z"}],
			"pending_approvals":[{"scope":"peer https://n3:9780","count":4,"digest":"sha256:cd",
				"approved_at":"2026-12-01T10:00:00Z","expires_at":"2026-12-01T10:10:00Z"}],
			"backups":{"bytes":10,"copies":1,"max_bytes":100,"max_age":1000000000}}`},
		{"empty status", Status{Role: "manager", Node: "n1", Mode: ModeDirect, Ready: true},
			`{"role":"manager","node":"n1","mode":"direct","ready":true,"tenants":null,"peers":null,"held_deletions":null,"pending_approvals":null,
			"backups":{"bytes":0,"copies":0,"max_bytes":0,"max_age":0}}`},
		{"tenant never synced", TenantStatus{ID: 1, Rejected: []Rejection{{Path: "p", Reason: "r"}}},
			`{"id":1,"dir":"","url":"","revision":0,"last_sync":null,"last_error":"","rejected":[{"path":"p","reason":"r"}],
			"ready":false,"in_step":false}`},
		{"status of many tenants", Status{Role: "worker", Tenants: []TenantStatus{}, TenantsTruncated: true,
			TenantSummary: &TenantSummary{Count: 500, InStep: 498, Failing: []int{3, 7}, FailingCount: 2}},
			`{"role":"worker","node":"","mode":"","ready":false,"tenants":[],"tenants_truncated":true,
			"tenant_summary":{"count":500,"in_step":498,"failing":[3,7],"failing_count":2},
			"peers":null,"held_deletions":null,"pending_approvals":null,"backups":{"bytes":0,"copies":0,"max_bytes":0,"max_age":0}}`},
		{"peer never reached", PeerStatus{URL: "http://n:1"}, `{"url":"http://n:1","up":false,"last_success":null,"last_error":""}`},
		{"approve", ApproveReply{Approved: []guard.Hold{}}, `{"approved":[]}`},
		{"approve with expiry", ApproveReply{Approved: []guard.Hold{}, ExpiresAt: &at}, `{"approved":[],"expires_at":"2026-12-01T10:00:00Z"}`},
		{"approve request", ApproveRequest{Scopes: []string{"tenant -1234"}, Digest: "sha256:ab"},
			`{"scopes":["tenant -1234"],"digest":"sha256:ab"}`},
		{"empty approve request", ApproveRequest{}, `{}`},
		{"notice", Notice{Revision: 3, Node: "n1", URL: "https://n1:9780", Mode: ModeDirect},
			`{"revision":3,"node":"n1","url":"https://n1:9780","mode":"direct"}`},
		{"notice of an older manager", Notice{Revision: 3}, `{"revision":3}`},
		{"notice naming tenants", Notice{Revision: 9, Tenants: []NoticeTenant{{ID: 3, Revision: 9}}},
			`{"revision":9,"tenants":[{"id":3,"revision":9}]}`},
		{"notify reply", NotifyReply{Accepted: true}, `{"accepted":true}`},
		{"health", Health{Status: "ok"}, `{"status":"ok"}`},
		{"entry", Entry{File: "A_1.car", ID: "A_1", Name: "A", Version: "1", Size: 5, SHA256: "ab", MTime: at},
			`{"file":"A_1.car","id":"A_1","name":"A","version":"1","size":5,"sha256":"ab","mtime":"2026-12-01T10:00:00Z"}`},
		{"invalid entry", Entry{File: "B.car", MTime: at, Error: "not a zip"},
			`{"file":"B.car","id":"","name":"","version":"","size":0,"sha256":"","mtime":"2026-12-01T10:00:00Z","error":"not a zip"}`},
		{"put result", PutResult{File: "A_1.car", ID: "A_1", SHA256: "ab", Status: "created", Replaced: []string{"A-old.car"}},
			`{"file":"A_1.car","id":"A_1","sha256":"ab","status":"created","replaced":["A-old.car"]}`},
		{"put result, nothing replaced", PutResult{File: "A_1.car", ID: "A_1", SHA256: "ab", Status: "unchanged"},
			`{"file":"A_1.car","id":"A_1","sha256":"ab","status":"unchanged"}`},
		{"error", Error{Error: "no"}, `{"error":"no"}`},
		{"worker's refusal", Error{Error: "this node is a worker", Manager: "https://n1:9780"},
			`{"error":"this node is a worker","manager":"https://n1:9780"}`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := json.Marshal(tt.v)
			require.NoError(t, err)
			assert.JSONEq(t, tt.want, string(got))
		})
	}
}

func TestEntryValid(t *testing.T) {
	assert.True(t, Entry{File: "A_1.car", ID: "A_1"}.Valid())
	assert.False(t, Entry{File: "A_1.car", ID: "A_1", Error: "truncated"}.Valid(), "an error makes it invalid")
	assert.False(t, Entry{File: "A_1.car"}.Valid(), "no id: Carbon would not deploy it")
}

func TestWriteError(t *testing.T) {
	w := httptest.NewRecorder()
	WriteError(w, http.StatusConflict, "this node is a manager")
	assert.Equal(t, http.StatusConflict, w.Code)
	assert.Equal(t, "application/json", w.Header().Get("Content-Type"))
	var e Error
	require.NoError(t, json.Unmarshal(w.Body.Bytes(), &e))
	assert.Equal(t, Error{Error: "this node is a manager"}, e)
	assert.Contains(t, w.Body.String(), "\n  \"error\"", "indented for people reading it with curl")
}
