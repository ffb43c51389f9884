package syncer

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path"
	"path/filepath"
	"sort"
	"strings"
	"time"

	"github.com/depsync/depsync/carbonapp"
	"github.com/depsync/depsync/svn"
)

// maxTargets is how many pending paths are looked at one by one; above it
// one svn status of the whole tree is cheaper.
const maxTargets = 512

// manager commits its deployment directory: it is the source of truth.
type manager struct {
	*tenantSync
	debounce, maxDelay, rescanEvery, pollEvery time.Duration

	// Paths to look at (slash, relative), and whether the whole tree is.
	pending map[string]struct{}
	full    bool
	// seen remembers files that were not yet stable at the last look.
	seen map[string]seenFile
	// rejected are invalid files not committed, with the state they were
	// judged in: they are looked at again only when they change.
	rejected map[string]rejectedFile

	nextLook  time.Time // when the next pass is due; zero: none
	notBefore time.Time // backoff after a failure
	fails     failures
	probeFail failures
	// knownRev is the newest revision of the folder the manager knows
	// its directory holds: its own last commit or update.
	knownRev int64
	// catchUpNeeded: the working copy and the repository disagree; the
	// next pass runs catchUp first.
	catchUpNeeded bool
	// cleanupNext: a pass ran out of space; the next one starts with svn
	// cleanup.
	cleanupNext bool
}

// fileSig is what tells that a file changed. The ctime is part of it
// because writes always move it, even when the writer sets the mtime back
// (cp -p, tar), and nobody can set it.
type fileSig struct {
	size         int64
	mtime, ctime time.Time
}

// changed is the last time the file's content or metadata changed.
func (s fileSig) changed() time.Time {
	if s.ctime.After(s.mtime) {
		return s.ctime
	}
	return s.mtime
}

type seenFile struct {
	sig fileSig
	at  time.Time // when sig was seen first
}

type rejectedFile struct {
	sig fileSig
	Rejection
}

func newManager(ts *tenantSync) *manager {
	c := ts.d.cfg
	return &manager{
		tenantSync:  ts,
		debounce:    c.Sync.Debounce,
		maxDelay:    c.Sync.MaxDelay,
		rescanEvery: c.Sync.RescanInterval,
		pollEvery:   c.SVN.PollInterval,
		pending:     map[string]struct{}{},
		seen:        map[string]seenFile{},
		rejected:    map[string]rejectedFile{},
	}
}

// prepare creates the repository folder when missing and, when the
// directory is not yet a working copy, checks the folder out into it with
// --force: files already there stay as they are (unversioned, or modified
// where the repository has another version), so the first reconcile
// commits them and the manager's files win. Nothing local is overwritten.
func (m *manager) prepare(ctx context.Context) error {
	remote, err := m.ensureRemote(ctx)
	if err != nil {
		return err
	}
	if !isWorkingCopy(m.t.Dir) {
		// Never made anew: an empty directory checked out would commit
		// the loss of every file.
		if err := m.checkDir(); err != nil {
			return err
		}
		m.log.Info("making the deployment directory a working copy; its files win and are committed",
			"dir", m.t.Dir, "url", m.t.URL)
		rev, err := m.svn.Checkout(ctx, m.t.URL, m.t.Dir, true)
		if err != nil {
			return fmt.Errorf("checkout %s into %s: %w", m.t.URL, m.t.Dir, err)
		}
		m.knownRev = rev
	}
	info, err := m.checkWorkingCopy(ctx)
	if err != nil {
		return err
	}
	if m.knownRev == 0 {
		m.knownRev = info.Revision
	}
	m.succeeded(info.Revision, false)
	m.log.Info("manager ready to commit", "dir", m.t.Dir, "url", m.t.URL, "revision", info.Revision, "head", remote.Revision)
	return nil
}

