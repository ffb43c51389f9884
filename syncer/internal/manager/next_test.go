package manager

import (
	"fmt"
	"sort"
	"testing"

	"github.com/stretchr/testify/assert"

	"github.com/depsync/depsync/svn"
)

// TestDecideNext: what a pass's end means for the next pass, with no svn,
// no HTTP and no daemon.
func TestDecideNext(t *testing.T) {
	paths := func(ps ...string) map[string]struct{} {
		set := map[string]struct{}{}
		for _, p := range ps {
			set[p] = struct{}{}
		}
		return set
	}
	given := work{paths: paths("a.xml", "b.xml")}
	svnErr := func(kind error, code string) error {
		return fmt.Errorf("commit: %w", &svn.Error{Op: "commit", Kind: kind, Codes: []string{code}, Message: "svn: " + code})
	}
	full := &svn.Error{Op: "commit", Message: "svn: E200030: sqlite[S13]: database or disk is full"}
	missing := fmt.Errorf("%w: /d is not there", errDirMissing)

	for _, tt := range []struct {
		name string
		r    passReport
		want nextStep
		// again are the paths looked at again, sorted.
		again []string
	}{
		{name: "committed: the peers are told, what waits is looked at again",
			r:     passReport{todo: given, res: syncResult{rev: 7, waiting: []string{"c.xml"}}},
			want:  nextStep{outcome: committed, notify: true},
			again: []string{"c.xml"}},
		{name: "nothing committed: nobody is told",
			r:    passReport{todo: given},
			want: nextStep{outcome: committed}},
		{name: "a C-App changed while svn read it: the revision is not announced",
			r:    passReport{todo: given, res: syncResult{rev: 7, suspect: true}},
			want: nextStep{outcome: committed}},
		{name: "deletions wait to be judged: the next look is whole",
			r:    passReport{todo: given, res: syncResult{lookWhole: true}},
			want: nextStep{outcome: committed, again: work{full: true}}},
		{name: "caught up: the update may have rewritten files, the next look is whole",
			r:    passReport{todo: given, caughtUp: true, res: syncResult{rev: 8}},
			want: nextStep{outcome: committed, again: work{full: true}, notify: true}},
		{name: "directory missing: everything is kept, the whole tree looked at",
			r:     passReport{todo: given, err: missing},
			want:  nextStep{outcome: dirMissing, again: work{full: true}},
			again: []string{"a.xml", "b.xml"}},
		{name: "a removable tenant's directory missing: its removal goes to the guard",
			r:    passReport{catchUp: true, err: missing, removable: true},
			want: nextStep{outcome: dirMissing, again: work{full: true, catchUp: true}, folderGone: true}},
		{name: "unreachable: everything is kept, the backoff ends with the server's answer",
			r:     passReport{todo: given, err: svnErr(svn.ErrUnreachable, "E170013")},
			want:  nextStep{outcome: failed, unreachable: true},
			again: []string{"a.xml", "b.xml"}},
		{name: "out of date: the next pass catches up first",
			r:     passReport{todo: given, full: true, err: svnErr(svn.ErrOutOfDate, "E155011")},
			want:  nextStep{outcome: failed, again: work{full: true, catchUp: true}},
			again: []string{"a.xml", "b.xml"}},
		{name: "a file gone between the look and the commit: no catch-up",
			r:     passReport{todo: given, err: svnErr(svn.ErrNotFound, "E155010")},
			want:  nextStep{outcome: failed},
			again: []string{"a.xml", "b.xml"}},
		{name: "a catch-up still due stays due",
			r:     passReport{todo: given, catchUp: true, err: svnErr(svn.ErrUnreachable, "E170013")},
			want:  nextStep{outcome: failed, again: work{catchUp: true}, unreachable: true},
			again: []string{"a.xml", "b.xml"}},
		{name: "failed after catching up: the next look is whole",
			r:     passReport{todo: given, caughtUp: true, err: svnErr(svn.ErrUnreachable, "E170013")},
			want:  nextStep{outcome: failed, again: work{full: true}, unreachable: true},
			again: []string{"a.xml", "b.xml"}},
		{name: "disk full: the next pass starts with svn cleanup",
			r:     passReport{todo: given, err: full},
			want:  nextStep{outcome: failed, cleanup: true},
			again: []string{"a.xml", "b.xml"}},
		{name: "locked: heal",
			r:     passReport{todo: given, err: svnErr(svn.ErrLocked, "E155004")},
			want:  nextStep{outcome: failed, heal: true},
			again: []string{"a.xml", "b.xml"}},
	} {
		t.Run(tt.name, func(t *testing.T) {
			got := decideNext(tt.r)
			again := keys(got.again.paths)
			sort.Strings(again)
			if len(again) == 0 {
				again = nil
			}
			assert.Equal(t, tt.again, again, "paths looked at again")
			got.again.paths = nil
			assert.Equal(t, tt.want, got)
		})
	}
}
