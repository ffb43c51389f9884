package syncer

import (
	"context"
	"fmt"
	"strings"
	"time"

	"github.com/depsync/depsync/svn"
)

// commit commits ready (looked at as written, the C-Apps of checked
// validated) and records the revision and what changed in res; wait asks
// for another look at a path.
func (m *manager) commit(ctx context.Context, ready []candidate, written, checked map[string]fileSig,
	wait func(string, time.Time), res *syncResult) error {
	paths := make([]string, len(ready))
	deletable := []string{} // the guard's: none other, even if gone since
	for i, c := range ready {
		paths[i] = c.path
		res.summary = append(res.summary, string(c.op)+c.path)
		if c.op == '-' {
			deletable = append(deletable, c.path)
		}
	}
	rev, err := m.svn.CommitWith(ctx, m.t.Dir, m.message(res.summary), svn.CommitOptions{Deletable: deletable}, paths...)
	if err != nil {
		m.suspectCommitted(written)
		m.settleSuspects(ctx)
		return fmt.Errorf("commit %d change(s) (%s): %w", len(paths), joinLimited(res.summary, 5), err)
	}
	res.rev = rev
	res.suspect = m.afterCommit(ready, written, checked, wait)
	return nil
}

// message says what a commit changes: "depsync node1: +App_1.0.0.car
// ~synapse-configs/default/api/a.xml -Old_1.0.0.car", the first 20 on the
// first line and every path below it when there are more.
func (m *manager) message(summary []string) string {
	head := fmt.Sprintf("depsync %s: %s", m.d.cfg.NodeName, joinLimited(summary, 20))
	if len(summary) <= 20 {
		return head
	}
	return head + "\n\n" + strings.Join(summary, "\n")
}

func isCApp(p string) bool { return strings.HasSuffix(strings.ToLower(p), ".car") }
