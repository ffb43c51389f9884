package guard

import (
	"bytes"
	"fmt"
	"log/slog"
	"slices"
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

// TestApprovalCoversWhatWasHeld: an approval lets through the paths held
// when it was given, or fewer of them (files came back), never more or
// others: the blank cheque (hold 4 of 6, approve, lose the last
// 2 too) is a new hold, not 6 deletions.
func TestApprovalCoversWhatWasHeld(t *testing.T) {
	six := paths(6)
	tests := []struct {
		name    string
		next    Pass
		allowed bool
		reason  string
	}{
		{"the same four", Pass{Deleted: six[:4], Total: 6}, true, ""},
		{"the same four, in another order", Pass{Deleted: []string{six[3], six[1], six[0], six[2]}, Total: 6}, true, ""},
		{"three of them: one came back", Pass{Deleted: six[:3], Total: 6, Reason: ReasonEmptied}, true, ""},
		{"all six: the last two went too", Pass{Deleted: six, Total: 6, Reason: ReasonEmptied}, false, ReasonEmptied},
		{"five: one more", Pass{Deleted: six[:5], Total: 6}, false, ReasonLimit},
		{"four, one of them another", Pass{Deleted: append(slices.Clone(six[:3]), six[5]), Total: 6}, false, ReasonLimit},
		{"four others of a bigger tree", Pass{Deleted: paths(10)[6:], Total: 10, Reason: ReasonDirGone}, false, ReasonDirGone},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			g := New(Options{})
			const scope = "peer https://node2:9780"
			require.False(t, g.Check(Pass{Scope: scope, Deleted: six[:4], Total: 6}), "4 of 6 is held")
			require.Len(t, g.Approve(), 1)
			tt.next.Scope = scope
			assert.Equal(t, tt.allowed, g.Check(tt.next))
			holds := g.Holds()
			if tt.allowed {
				assert.Empty(t, holds)
				return
			}
			require.Len(t, holds, 1, "a new hold")
			assert.Equal(t, tt.reason, holds[0].Reason)
			assert.Equal(t, len(tt.next.Deleted), holds[0].Count)
			assert.False(t, g.Check(tt.next), "the approval is not kept for a later pass either")
		})
	}
}

// TestApprovalExpires: an approval not used within the TTL is dropped (the
// hold stays), measured on the guard's clock.
func TestApprovalExpires(t *testing.T) {
	now := time.Date(2026, 12, 1, 10, 0, 0, 0, time.UTC)
	g := New(Options{Now: func() time.Time { return now }, ApprovalTTL: 5 * time.Minute})
	gone := Pass{Scope: "tenant -1234", Deleted: paths(4), Total: 4, Reason: ReasonDirGone}
	require.False(t, g.Check(gone))
	approved, expires, err := g.ApproveSelected(Selection{})
	require.NoError(t, err)
	require.Len(t, approved, 1)
	assert.Equal(t, now.Add(5*time.Minute), expires)
	assert.Equal(t, []Approval{{Scope: gone.Scope, Count: 4, Digest: Digest(gone.Deleted), ApprovedAt: now,
		ExpiresAt: now.Add(5 * time.Minute)}}, g.Pending())

	now = now.Add(5 * time.Minute)
	assert.Empty(t, g.Pending(), "expired")
	assert.False(t, g.Check(gone), "an expired approval lets nothing through")
	require.Len(t, g.Holds(), 1, "the hold stays")

	g.Approve()
	now = now.Add(5*time.Minute - time.Second)
	require.Len(t, g.Pending(), 1)
	assert.True(t, g.Check(gone), "used within its time")
	assert.Empty(t, g.Pending(), "used up")
	assert.Empty(t, g.Holds())
}

func TestDefaultApprovalTTL(t *testing.T) {
	now := time.Date(2026, 12, 1, 10, 0, 0, 0, time.UTC)
	g := New(Options{Now: func() time.Time { return now }})
	require.False(t, g.Check(Pass{Scope: "s", Deleted: paths(4), Total: 4, Reason: ReasonDirGone}))
	_, expires, err := g.ApproveSelected(Selection{})
	require.NoError(t, err)
	assert.Equal(t, now.Add(10*time.Minute), expires)
}