// run is the manager's loop: watch, look, commit, notify.
func (m *manager) run(ctx context.Context) error {
	if err := m.prepareWithRetry(ctx, m.prepare); err != nil || ctx.Err() != nil {
		return err
	}
	w := NewWatcher(m.t.Dir, m.d.cfg.Ignored, m.debounce, m.maxDelay, m.log)
	m.d.m.watcherMetrics(m.label, w)
	batches := make(chan Batch)
	watchErr := make(chan error, 1)
	go func() { watchErr <- w.Run(ctx, batches) }()

	look := time.NewTimer(time.Hour)
	look.Stop()
	defer look.Stop()
	rescan := time.NewTimer(jitter(m.rescanEvery))
	defer rescan.Stop()
	probe := time.NewTimer(jitter(m.pollEvery))
	defer probe.Stop()
	schedule := func(at time.Time) {
		if at.Before(m.notBefore) {
			at = m.notBefore
		}
		if m.nextLook.IsZero() || at.Before(m.nextLook) {
			m.nextLook = at
			look.Reset(time.Until(at))
		}
	}

	var watchFails failures
	m.full = true // the start-up reconcile
	schedule(time.Now())
	for {
		select {
		case <-ctx.Done():
			return nil
		case err := <-watchErr:
			if ctx.Err() != nil {
				return nil
			}
			// The directory may have been removed and made again: watch
			// it anew and reconcile, since events were lost meanwhile.
			// With backoff, and logged once then summarised, so a missing
			// directory neither spins nor floods the log.
			wait := watchFails.fail(m.log, "watcher", err)
			go func() {
				if sleepCtx(ctx, wait) {
					watchErr <- w.Run(ctx, batches)
				} else {
					watchErr <- ctx.Err()
				}
			}()
			m.full = true
			schedule(time.Now().Add(time.Second))
		case b := <-batches:
			watchFails.ok(m.log, "watcher")
			for _, p := range b.Paths {
				m.pending[p] = struct{}{}
			}
			m.full = m.full || b.Rescan
			if m.d.direct != nil && m.d.Mode() == ModeDirect {
				m.d.direct.Trigger()
			}
			schedule(time.Now())
		case <-look.C:
			m.nextLook = time.Time{}
			if next := m.pass(ctx); !next.IsZero() {
				schedule(next)
			}
		case <-m.wake:
			// An approval (POST /v1/approve): look at everything now.
			m.full = true
			schedule(time.Now())
		case <-rescan.C:
			m.full = true
			schedule(time.Now())
			rescan.Reset(jitter(m.rescanEvery))
		case <-probe.C:
			m.probe(ctx)
			if m.full || len(m.pending) > 0 {
				schedule(time.Now())
			}
			probe.Reset(jitter(m.pollEvery))
		}
	}
}

