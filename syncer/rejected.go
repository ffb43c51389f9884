package syncer

import (
	"errors"
	"io/fs"
	"os"
	"path/filepath"
	"time"

	"github.com/depsync/depsync/carbonapp"
)

// validCApp reads a .car whole with package carbonapp. It returns ok for a
// valid one; otherwise, when to look again (still being copied), or zero
// when it is rejected until it changes.
func (m *manager) validCApp(rel, abs string, sig fileSig, now time.Time) (bool, time.Time, error) {
	if r, ok := m.rejected[rel]; ok && r.sig == sig {
		return false, time.Time{}, nil // judged already; its next change brings it back
	}
	_, err := carbonapp.ParseFile(abs)
	if err == nil {
		if after, serr := statSig(abs); serr != nil || after != sig {
			return false, time.Now().Add(m.debounce), nil // changed while read
		}
		if _, was := m.rejected[rel]; was {
			m.log.Info("C-App valid now", "path", rel)
			m.unreject(rel)
		}
		return true, time.Time{}, nil
	}
	if errors.Is(err, fs.ErrNotExist) {
		return false, now.Add(m.debounce), nil
	}
	if carbonapp.IsIncomplete(err) && now.Sub(sig.changed()) < m.incompleteGrace() {
		m.log.Debug("C-App incomplete, probably still being copied; waiting", "path", rel, "error", err)
		return false, now.Add(m.debounce), nil
	}
	reason := string(carbonapp.KindOf(err))
	if reason == "" {
		reason = "unreadable"
	}
	m.reject(rel, sig, reason, err)
	return false, time.Time{}, nil
}

func (m *manager) reject(rel string, sig fileSig, reason string, err error) {
	r := Rejection{Path: rel, Reason: reason, Error: err.Error()}
	if old, ok := m.rejected[rel]; ok {
		m.d.m.rejected.WithLabelValues(m.label, old.Reason).Dec()
	}
	m.rejected[rel] = rejectedFile{sig: sig, Rejection: r}
	m.d.m.rejected.WithLabelValues(m.label, reason).Inc()
	m.d.m.rejections.WithLabelValues(m.label, reason).Inc()
	m.log.Warn("invalid C-App not committed; it is looked at again when it changes", "path", rel, "reason", reason, "error", err)
	m.mu.Lock()
	m.st.Rejected[rel] = r
	m.mu.Unlock()
}

func (m *manager) unreject(rel string) {
	old, ok := m.rejected[rel]
	if !ok {
		return
	}
	delete(m.rejected, rel)
	m.d.m.rejected.WithLabelValues(m.label, old.Reason).Dec()
	m.mu.Lock()
	delete(m.st.Rejected, rel)
	m.mu.Unlock()
}

// forgetRejected drops rejections of files that are gone or no longer
// differ from the repository.
func (m *manager) forgetRejected(pending map[string]struct{}, full bool, current map[string]bool) {
	// Files waited for that are gone since are forgotten too.
	for rel := range m.seen {
		if _, err := os.Lstat(filepath.Join(m.t.Dir, filepath.FromSlash(rel))); errors.Is(err, fs.ErrNotExist) {
			delete(m.seen, rel)
		}
	}
	for rel := range m.rejected {
		if current[rel] {
			continue
		}
		_, looked := pending[rel]
		if full || looked {
			m.unreject(rel)
		} else if _, err := os.Lstat(filepath.Join(m.t.Dir, filepath.FromSlash(rel))); errors.Is(err, fs.ErrNotExist) {
			m.unreject(rel)
		}
	}
}

// incompleteGrace is how long a C-App may stay incomplete without changing
// before it is taken for truncated rather than still being copied.
func (m *manager) incompleteGrace() time.Duration {
	return max(m.maxDelay, 10*m.debounce, 5*time.Second)
}
