package tenant

import (
	"errors"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"

	"github.com/depsync/depsync/api"
	"github.com/depsync/depsync/svn"
)

func TestStatus(t *testing.T) {
	full := &svn.Error{Op: "update", Message: "svn: E200030: sqlite[S13]: database or disk is full"}
	now := time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)
	for _, tt := range []struct {
		name   string
		change func(*Status)
		want   Status
	}{
		{"a failure counts and says why", func(s *Status) { s.Failed(errors.New("boom")) },
			Status{LastError: "boom", Failures: 1}},
		{"a full disk says so", func(s *Status) { s.Failed(full) },
			Status{LastError: full.Error(), Failures: 1, DiskFull: DiskFullHint}},
		{"a failed probe leaves the full disk as it is", func(s *Status) { s.Failed(full); s.ProbeFailed(errors.New("down")) },
			Status{LastError: "down", Failures: 2, DiskFull: DiskFullHint}},
		{"a probe's success does not clear the full disk nor make ready",
			func(s *Status) { s.Failed(full); s.Succeeded(0, false, now) },
			Status{LastSuccess: now, DiskFull: DiskFullHint}},
		{"a sync clears it and makes ready", func(s *Status) { s.Failed(full); s.Succeeded(4, true, now) },
			Status{Revision: 4, Ready: true, LastSuccess: now, LastSync: now}},
		{"revision 0 keeps the revision", func(s *Status) { s.Succeeded(4, true, now); s.Succeeded(0, true, now) },
			Status{Revision: 4, Ready: true, LastSuccess: now, LastSync: now}},
		{"waiting says why, and is the last error", func(s *Status) { s.SetWaiting(errors.New("dir missing")) },
			Status{Waiting: "dir missing", LastError: "dir missing"}},
		{"no more waiting leaves the last error", func(s *Status) { s.SetWaiting(errors.New("dir missing")); s.SetWaiting(nil) },
			Status{LastError: "dir missing"}},
	} {
		t.Run(tt.name, func(t *testing.T) {
			s := NewStatus()
			tt.change(&s)
			s.Rejected = nil
			assert.Equal(t, tt.want, s)
		})
	}
}

func TestStatusRejections(t *testing.T) {
	s := NewStatus()
	s.Reject("b", &api.Rejection{Path: "b", Reason: "not_zip"})
	s.Reject("a", &api.Rejection{Path: "a", Reason: "odd_name"})
	c := s.Copy()
	s.Reject("b", nil)
	assert.Equal(t, []api.Rejection{{Path: "a", Reason: "odd_name"}}, s.RejectedList())
	assert.Len(t, c.RejectedList(), 2, "a copy keeps its own")
	assert.Equal(t, "a", c.RejectedList()[0].Path, "by path")
}
