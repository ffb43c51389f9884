package failover

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"

	"github.com/depsync/depsync/svn"
)

func TestDecide(t *testing.T) {
	t0 := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	hold := 5 * time.Second
	for _, tc := range []struct {
		name string
		f    facts
		want action
	}{
		{"on svn.url, no failure", facts{inUse: 0, threshold: 3, now: t0, hold: hold}, stay},
		{"on svn.url, below the threshold", facts{inUse: 0, fails: 2, threshold: 3, now: t0, hold: hold}, stay},
		{"on svn.url, at the threshold", facts{inUse: 0, fails: 3, threshold: 3, now: t0, hold: hold}, tryOthers},
		{"on a fallback, at the threshold", facts{inUse: 1, fails: 3, threshold: 3, now: t0, hold: hold}, tryOthers},
		{"threshold 1", facts{inUse: 0, fails: 1, threshold: 1, now: t0, hold: hold}, tryOthers},
		{"on a fallback, svn.url silent", facts{inUse: 1, threshold: 3, now: t0, hold: hold}, stay},
		{"on a fallback, svn.url answers since less than hold", facts{inUse: 1, threshold: 3,
			upSince: t0.Add(-hold + time.Millisecond), now: t0, hold: hold}, stay},
		{"on a fallback, svn.url answers for hold", facts{inUse: 1, threshold: 3,
			upSince: t0.Add(-hold), now: t0, hold: hold}, goBack},
		{"on a fallback, failing, svn.url back", facts{inUse: 2, fails: 3, threshold: 3,
			upSince: t0.Add(-time.Hour), now: t0, hold: hold}, tryOthers},
		{"on svn.url, up for long", facts{inUse: 0, threshold: 3, upSince: t0.Add(-time.Hour), now: t0, hold: hold}, stay},
	} {
		t.Run(tc.name, func(t *testing.T) {
			assert.Equal(t, tc.want, decide(tc.f))
		})
	}
}

func TestCandidates(t *testing.T) {
	assert.Equal(t, []int{1, 2}, candidates(3, 0), "from svn.url: the fallbacks in order")
	assert.Equal(t, []int{0, 2}, candidates(3, 1), "from a fallback: svn.url first")
	assert.Equal(t, []int{0, 1}, candidates(3, 2))
	assert.Empty(t, candidates(1, 0))
}

func TestJudge(t *testing.T) {
	down := errors.New("unreachable")
	for _, tc := range []struct {
		name       string
		want, uuid string
		head, seen int64
		err        error
		grade      grade
	}{
		{"the repository", "u1", "u1", 7, 7, nil, fit},
		{"ahead", "u1", "u1", 8, 7, nil, fit},
		{"the UUID not known yet", "", "u1", 7, 0, nil, fit},
		{"another repository", "u1", "u2", 9, 7, nil, unfit},
		{"silent", "u1", "", 0, 7, down, unfit},
		{"a replica behind", "u1", "u1", 6, 7, nil, behind},
	} {
		t.Run(tc.name, func(t *testing.T) {
			assert.Equal(t, tc.grade, judge(tc.want, tc.uuid, tc.head, tc.seen, tc.err))
		})
	}
}

func TestTally(t *testing.T) {
	down := &svn.Error{Op: "info", Kind: svn.ErrUnreachable}
	for _, tc := range []struct {
		name string
		err  error
		want int
	}{
		{"success", nil, 0},
		{"unreachable", down, 3},
		{"wrapped unreachable", errors.Join(errors.New("update"), down), 3},
		{"timed out", &svn.Error{Op: "update", Kind: svn.ErrTimeout}, 3},
		{"canceled", &svn.Error{Op: "update", Kind: svn.ErrCanceled}, 2},
		{"context canceled", context.Canceled, 2},
		{"the server answered no", &svn.Error{Op: "info", Kind: svn.ErrNotFound}, 0},
		{"switched", &SwitchedError{From: "a", To: "b", Err: down}, 0},
	} {
		t.Run(tc.name, func(t *testing.T) {
			assert.Equal(t, tc.want, tally(2, tc.err))
		})
	}
}