// pass looks at what is pending, commits what is ready and notifies the
// peers. It returns when the next pass is due, or zero.
func (m *manager) pass(ctx context.Context) time.Time {
	if len(m.pending) == 0 && !m.full {
		return time.Time{}
	}
	opCtx, cancel := m.d.opContext(ctx)
	defer cancel()
	start := time.Now()
	pending, full := m.pending, m.full
	m.pending, m.full = map[string]struct{}{}, false
	// While deletions are held only a look at the whole tree can tell
	// whether the files came back.
	full = full || m.holding()

	var res syncResult
	err := m.checkDir()
	m.waiting(err)
	if err == nil && m.cleanupNext && m.heal(opCtx) {
		// A full disk may have interrupted svn: finish its work first.
		m.cleanupNext = false
	}
	if err == nil && m.catchUpNeeded {
		var rev int64
		if rev, err = m.catchUp(opCtx); err == nil {
			m.knownRev = max(m.knownRev, rev)
			full = true
		}
	}
	if err == nil {
		res, err = m.sync(opCtx, pending, full)
		if disagrees(err) {
			// Catch up at once rather than after a backoff: svn's own
			// out-of-date retry may have left conflict markers in the
			// manager's files, which must not stay there.
			m.log.Info("working copy and repository disagree; catching up", "error", err)
			var rev int64
			if rev, err = m.catchUp(opCtx); err == nil {
				m.knownRev = max(m.knownRev, rev)
				res, err = m.sync(opCtx, pending, true)
			}
		}
	}
	if err != nil {
		if errors.Is(err, errDirMissing) {
			// Not the server's fault: the mode stays as it is.
			for p := range pending {
				m.pending[p] = struct{}{}
			}
			m.full = true
			wait := m.fails.fail(m.log, "commit", err)
			m.notBefore = time.Now().Add(wait)
			return m.notBefore
		}
		if disagrees(err) {
			m.catchUpNeeded = true
		}
		m.cleanupNext = m.cleanupNext || noSpace(err)
		for p := range pending {
			m.pending[p] = struct{}{}
		}
		m.full = m.full || full
		m.observe("commit", resultError, start)
		m.failed(err)
		// Cleaned up: try again at once, but only the first time; a lock
		// that keeps coming back (another agent on this working copy)
		// goes through the backoff like any failure.
		// The heal runs every time; only the retry at once is limited.
		if lockedErr(err) && m.heal(opCtx) && m.fails.n == 0 {
			m.fails.fail(m.log, "commit", err)
			return time.Now()
		}
		wait := m.fails.fail(m.log, "commit", err)
		m.notBefore = time.Now().Add(wait)
		return m.notBefore
	}
	m.fails.ok(m.log, "commit")
	m.notBefore = time.Time{}
	for _, p := range res.waiting {
		m.pending[p] = struct{}{}
	}
	result := resultNoop
	if res.rev > 0 {
		result = resultSuccess
		m.knownRev = res.rev
		m.log.Info("committed", "revision", res.rev, "changes", joinLimited(res.summary, 20),
			"took", time.Since(start).Round(time.Millisecond))
		if !res.suspect {
			m.d.peers.notify(res.rev)
		}
	}
	m.observe("commit", result, start)
	m.succeeded(res.rev, true)
	return res.nextLook
}

// syncResult is what one pass did.
type syncResult struct {
	rev      int64     // new revision, 0 when nothing was committed
	suspect  bool      // a C-App changed while svn read it: do not announce rev
	summary  []string  // "+a", "~b", "-c"
	waiting  []string  // paths to look at again
	nextLook time.Time // when; zero when nothing waits
}

// candidate is a changed path found by svn status.
type candidate struct {
	path string
	op   byte // '+' add, '~' modify, '-' delete
	dir  bool
}

// maxCommit is the most paths one commit takes.
const maxCommit = 2000

// sync finds the changes under pending (or the whole tree), keeps back
// what is not ready and commits the rest.
func (m *manager) sync(ctx context.Context, pending map[string]struct{}, full bool) (syncResult, error) {
	var res syncResult
	now := time.Now()
	if len(pending) > maxTargets {
		full = true
	}
	cands, conflicted, err := m.changes(ctx, pending, full)
	if err != nil {
		return res, err
	}
	if len(conflicted) > 0 {
		// The manager's directory is the truth: keep its version.
		if _, err := m.resolveLocal(ctx, conflicted); err != nil {
			return res, err
		}
	}

	wait := func(p string, at time.Time) {
		res.waiting = append(res.waiting, p)
		if res.nextLook.IsZero() || at.Before(res.nextLook) {
			res.nextLook = at
		}
	}
	var ready []candidate
	checked := map[string]fileSig{} // .car files validated, to check after the commit
	written := map[string]fileSig{} // every file committed, as it was looked at
	current := map[string]bool{}
	for _, c := range cands {
		current[c.path] = true
		if c.op == '-' || c.dir {
			ready = append(ready, c)
			continue
		}
		abs := filepath.Join(m.t.Dir, filepath.FromSlash(c.path))
		sig, err := statSig(abs)
		if errors.Is(err, fs.ErrNotExist) {
			wait(c.path, now.Add(m.debounce)) // gone since: look again
			continue
		}
		if err != nil {
			return res, fmt.Errorf("stat %s: %w", abs, err)
		}
		if at, ok := m.stable(c.path, sig, now); !ok {
			wait(c.path, at)
			continue
		}
		if isCApp(c.path) {
			ok, at, err := m.validCApp(c.path, abs, sig, now)
			if err != nil {
				return res, err
			}
			if !ok {
				if !at.IsZero() {
					wait(c.path, at)
				}
				continue
			}
			checked[c.path] = sig
		}
		delete(m.seen, c.path)
		written[c.path] = sig
		ready = append(ready, c)
	}
	m.forgetRejected(pending, full, current)
	if ready, err = m.guardDeletions(ctx, ready, full); err != nil {
		return res, err
	}
	if len(ready) == 0 {
		return res, nil
	}

	// A huge change (the first commit of a large tree) goes in as several
	// commits: each stays well within the svn timeout, progress is kept
	// if one fails, and workers get the first files early.
	if len(ready) > maxCommit {
		for _, c := range ready[maxCommit:] {
			wait(c.path, now)
		}
		ready = ready[:maxCommit]
	}
	paths := make([]string, len(ready))
	for i, c := range ready {
		paths[i] = c.path
		res.summary = append(res.summary, string(c.op)+c.path)
	}
	rev, err := m.svn.Commit(ctx, m.t.Dir, m.message(res.summary), paths...)
	if err != nil {
		return res, fmt.Errorf("commit %d change(s) (%s): %w", len(paths), joinLimited(res.summary, 5), err)
	}
	res.rev = rev
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
			res.suspect = true
		}
	}
	return res, nil
}

