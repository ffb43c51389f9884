package manager

import (
	"context"
	"fmt"
	"strings"
	"time"

	"github.com/depsync/depsync/syncer/internal/tenant"
)

// Once commits everything, waiting for files still being written.
func (m *Manager) Once(ctx context.Context) error {
	if err := m.prepare(ctx); err != nil {
		return err
	}
	todo := work{full: true}
	deadline := time.Now().Add(max(10*m.times.maxDelay, time.Minute))
	var rev int64
	for {
		start := time.Now()
		if err := m.checkDir(); err != nil {
			return err
		}
		res, err := m.sync(ctx, todo.paths, todo.full)
		if err != nil {
			m.env.State.Observe("commit", tenant.ResultError, start)
			return err
		}
		if res.rev > 0 {
			rev = res.rev
			m.log.Info("committed", "revision", res.rev, "changes", tenant.JoinLimited(res.summary, 20))
		}
		m.env.State.Succeeded(res.rev, true)
		if len(res.waiting) == 0 {
			break
		}
		if time.Now().After(deadline) {
			return fmt.Errorf("files still being written, not committed: %s", tenant.JoinLimited(res.waiting, 10))
		}
		// Deletions waited: the next look finds them all.
		todo = work{full: res.lookWhole}
		todo.add(res.waiting...)
		if !tenant.Sleep(ctx, time.Until(res.nextLook)) {
			return ctx.Err()
		}
	}
	if rev == 0 {
		m.log.Info("nothing to commit")
	}
	if m.holding() {
		return fmt.Errorf("deletions held, not committed: %s", m.env.Deletions.Summary())
	}
	if m.gate.Rejected() > 0 {
		var names []string
		for _, r := range m.env.State.Rejections() {
			names = append(names, r.Path+" ("+r.Reason+")")
		}
		return fmt.Errorf("invalid C-Apps not committed: %s", strings.Join(names, ", "))
	}
	return nil
}
