package manager

import (
	"context"
	"os"
	"path/filepath"
	"time"

	"github.com/depsync/depsync/syncer/internal/gate"
)

// afterCommit looks at the committed files once more and asks for another
// look (wait) at those that changed meanwhile. It reports whether a C-App
// changed while svn read it: the revision is then not announced until the
// whole one follows.
func (m *Manager) afterCommit(ready []candidate, written, checked map[string]gate.Sig, wait func(string, time.Time)) (suspect bool) {
	// A file deleted at the look and written again since (its deletion
	// was scheduled with --keep-local) is on disk, unversioned now: look
	// at it again, or nothing would until the next full reconcile.
	for _, c := range ready {
		if c.op == '-' {
			if _, err := os.Lstat(filepath.Join(m.t.Dir, filepath.FromSlash(c.path))); err == nil {
				wait(c.path, time.Now())
			}
		}
	}
	// A C-App rewritten between its check and svn reading it may have
	// gone in half-written: look at it again at once, so the whole one
	// follows in the next revision.
	// A file written again while svn committed it may have had its new
	// timestamp recorded as the committed one: svn status would then call
	// it unchanged for good. Moving its mtime on by a microsecond makes svn
	// compare the contents, so the next pass commits it.
	for p, sig := range written {
		abs := filepath.Join(m.t.Dir, filepath.FromSlash(p))
		if now, err := gate.Stat(abs); err == nil && now != sig {
			_ = os.Chtimes(abs, time.Time{}, now.MTime.Add(time.Microsecond))
			if _, isCApp := checked[p]; !isCApp {
				wait(p, time.Now())
			}
		}
	}
	for p, sig := range checked {
		if now, err := gate.Stat(filepath.Join(m.t.Dir, filepath.FromSlash(p))); err != nil || now != sig {
			m.log.Warn("C-App changed while it was being committed; committing it again before telling the workers", "path", p)
			wait(p, time.Now())
			suspect = true
		}
	}
	return suspect
}

// A commit that failed may have failed after the server took it: svn says
// "Commit succeeded, but other errors follow" (a committed file was deleted
// before svn could set its permissions) and leaves the rest of its
// post-commit work queued in the working copy. Whoever runs that work
// later (svn cleanup) records each committed file's size and time as they
// are then, without comparing contents, and so does the part svn ran
// before it failed, for a file rewritten while it committed: a file
// rewritten with the same size passes for committed for good (svn 1.14.2;
// found by the chaos test: the manager's working copy clean, three files
// differing from the repository). After a failed commit the manager runs
// the queued work itself (heal), then moves on the time of every file it
// had meant to commit that changed since its look, so that svn compares
// their contents.

// suspectCommitted keeps the files a failed commit was given, as they were
// looked at, until settleSuspects has dealt with them.
func (m *Manager) suspectCommitted(written map[string]gate.Sig) {
	if m.suspect == nil {
		m.suspect = map[string]gate.Sig{}
	}
	for p, sig := range written {
		if _, ok := m.suspect[p]; !ok {
			m.suspect[p] = sig
		}
	}
}

// settleSuspects runs the work a failed commit left queued, then has svn
// compare the contents of the files changed since they were looked at.
// While the working copy cannot be cleaned up they stay suspect, and the
// next pass tries again before anything else.
func (m *Manager) settleSuspects(ctx context.Context) {
	if len(m.suspect) == 0 || !m.env.Files.Heal(ctx) {
		return
	}
	for p, sig := range m.suspect {
		abs := filepath.Join(m.t.Dir, filepath.FromSlash(p))
		if now, err := gate.Stat(abs); err == nil && now != sig {
			_ = os.Chtimes(abs, time.Time{}, now.MTime.Add(time.Microsecond))
		}
	}
	m.suspect = nil
}