// changes runs svn status over the pending paths (with their parents, so
// that a file in a new directory is found through it) or the whole tree,
// and returns the changed paths, ignoring what sync.ignore and the defaults
// say, with new directories expanded into their files.
func (m *manager) changes(ctx context.Context, pending map[string]struct{}, full bool) ([]candidate, []svn.StatusEntry, error) {
	var (
		entries []svn.StatusEntry
		err     error
	)
	if full {
		entries, err = m.svn.StatusWith(ctx, m.t.Dir, svn.StatusOptions{})
	} else {
		targets := map[string]struct{}{}
		for p := range pending {
			targets[p] = struct{}{}
			targets[path.Dir(p)] = struct{}{}
		}
		list := make([]string, 0, len(targets))
		for p := range targets {
			list = append(list, filepath.FromSlash(p))
		}
		sort.Strings(list)
		entries, err = m.svn.StatusWith(ctx, m.t.Dir, svn.StatusOptions{Depth: "immediates"}, list...)
	}
	if err != nil {
		return nil, nil, fmt.Errorf("svn status: %w", err)
	}
	if !full {
		more, err := m.orphans(ctx, pending, entries)
		if err != nil {
			return nil, nil, err
		}
		entries = append(entries, more...)
	}

	seen := map[string]bool{}
	var cands []candidate
	var conflicted []svn.StatusEntry
	add := func(c candidate) {
		if !seen[c.path] {
			seen[c.path] = true
			cands = append(cands, c)
		}
	}
	for _, e := range entries {
		if e.Path == "." || e.Path == "" || m.ignoredPath(e.Path) {
			continue
		}
		if e.Conflicted() {
			conflicted = append(conflicted, e)
		}
		dir := e.Kind == "dir"
		switch e.Item {
		case "unversioned":
			if !dir {
				add(candidate{path: e.Path, op: '+'})
				continue
			}
			found, err := m.walkNew(e.Path)
			if err != nil {
				return nil, nil, err
			}
			for _, c := range found {
				add(c)
			}
		case "added":
			add(candidate{path: e.Path, op: '+', dir: dir})
		case "modified", "replaced", "conflicted", "obstructed":
			add(candidate{path: e.Path, op: '~', dir: dir})
		case "missing", "deleted":
			add(candidate{path: e.Path, op: '-', dir: dir})
		default:
			if e.TreeConflict {
				add(candidate{path: e.Path, op: '~', dir: dir})
			}
		}
	}
	// A deleted directory takes its contents with it.
	sort.Slice(cands, func(i, j int) bool { return cands[i].path < cands[j].path })
	out := cands[:0]
	var gone string
	for _, c := range cands {
		if gone != "" && strings.HasPrefix(c.path, gone+"/") {
			continue
		}
		gone = ""
		if c.op == '-' {
			gone = c.path
		}
		out = append(out, c)
	}
	return out, conflicted, nil
}

