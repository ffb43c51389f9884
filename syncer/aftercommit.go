package syncer

import (
	"os"
	"path/filepath"
	"time"
)

// afterCommit looks at the committed files once more and asks for another
// look (wait) at those that changed meanwhile. It reports whether a C-App
// changed while svn read it: the revision is then not announced until the
// whole one follows.
func (m *manager) afterCommit(ready []candidate, written, checked map[string]fileSig, wait func(string, time.Time)) (suspect bool) {
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
		if now, err := statSig(abs); err == nil && now != sig {
			_ = os.Chtimes(abs, time.Time{}, now.mtime.Add(time.Microsecond))
			if _, isCApp := checked[p]; !isCApp {
				wait(p, time.Now())
			}
		}
	}
	for p, sig := range checked {
		if now, err := statSig(filepath.Join(m.t.Dir, filepath.FromSlash(p))); err != nil || now != sig {
			m.log.Warn("C-App changed while it was being committed; committing it again before telling the workers", "path", p)
			wait(p, time.Now())
			suspect = true
		}
	}
	return suspect
}