// TestApproveSelected: --scope and --digest approve exactly what a person
// saw, or nothing at all.
func TestApproveSelected(t *testing.T) {
	tenant := Pass{Scope: "tenant -1234", Deleted: paths(4), Total: 4, Reason: ReasonDirGone}
	peer1 := Pass{Scope: "peer https://node2:9780", Deleted: paths(3), Total: 3, Reason: ReasonEmptied}
	peer2 := Pass{Scope: "peer https://node3:9780", Deleted: paths(3), Total: 3, Reason: ReasonEmptied}
	tests := []struct {
		name string
		sel  Selection
		want []string // scopes approved
		err  error
	}{
		{"everything as shown", Selection{}, []string{peer1.Scope, peer2.Scope, tenant.Scope}, nil},
		{"one scope", Selection{Scopes: []string{tenant.Scope}}, []string{tenant.Scope}, nil},
		{"two scopes, one twice", Selection{Scopes: []string{peer2.Scope, tenant.Scope, peer2.Scope}}, []string{peer2.Scope, tenant.Scope}, nil},
		{"scope and its digest", Selection{Scopes: []string{tenant.Scope}, Digest: Digest(paths(4))}, []string{tenant.Scope}, nil},
		{"digest alone: every hold that has it", Selection{Digest: Digest(paths(3))}, []string{peer1.Scope, peer2.Scope}, nil},
		{"scope holding nothing", Selection{Scopes: []string{tenant.Scope, "tenant 7"}}, nil, ErrNotHeld},
		{"scope whose digest changed", Selection{Scopes: []string{tenant.Scope}, Digest: Digest(paths(3))}, nil, ErrChanged},
		{"digest nobody has", Selection{Digest: Digest(paths(5))}, nil, ErrChanged},
		{"digest one of the scopes lacks", Selection{Scopes: []string{peer1.Scope, tenant.Scope}, Digest: Digest(paths(3))}, nil, ErrChanged},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			approvals := 0
			g := New(Options{OnApprove: func() { approvals++ }})
			for _, p := range []Pass{tenant, peer1, peer2} {
				require.False(t, g.Check(p))
			}
			got, _, err := g.ApproveSelected(tt.sel)
			if tt.err != nil {
				require.ErrorIs(t, err, tt.err)
				assert.Empty(t, got)
				assert.Empty(t, g.Pending(), "nothing approved")
				assert.Zero(t, approvals)
				return
			}
			require.NoError(t, err)
			var scopes []string
			for _, h := range got {
				scopes = append(scopes, h.Scope)
				assert.Equal(t, Digest(h.Paths), h.Digest, "few paths: Paths are all of them")
			}
			assert.Equal(t, tt.want, scopes)
			assert.Len(t, g.Pending(), len(tt.want))
			assert.Equal(t, 1, approvals)
			for _, p := range []Pass{tenant, peer1, peer2} {
				assert.Equal(t, slices.Contains(tt.want, p.Scope), g.Check(p), p.Scope)
			}
		})
	}
}

func TestApproveSelectedWithoutHolds(t *testing.T) {
	g := New(Options{})
	got, _, err := g.ApproveSelected(Selection{})
	require.NoError(t, err, "an empty approval of nothing is no error")
	assert.Empty(t, got)
	_, _, err = g.ApproveSelected(Selection{Scopes: []string{"tenant -1234"}})
	require.ErrorIs(t, err, ErrNotHeld)
	assert.Contains(t, err.Error(), "nothing is held")
}

// TestHoldDigestNamesEveryPath: the digest covers every held path, not
// only the MaxPaths listed, and the hold is logged anew when its paths
// change at the same count.
func TestHoldDigestNamesEveryPath(t *testing.T) {
	var logs bytes.Buffer
	g := New(Options{Logger: slog.New(slog.NewTextHandler(&logs, nil))})
	many := paths(20)
	require.False(t, g.Check(Pass{Scope: "s", Deleted: many, Total: 20, Reason: ReasonDirGone}))
	h := g.Holds()[0]
	assert.Len(t, h.Paths, MaxPaths)
	assert.Equal(t, Digest(many), h.Digest)
	assert.NotEqual(t, Digest(many[:MaxPaths]), h.Digest)
	assert.Regexp(t, `^sha256:[0-9a-f]{64}$`, h.Digest)
	assert.Equal(t, Digest([]string{"b", "a"}), Digest([]string{"a", "b"}), "order does not matter")

	other := append(slices.Clone(many[:19]), "carbonapps/other.car")
	require.False(t, g.Check(Pass{Scope: "s", Deleted: other, Total: 20, Reason: ReasonDirGone}))
	assert.Equal(t, Digest(other), g.Holds()[0].Digest)
	g.Approve()
	assert.False(t, g.Check(Pass{Scope: "s", Deleted: many, Total: 20, Reason: ReasonDirGone}),
		"approved the hold with other.car: the first set is not covered")
	assert.Empty(t, g.Pending(), "the approval is dropped")
	assert.Contains(t, logs.String(), "changed since it was approved")
	assert.Contains(t, logs.String(), "not_approved="+many[19])
}

func TestCheckDigest(t *testing.T) {
	require.NoError(t, CheckDigest(Digest(paths(3))))
	for _, bad := range []string{"", "sha256:", "abc", "sha256:xyz", "md5:" + Digest(nil)[7:], Digest(nil)[:70]} {
		assert.Error(t, CheckDigest(bad), bad)
	}
}