// orphans finds the new directories that pending files on disk are in
// when svn status said nothing about them or their parents: a file below a
// directory that is itself inside a new (unversioned) directory, left
// pending from an earlier pass. svn reports nothing below an unversioned
// directory, so each ancestor is asked about with --depth empty; a clean
// versioned file costs one cheap extra status.
func (m *manager) orphans(ctx context.Context, pending map[string]struct{}, entries []svn.StatusEntry) ([]svn.StatusEntry, error) {
	covered := func(p string) bool {
		for _, e := range entries {
			if e.Path == p || strings.HasPrefix(p, e.Path+"/") {
				return true
			}
		}
		return false
	}
	targets := map[string]bool{}
	for p := range pending {
		if covered(p) || m.ignoredPath(p) {
			continue
		}
		if _, err := os.Lstat(filepath.Join(m.t.Dir, filepath.FromSlash(p))); err != nil {
			continue // gone, and never versioned, or svn would have said so
		}
		for d := path.Dir(p); d != "." && d != "/"; d = path.Dir(d) {
			targets[d] = true
		}
	}
	if len(targets) == 0 {
		return nil, nil
	}
	list := make([]string, 0, len(targets))
	for d := range targets {
		list = append(list, filepath.FromSlash(d))
	}
	sort.Strings(list)
	more, err := m.svn.StatusWith(ctx, m.t.Dir, svn.StatusOptions{Depth: "empty"}, list...)
	if err != nil {
		return nil, fmt.Errorf("svn status: %w", err)
	}
	// Only the topmost new directory matters: walking it finds the rest.
	var out []svn.StatusEntry
	for _, e := range more {
		if e.Item != "unversioned" {
			continue
		}
		top := true
		for _, o := range more {
			if o.Item == "unversioned" && strings.HasPrefix(e.Path, o.Path+"/") {
				top = false
				break
			}
		}
		if top {
			out = append(out, e)
		}
	}
	return out, nil
}

// walkNew lists what a new directory holds: its files and its empty
// directories, leaving out ignored names (svn add of the directory itself
// would add those too).
func (m *manager) walkNew(rel string) ([]candidate, error) {
	root := filepath.Join(m.t.Dir, filepath.FromSlash(rel))
	var out []candidate
	err := filepath.WalkDir(root, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			if errors.Is(err, fs.ErrNotExist) {
				return nil // vanished while walking: its event follows
			}
			return err
		}
		if p != root && m.d.cfg.Ignored(d.Name()) {
			if d.IsDir() {
				return filepath.SkipDir
			}
			return nil
		}
		r, err := filepath.Rel(m.t.Dir, p)
		if err != nil {
			return err
		}
		r = filepath.ToSlash(r)
		if !d.IsDir() {
			out = append(out, candidate{path: r, op: '+'})
			return nil
		}
		entries, err := os.ReadDir(p)
		if err == nil && len(entries) == 0 {
			out = append(out, candidate{path: r, op: '+', dir: true})
		}
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("walk %s: %w", root, err)
	}
	return out, nil
}

// stable reports whether a file has not changed for the quiet time: its
// last change is at least debounce old, or it is as it was at a look at
// least debounce ago (for clocks that disagree). When it is not, it returns
// when to look again.
func (m *manager) stable(p string, sig fileSig, now time.Time) (time.Time, bool) {
	age := now.Sub(sig.changed())
	if age >= m.debounce {
		return time.Time{}, true
	}
	prev, ok := m.seen[p]
	if ok && prev.sig == sig && now.Sub(prev.at) >= m.debounce {
		return time.Time{}, true
	}
	if !ok || prev.sig != sig {
		m.seen[p] = seenFile{sig: sig, at: now}
	}
	next := now.Add(m.debounce - max(age, 0))
	if age < 0 { // a change in the future: trust our own looks
		next = now.Add(m.debounce)
	}
	return next.Add(5 * time.Millisecond), false
}

// incompleteGrace is how long a C-App may stay incomplete without changing
// before it is taken for truncated rather than still being copied.
func (m *manager) incompleteGrace() time.Duration {
	return max(m.maxDelay, 10*m.debounce, 5*time.Second)
}

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

