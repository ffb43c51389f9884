package manager

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"time"

	"github.com/depsync/depsync/svn"
	"github.com/depsync/depsync/syncer/internal/gate"
	"github.com/depsync/depsync/syncer/internal/tenant"
)

// commit commits ready (looked at as written, the C-Apps of checked
// validated) and records the revision and what changed in res; wait asks
// for another look at a path. A path svn refuses for itself (refusedPaths:
// a name or a kind of file it cannot take, found only by svn) is rejected
// and the rest committed without it, so that one odd path does not stop
// every commit of the tenant.
func (m *Manager) commit(ctx context.Context, ready []candidate, written, checked map[string]gate.Sig,
	wait func(string, time.Time), res *syncResult) error {
	for tries := 0; ; tries++ {
		paths := make([]string, len(ready))
		summary := make([]string, len(ready))
		deletable := []string{} // the guard's: none other, even if gone since
		for i, c := range ready {
			paths[i] = c.path
			summary[i] = string(c.op) + c.path
			if c.op == '-' {
				deletable = append(deletable, c.path)
			}
		}
		rev, err := m.svn.CommitWith(ctx, m.t.Dir, m.message(summary), svn.CommitOptions{Deletable: deletable}, paths...)
		if err != nil && tries < maxRefused {
			if refused := refusedPaths(err, m.t.Dir, paths); len(refused) > 0 {
				ready = m.refuse(ready, refused, err)
				if len(ready) == 0 {
					return nil
				}
				continue
			}
		}
		res.summary = append(res.summary, summary...)
		if err != nil {
			m.suspectCommitted(written)
			m.settleSuspects(ctx)
			return fmt.Errorf("commit %d change(s) (%s): %w", len(paths), tenant.JoinLimited(summary, 5), err)
		}
		res.rev = rev
		res.suspect = m.afterCommit(ready, written, checked, wait)
		return nil
	}
}

// maxRefused bounds the commits tried again without the paths svn refused.
const maxRefused = 5

// refuse rejects the refused paths of ready (svn's error says why) and
// returns the rest.
func (m *Manager) refuse(ready []candidate, refused []string, err error) []candidate {
	out := ready[:0:0]
	for _, c := range ready {
		if !slices.Contains(refused, c.path) {
			out = append(out, c)
			continue
		}
		var sig gate.Sig
		if fi, lerr := os.Lstat(filepath.Join(m.t.Dir, filepath.FromSlash(c.path))); lerr == nil {
			sig = gate.SigOf(fi)
		}
		m.gate.Reject(c.path, sig, gate.ReasonSVNRefused, "svn refused the path; the rest is committed without it, and it is looked at again when it changes", err)
	}
	return out
}

// message says what a commit changes: "depsync node1: +App_1.0.0.car
// ~synapse-configs/default/api/a.xml -Old_1.0.0.car", the first 20 on the
// first line and every path below it when there are more.
func (m *Manager) message(summary []string) string {
	head := fmt.Sprintf("depsync %s: %s", m.env.Config.NodeName, tenant.JoinLimited(summary, 20))
	if len(summary) <= 20 {
		return head
	}
	return head + "\n\n" + strings.Join(summary, "\n")
}
