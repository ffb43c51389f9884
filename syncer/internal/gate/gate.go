package gate

import (
	"errors"
	"io/fs"
	"log/slog"
	"os"
	"path/filepath"
	"time"

	"github.com/depsync/depsync/api"
	"github.com/depsync/depsync/carbonapp"
	"github.com/depsync/depsync/syncer/internal/debounce"
)

// Gate is the manager's readiness check: a changed file goes into a commit
// once it has been quiet for the debounce and, for a C-App, once package
// carbonapp reads it whole. It remembers the files it waits for and the
// C-Apps it rejected, so that an invalid file is judged again only when it
// changes. Its clock is a field so that tests age files without sleeping.
type Gate struct {
	dir                string // the deployment directory
	debounce, maxDelay time.Duration
	Now                func() time.Time
	log                *slog.Logger
	// record is told of each rejection made (r set) or dropped (r nil),
	// with the one it replaces (old), to keep metrics and status current.
	record func(rel string, old, r *api.Rejection)

	// seen remembers files that were not yet stable at the last look.
	seen map[string]seenFile
	// rejected are invalid files not committed, with the state they were
	// judged in: they are looked at again only when they change.
	rejected map[string]rejectedFile
}

// Sig is what tells that a file changed. The ctime is part of it
// because writes always move it, even when the writer sets the mtime back
// (cp -p, tar), and nobody can set it.
type Sig struct {
	Size         int64
	MTime, CTime time.Time
}

// Changed is the last time the file's content or metadata changed.
func (s Sig) Changed() time.Time {
	if s.CTime.After(s.MTime) {
		return s.CTime
	}
	return s.MTime
}

// seenFile is a file not yet stable at a look, and when it was first seen
// so.
type seenFile struct {
	sig Sig
	at  time.Time // when sig was seen first
}

// rejectedFile is a rejection with the state of the file it judged.
type rejectedFile struct {
	sig Sig
	api.Rejection
}

// New returns a gate for the files below dir on the wall clock. record
// may be nil.
func New(dir string, debounce, maxDelay time.Duration, log *slog.Logger, record func(rel string, old, r *api.Rejection)) *Gate {
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	if record == nil {
		record = func(string, *api.Rejection, *api.Rejection) {}
	}
	return &Gate{
		dir:      dir,
		debounce: debounce,
		maxDelay: maxDelay,
		Now:      time.Now,
		log:      log,
		record:   record,
		seen:     map[string]seenFile{},
		rejected: map[string]rejectedFile{},
	}
}

// Stable reports whether a file has not changed for the quiet time: its
// last change is at least debounce old, or it is as it was at a look at
// least debounce ago (for clocks that disagree). When it is not, it returns
// when to look again.
func (g *Gate) Stable(p string, sig Sig, now time.Time) (time.Time, bool) {
	prev, ok := g.seen[p]
	var sameSince time.Time
	if ok && prev.sig == sig {
		sameSince = prev.at
	}
	next, quiet := debounce.Quiet(now, sig.Changed(), sameSince, g.debounce)
	if quiet {
		return time.Time{}, true
	}
	if sameSince.IsZero() {
		g.seen[p] = seenFile{sig: sig, at: now}
	}
	return next, false
}

// Passed forgets the wait for a file that goes into a commit.
func (g *Gate) Passed(p string) { delete(g.seen, p) }

// ValidCApp reads a .car whole with package carbonapp. It returns ok for a
// valid one; otherwise, when to look again (still being copied), or zero
// when it is rejected until it changes.
func (g *Gate) ValidCApp(rel, abs string, sig Sig, now time.Time) (bool, time.Time, error) {
	if r, ok := g.rejected[rel]; ok && r.sig == sig {
		return false, time.Time{}, nil // judged already; its next change brings it back
	}
	_, err := carbonapp.ParseFile(abs)
	if err == nil {
		if after, serr := Stat(abs); serr != nil || after != sig {
			return false, g.Now().Add(g.debounce), nil // changed while read
		}
		if _, was := g.rejected[rel]; was {
			g.log.Info("C-App valid now", "path", rel)
			g.unreject(rel)
		}
		return true, time.Time{}, nil
	}
	if errors.Is(err, fs.ErrNotExist) {
		return false, now.Add(g.debounce), nil
	}
	if carbonapp.IsIncomplete(err) && now.Sub(sig.Changed()) < g.incompleteGrace() {
		g.log.Debug("C-App incomplete, probably still being copied; waiting", "path", rel, "error", err)
		return false, now.Add(g.debounce), nil
	}
	reason := string(carbonapp.KindOf(err))
	if reason == "" {
		reason = "unreadable"
	}
	g.Reject(rel, sig, reason, "invalid C-App not committed; it is looked at again when it changes", err)
	return false, time.Time{}, nil
}

// Reject records a rejection of rel as it is (sig), with one log line
// (msg).
func (g *Gate) Reject(rel string, sig Sig, reason, msg string, err error) {
	r := api.Rejection{Path: rel, Reason: reason, Error: err.Error()}
	var old *api.Rejection
	if o, ok := g.rejected[rel]; ok {
		old = &o.Rejection
	}
	g.rejected[rel] = rejectedFile{sig: sig, Rejection: r}
	g.log.Warn(msg, "path", rel, "reason", reason, "error", err)
	g.record(rel, old, &r)
}

// unreject drops the rejection of rel.
func (g *Gate) unreject(rel string) {
	old, ok := g.rejected[rel]
	if !ok {
		return
	}
	delete(g.rejected, rel)
	g.record(rel, &old.Rejection, nil)
}

// Forget drops rejections of files that are gone or no longer differ from
// the repository: current holds the changed paths of this pass, which
// looked at the pending paths or, when full, at the whole tree.
func (g *Gate) Forget(pending map[string]struct{}, full bool, current map[string]bool) {
	// Files waited for that are gone since are forgotten too.
	for rel := range g.seen {
		if _, err := os.Lstat(filepath.Join(g.dir, filepath.FromSlash(rel))); errors.Is(err, fs.ErrNotExist) {
			delete(g.seen, rel)
		}
	}
	for rel := range g.rejected {
		if current[rel] {
			continue
		}
		_, looked := pending[rel]
		if full || looked {
			g.unreject(rel)
		} else if _, err := os.Lstat(filepath.Join(g.dir, filepath.FromSlash(rel))); errors.Is(err, fs.ErrNotExist) {
			g.unreject(rel)
		}
	}
}

// incompleteGrace is how long a C-App may stay incomplete without changing
// before it is taken for truncated rather than still being copied.
func (g *Gate) incompleteGrace() time.Duration {
	return max(g.maxDelay, 10*g.debounce, 5*time.Second)
}

// Stat reads a file's size, mtime and ctime.
func Stat(p string) (Sig, error) {
	fi, err := os.Lstat(p)
	if err != nil {
		return Sig{}, err
	}
	return SigOf(fi), nil
}

// SigOf is the signature of a file as fi says.
func SigOf(fi fs.FileInfo) Sig {
	return Sig{Size: fi.Size(), MTime: fi.ModTime(), CTime: ctime(fi)}
}

// Rejected is how many files the gate rejects now.
func (g *Gate) Rejected() int { return len(g.rejected) }