// probe checks the server every poll interval: it keeps /readyz and the
// mode current while nothing changes, and notices commits to the folder
// that did not come from this manager.
func (m *manager) probe(ctx context.Context) {
	opCtx, cancel := m.d.opContext(ctx)
	defer cancel()
	info, err := m.svn.Info(opCtx, m.t.URL)
	if err != nil {
		m.failed(err)
		m.probeFail.fail(m.log, "server check", err)
		return
	}
	m.probeFail.ok(m.log, "server check")
	m.probed()
	if info.LastChangedRev <= m.knownRev || m.full || len(m.pending) > 0 || m.checkDir() != nil {
		return
	}
	start := time.Now()
	m.log.Info("the repository folder changed since the manager's last commit; catching up",
		"revision", info.LastChangedRev, "known", m.knownRev)
	rev, err := m.catchUp(opCtx)
	if err != nil {
		m.observe("update", resultError, start)
		m.failed(err)
		m.fails.fail(m.log, "update from the repository", err)
		return
	}
	if rev == 0 {
		return
	}
	m.observe("update", resultSuccess, start)
	m.knownRev = max(rev, info.LastChangedRev)
	m.succeeded(rev, true)
	m.d.peers.notify(rev)
}

// catchUp brings the repository's changes into the manager's working copy
// without letting them win over the manager's files: the update keeps
// local contents (--accept mine-full, --force over unversioned files),
// conflicts are resolved to the working copy, and files the person had
// deleted (missing) are deleted again if the update brought them back. A
// full reconcile follows and commits what still differs. It is how the
// manager recovers when its working copy and the repository disagree: a
// commit that landed while depsync was killed before it could record it,
// out-of-date and conflicting commits, and commits made by someone else.
func (m *manager) catchUp(ctx context.Context) (int64, error) {
	entries, err := m.svn.StatusWith(ctx, m.t.Dir, svn.StatusOptions{})
	if err != nil {
		return 0, fmt.Errorf("svn status: %w", err)
	}
	var gone []string
	for _, e := range entries {
		if (e.Item == "missing" || e.Item == "deleted") && !m.ignoredPath(e.Path) {
			gone = append(gone, e.Path)
		}
	}
	res, err := m.svn.UpdateWith(ctx, m.t.Dir, svn.UpdateOptions{Accept: "mine-full", Force: true})
	if err != nil {
		return 0, fmt.Errorf("svn update: %w", err)
	}
	after, err := m.svn.StatusWith(ctx, m.t.Dir, svn.StatusOptions{})
	if err != nil {
		return 0, fmt.Errorf("svn status: %w", err)
	}
	conflicted, err := m.resolveLocal(ctx, after)
	if err != nil {
		return 0, err
	}
	// Delete again only what the update itself brought back and nobody has
	// touched since: a path the person re-created meanwhile (it shows in
	// the status as modified or unversioned, or has such descendants) is
	// theirs, and the full reconcile that follows commits it.
	brought := map[string]bool{}
	for _, p := range res.Restored {
		brought[p] = true
	}
	for _, c := range res.Changed {
		brought[c.Path] = true
	}
	touched := func(p string) bool {
		for _, e := range after {
			if e.Path == p || strings.HasPrefix(e.Path, p+"/") {
				return true
			}
		}
		return false
	}
	for _, p := range gone {
		if !brought[p] || touched(p) {
			continue
		}
		abs := filepath.Join(m.t.Dir, filepath.FromSlash(p))
		if _, err := os.Lstat(abs); err == nil {
			if err := os.RemoveAll(abs); err != nil {
				return 0, fmt.Errorf("delete %s again: %w", abs, err)
			}
		}
	}
	m.full = true
	m.catchUpNeeded = false
	m.log.Info("working copy brought up to date with the repository; the manager's files win",
		"revision", res.Revision, "changes", len(res.Changed), "conflicts_kept_local", len(conflicted))
	return res.Revision, nil
}

