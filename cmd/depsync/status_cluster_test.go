package main

import (
	"encoding/json"
	"errors"
	"testing"

	"github.com/stretchr/testify/assert"

	"github.com/depsync/depsync/api"
	"github.com/depsync/depsync/deploy"
	"github.com/depsync/depsync/deploy/client"
	"github.com/depsync/depsync/internal/guard"
)

// TestStepVerdict: when a node of the cluster view is in step, and why not.
func TestStepVerdict(t *testing.T) {
	summary := &api.TenantSummary{Count: 1, InStep: 1}
	status := func(role, mode string, rev int64) *api.Status {
		return &api.Status{Role: role, Mode: mode, Ready: true, TenantSummary: summary,
			Tenants: []api.TenantStatus{{ID: -1234, Revision: rev, Ready: true, InStep: true}}}
	}
	capp := func(file, sum string) deploy.Entry { return deploy.Entry{File: file, ID: file, SHA256: sum} }
	mgr := client.NodeReport{Status: status("manager", "svn", 7), CApps: []deploy.Entry{capp("A.car", "a"), capp("B.car", "b"),
		{File: "Half.car", Error: "not a whole C-App yet"}}}
	direct := client.NodeReport{Status: status("manager", "direct", 7), CApps: mgr.CApps}
	same := []deploy.Entry{capp("A.car", "a"), capp("B.car", "b")}
	held := status("worker", "svn", 7)
	held.Ready, held.Reason = false, "2 deletion(s) held"
	held.HeldDeletions = []guard.Hold{{Count: 2}}

	tests := []struct {
		name string
		node client.NodeReport
		mgr  *client.NodeReport
		want string
	}{
		{"manager", mgr, &mgr, ""},
		{"worker in step", client.NodeReport{Status: status("worker", "svn", 7), CApps: same}, &mgr, ""},
		{"worker ahead (another tenant's commit)", client.NodeReport{Status: status("worker", "svn", 8), CApps: same}, &mgr, ""},
		{"worker behind", client.NodeReport{Status: status("worker", "svn", 6), CApps: same}, &mgr, "tenant -1234 at r6, the manager at r7"},
		{"direct: revision not compared", client.NodeReport{Status: status("worker", "svn", 3), CApps: same}, &direct, ""},
		{"lacks one", client.NodeReport{Status: status("worker", "svn", 7), CApps: same[:1]}, &mgr, "lacks B.car"},
		{"other bytes", client.NodeReport{Status: status("worker", "svn", 7), CApps: []deploy.Entry{capp("A.car", "a"), capp("B.car", "x")}},
			&mgr, "differs in B.car"},
		{"one more", client.NodeReport{Status: status("worker", "svn", 7), CApps: append([]deploy.Entry{capp("X.car", "x")}, same...)},
			&mgr, "has besides X.car"},
		{"not ready", client.NodeReport{Status: held, CApps: same}, &mgr, "not ready: 2 deletion(s) held"},
		{"no answer", client.NodeReport{Err: errors.New("connection refused")}, &mgr, "no answer: connection refused"},
		{"no manager", client.NodeReport{Status: status("worker", "svn", 7), CApps: same}, nil, "no manager answered"},
		{"drift", client.NodeReport{Status: status("worker", "svn", 7), CApps: same, Raw: json.RawMessage(`{"drift":{"count":2}}`)},
			&mgr, "2 file(s) of drift"},
		{"capps unread", client.NodeReport{Status: status("worker", "svn", 7), CAppsErr: errors.New("timeout")}, &mgr,
			"its C-Apps could not be read: timeout"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := stepVerdict(tt.node, tt.mgr)
			if tt.want == "" {
				assert.Empty(t, got)
			} else {
				assert.Contains(t, got, tt.want)
			}
		})
	}

	view := clusterOf([]client.NodeReport{mgr, {Status: held, CApps: same}})
	assert.False(t, view.InStep)
	assert.Equal(t, 2, view.Nodes[1].HeldDeletions)
	assert.True(t, clusterOf([]client.NodeReport{mgr, {Status: status("worker", "svn", 7), CApps: same}}).InStep)

	// One node reached by two URLs is one row.
	m1, m2 := mgr, mgr
	m1.URL, m2.URL = "https://node1:9780", "https://10.0.0.1:9780"
	m1.Status.Node = "node1"
	assert.Len(t, clusterOf([]client.NodeReport{m1, m2}).Nodes, 1)
}

func TestDriftOf(t *testing.T) {
	for raw, want := range map[string]*int{`{}`: nil, `{"drift":null}`: nil, `{"drift":3}`: ptr(3), `{"drift":{"count":0,"paths":[]}}`: ptr(0)} {
		assert.Equal(t, want, driftOf(json.RawMessage(raw)), raw)
	}
}

func ptr(n int) *int { return &n }
