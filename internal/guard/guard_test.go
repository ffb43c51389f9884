package guard

import (
	"fmt"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/testutil"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/depsync/depsync/config"
)

func paths(n int) []string {
	out := make([]string, n)
	for i := range out {
		out[i] = fmt.Sprintf("carbonapps/app%02d.car", i)
	}
	return out
}

func TestCheck(t *testing.T) {
	half, err := config.ParseDeleteLimit("50%")
	require.NoError(t, err)
	five, err := config.ParseDeleteLimit("5")
	require.NoError(t, err)
	tests := []struct {
		name    string
		limit   config.DeleteLimit
		pass    Pass
		allowed bool
		reason  string
	}{
		{"nothing deleted", half, Pass{Scope: "s", Total: 3}, true, ""},
		{"one of three by hand", half, Pass{Scope: "s", Deleted: paths(1), Total: 3}, true, ""},
		{"two of two by hand", half, Pass{Scope: "s", Deleted: paths(2), Total: 2}, true, ""},
		{"three of ten", half, Pass{Scope: "s", Deleted: paths(3), Total: 10}, true, ""},
		{"six of ten", half, Pass{Scope: "s", Deleted: paths(6), Total: 10}, false, ReasonLimit},
		{"five of ten is not beyond half", half, Pass{Scope: "s", Deleted: paths(5), Total: 10}, true, ""},
		{"count five, five deleted", five, Pass{Scope: "s", Deleted: paths(5), Total: 100}, true, ""},
		{"count five, six deleted", five, Pass{Scope: "s", Deleted: paths(6), Total: 100}, false, ReasonLimit},
		{"vanished directory, one file", half, Pass{Scope: "s", Deleted: paths(1), Total: 50, Reason: ReasonDirGone}, false, ReasonDirGone},
		{"emptied carbonapps", half, Pass{Scope: "s", Deleted: paths(1), Total: 1, Reason: ReasonEmptied}, false, ReasonEmptied},
		{"reason but nothing to delete", half, Pass{Scope: "s", Total: 1, Reason: ReasonEmptied}, true, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			g := New(Options{Limit: tt.limit})
			assert.Equal(t, tt.allowed, g.Check(tt.pass))
			holds := g.Holds()
			if tt.allowed {
				assert.Empty(t, holds)
				return
			}
			require.Len(t, holds, 1)
			assert.Equal(t, tt.reason, holds[0].Reason)
			assert.Equal(t, len(tt.pass.Deleted), holds[0].Count)
		})
	}
}

func TestHoldLifecycle(t *testing.T) {
	now := time.Date(2026, 12, 1, 10, 0, 0, 0, time.UTC)
	reg := prometheus.NewRegistry()
	approvals := 0
	g := New(Options{Registerer: reg, Now: func() time.Time { return now }, OnApprove: func() { approvals++ }})
	gone := Pass{Scope: "tenant -1234", Deleted: paths(12), Total: 12, Reason: ReasonDirGone}

	require.False(t, g.Check(gone), "a vanished folder is held")
	now = now.Add(time.Minute)
	require.False(t, g.Check(gone), "and stays held pass after pass")
	holds := g.Holds()
	require.Len(t, holds, 1)
	assert.Equal(t, time.Date(2026, 12, 1, 10, 0, 0, 0, time.UTC), holds[0].Since, "since is the first time")
	assert.Len(t, holds[0].Paths, MaxPaths)
	assert.Equal(t, 12.0, testutil.ToFloat64(g.held))
	assert.Contains(t, g.Summary(), "depsync approve")

	approved := g.Approve()
	require.Len(t, approved, 1)
	assert.Equal(t, 1, approvals)
	assert.True(t, g.Check(gone), "an approved hold goes through once")
	assert.Empty(t, g.Holds())
	assert.Equal(t, 0.0, testutil.ToFloat64(g.held))
	assert.False(t, g.Check(gone), "the approval is used up")
}

func TestHoldClearsWhenFilesComeBack(t *testing.T) {
	g := New(Options{})
	other := Pass{Scope: "peer http://127.0.0.1:1", Deleted: paths(3), Total: 3, Reason: ReasonEmptied}
	require.False(t, g.Check(Pass{Scope: "tenant -1234", Deleted: paths(4), Total: 4, Reason: ReasonDirGone}))
	require.False(t, g.Check(other))
	assert.True(t, g.Check(Pass{Scope: "tenant -1234", Total: 4}), "folder back: nothing to delete")
	holds := g.Holds()
	require.Len(t, holds, 1, "other scopes keep their hold")
	assert.Equal(t, other.Scope, holds[0].Scope)
}

func TestApproveWithoutHoldsIsANoOp(t *testing.T) {
	called := false
	g := New(Options{OnApprove: func() { called = true }})
	assert.Empty(t, g.Approve())
	assert.False(t, called)
	assert.Equal(t, "", g.Summary())
}

func TestExceededFollowsTheLimit(t *testing.T) {
	g := New(Options{})
	assert.False(t, g.Exceeded(2, 2), "one or two deletions never count")
	assert.False(t, g.Exceeded(3, 6))
	assert.True(t, g.Exceeded(4, 6))
}