// resolveLocal resolves every conflict among entries in favour of the
// manager's own version: text and property conflicts to the local file as
// it was before svn merged into it (mine-full; "working" would keep the
// conflict markers), tree conflicts to the local state (working). It
// returns the paths it resolved.
func (m *manager) resolveLocal(ctx context.Context, entries []svn.StatusEntry) ([]string, error) {
	var text, tree, all []string
	for _, e := range entries {
		if e.Item == "conflicted" || e.Props == "conflicted" {
			text = append(text, e.Path)
		}
		if e.TreeConflict {
			tree = append(tree, e.Path)
		}
		if e.Conflicted() {
			all = append(all, e.Path)
		}
	}
	if len(text) > 0 {
		if err := m.svn.Resolve(ctx, m.t.Dir, "mine-full", text...); err != nil {
			return nil, fmt.Errorf("resolve conflicts: %w", err)
		}
	}
	if len(tree) > 0 {
		if err := m.svn.Resolve(ctx, m.t.Dir, "working", tree...); err != nil {
			return nil, fmt.Errorf("resolve tree conflicts: %w", err)
		}
	}
	if len(all) > 0 {
		m.log.Warn("conflicts in the manager's working copy; keeping the manager's version", "paths", joinLimited(all, 10))
	}
	return all, nil
}

// disagrees reports errors that mean the working copy and the repository
// disagree, which catchUp resolves.
func disagrees(err error) bool {
	for _, k := range []error{svn.ErrOutOfDate, svn.ErrConflict, svn.ErrExists, svn.ErrObstructed, svn.ErrNotFound} {
		if errors.Is(err, k) {
			return true
		}
	}
	return false
}

// once commits everything, waiting for files still being written.
func (m *manager) once(ctx context.Context) error {
	if err := m.prepare(ctx); err != nil {
		return err
	}
	m.full = true
	deadline := time.Now().Add(max(10*m.maxDelay, time.Minute))
	var rev int64
	for {
		start := time.Now()
		pending, full := m.pending, m.full
		m.pending, m.full = map[string]struct{}{}, false
		if err := m.checkDir(); err != nil {
			return err
		}
		res, err := m.sync(ctx, pending, full)
		if err != nil {
			m.observe("commit", resultError, start)
			return err
		}
		if res.rev > 0 {
			rev = res.rev
			m.log.Info("committed", "revision", res.rev, "changes", joinLimited(res.summary, 20))
		}
		m.succeeded(res.rev, true)
		if len(res.waiting) == 0 {
			break
		}
		if time.Now().After(deadline) {
			return fmt.Errorf("files still being written, not committed: %s", joinLimited(res.waiting, 10))
		}
		for _, p := range res.waiting {
			m.pending[p] = struct{}{}
		}
		if !sleepCtx(ctx, time.Until(res.nextLook)) {
			return ctx.Err()
		}
	}
	if rev == 0 {
		m.log.Info("nothing to commit")
	}
	if m.holding() {
		return fmt.Errorf("deletions held, not committed: %s", m.d.deletions.Summary())
	}
	if len(m.rejected) > 0 {
		var names []string
		for _, r := range m.rejectedList() {
			names = append(names, r.Path+" ("+r.Reason+")")
		}
		return fmt.Errorf("invalid C-Apps not committed: %s", strings.Join(names, ", "))
	}
	return nil
}

// probed records a successful server check: it keeps readiness and the
// mode current without resetting the failures of the commits.
func (ts *tenantSync) probed() {
	now := time.Now()
	ts.mu.Lock()
	ts.st.LastSuccess = now
	ts.mu.Unlock()
	ts.d.m.lastSuccess.WithLabelValues(ts.label).Set(float64(now.UnixNano()) / 1e9)
	ts.d.svnResult(nil)
}

func isCApp(p string) bool { return strings.HasSuffix(strings.ToLower(p), ".car") }

// statSig reads a file's size, mtime and ctime.
func statSig(p string) (fileSig, error) {
	fi, err := os.Lstat(p)
	if err != nil {
		return fileSig{}, err
	}
	return fileSig{size: fi.Size(), mtime: fi.ModTime(), ctime: ctime(fi)}, nil
}
