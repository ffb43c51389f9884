package failover

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"path/filepath"
	"sync"
	"time"

	"github.com/depsync/depsync/config"
	"github.com/depsync/depsync/svn"
	"github.com/depsync/depsync/syncer/internal/svnbatch"
)

// ErrSwitched is what a call that failed on a server no longer in use
// matches: the node uses another server of the repository now, and the
// caller tries again as after any failure.
var ErrSwitched = errors.New("switched to another server of the repository")

// SwitchedError is a call that failed on From, which is no longer the
// server in use (To is). It does not unwrap to Err: the daemon counts
// unreachable results towards direct mode, and this one was recovered from.
type SwitchedError struct {
	From, To string
	Err      error
}

// Error says which server failed and which one is in use now.
func (e *SwitchedError) Error() string {
	return fmt.Sprintf("%s did not answer (%v); now using %s", config.RedactURL(e.From), e.Err, config.RedactURL(e.To))
}

// Is makes errors.Is(err, ErrSwitched) true.
func (e *SwitchedError) Is(target error) bool { return target == ErrSwitched }

// Options configure New.
type Options struct {
	// URL is svn.url; Fallbacks are svn.fallback_urls, tried in order.
	URL       string
	Fallbacks []string
	// Threshold is svn.fail_threshold: consecutive unreachable results on
	// the server in use before another is tried.
	Threshold int
	// Hold is svn.poll_interval: how long svn.url must answer before it
	// is used again.
	Hold time.Duration
	Log  *slog.Logger
	// Now is the clock (time.Now when nil).
	Now func() time.Time
}

// SVN is an svnbatch.SVN that uses whichever server of the repository
// answers (see the package doc).
type SVN struct {
	inner svnbatch.SVN
	urls  bases
	// policy is when to switch (fail_threshold) and when to go back
	// (poll_interval).
	policy policy
	log    *slog.Logger
	now    func() time.Time

	// switching lets one call at a time look for another server; the
	// others that failed meanwhile wait for its verdict.
	switching sync.Mutex

	mu    sync.Mutex
	inUse int
	fails int
	// upSince: see facts.upSince.
	upSince time.Time
	// uuid is the repository's, once a server said it.
	uuid string
	// seen is the newest revision the node may have: the newest HEAD a
	// server said, or a working copy's.
	seen int64
	// saidNone is set once "no server answers" was logged, until one does.
	saidNone bool
	// wcAt is which server each working copy (by absolute directory) is
	// at, as far as known.
	wcAt map[string]int
}

var _ svnbatch.SVN = (*SVN)(nil)

// New wraps inner.
func New(inner svnbatch.SVN, o Options) *SVN {
	s := &SVN{inner: inner, urls: append(bases{o.URL}, o.Fallbacks...),
		policy: policy{threshold: max(o.Threshold, 1), hold: o.Hold}, log: o.Log, now: o.Now, wcAt: map[string]int{}}
	if s.log == nil {
		s.log = slog.New(slog.DiscardHandler)
	}
	if s.now == nil {
		s.now = time.Now
	}
	return s
}

// InUse is the URL of the server in use (/v1/status's svn_url).
func (s *SVN) InUse() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.urls[s.inUse]
}

// current is the server in use.
func (s *SVN) current() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.inUse
}

// Run asks svn.url, while another server is in use, whether it answers
// again, a few times per hold, until ctx is done.
func (s *SVN) Run(ctx context.Context) {
	every := max(s.policy.hold/4, 100*time.Millisecond)
	t := time.NewTicker(every)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
			s.lookBack(ctx)
		}
	}
}

// lookBack asks svn.url once, when it is not in use, and goes back to it
// when it has answered for a whole hold.
func (s *SVN) lookBack(ctx context.Context) {
	if s.current() == 0 {
		return
	}
	info, err := s.inner.Info(ctx, s.urls[0])
	var uuid string
	var head int64
	if err == nil {
		uuid, head = info.RepoUUID, info.Revision
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	switch {
	case s.inUse == 0:
		return
	case judge(s.uuid, uuid, head, s.seen, err) != fit:
		// Silent, or without every revision the node may have.
		s.upSince = time.Time{}
		return
	case s.upSince.IsZero():
		s.upSince = s.now()
	}
	if decide(s.facts()) == goBack {
		s.log.Warn("svn.url answers again: using it again", "from", config.RedactURL(s.urls[s.inUse]),
			"to", config.RedactURL(s.urls[0]), "for", s.policy.hold)
		s.inUse, s.fails, s.upSince = 0, 0, time.Time{}
	}
}

// facts are the wrapper's, under mu.
func (s *SVN) facts() facts {
	return facts{inUse: s.inUse, fails: s.fails, threshold: s.policy.threshold, upSince: s.upSince, now: s.now(), hold: s.policy.hold}
}

// settle records the result of a call made on server at. moved is true
// when the call failed on a server no longer in use (or no longer after
// it): err is then a *SwitchedError, and the call may be made again.
func (s *SVN) settle(ctx context.Context, at int, err error) (moved bool, _ error) {
	s.mu.Lock()
	if s.inUse != at {
		// Another server is in use since the call began: its result says
		// nothing of that one.
		now := s.inUse
		s.mu.Unlock()
		if err != nil && unreachable(err) {
			return true, &SwitchedError{From: s.urls[at], To: s.urls[now], Err: err}
		}
		return false, err
	}
	s.fails = tally(s.fails, err)
	if err == nil {
		s.saidNone = false
	}
	act := decide(s.facts())
	s.mu.Unlock()
	if act != tryOthers {
		return false, err
	}
	if to := s.switchFrom(ctx, at); to != at {
		return true, &SwitchedError{From: s.urls[at], To: s.urls[to], Err: err}
	}
	return false, err
}

// switchFrom looks for another server when at has failed threshold times
// in a row, and returns the one in use after: at when none answers.
func (s *SVN) switchFrom(ctx context.Context, at int) int {
	s.switching.Lock()
	defer s.switching.Unlock()
	s.mu.Lock()
	if s.inUse != at || decide(s.facts()) != tryOthers {
		// Another call looked already.
		defer s.mu.Unlock()
		return s.inUse
	}
	failures, want, seen := s.fails, s.uuid, s.seen
	s.mu.Unlock()

	// The first fit, else the first behind.
	pick, pickInfo := -1, (*svn.Info)(nil)
	for _, i := range candidates(len(s.urls), at) {
		info, err := s.inner.Info(ctx, s.urls[i])
		var uuid string
		var head int64
		if err == nil {
			uuid, head = info.RepoUUID, info.Revision
		}
		g := judge(want, uuid, head, seen, err)
		switch {
		case err != nil:
			s.log.Debug("another server of the repository does not answer either", "url", config.RedactURL(s.urls[i]), "error", err)
		case g == unfit:
			s.log.Error("a fallback URL serves another repository: not used", "url", config.RedactURL(s.urls[i]),
				"uuid", uuid, "repository_uuid", want)
		case g == behind && pick < 0:
			pick, pickInfo = i, info
		}
		if g == fit {
			pick, pickInfo = i, info
			break
		}
	}
	if pick >= 0 {
		s.mu.Lock()
		if s.inUse != at {
			// svn.url came back meanwhile (lookBack): keep to it.
			defer s.mu.Unlock()
			return s.inUse
		}
		s.inUse, s.fails, s.upSince, s.saidNone = pick, 0, time.Time{}, false
		if s.uuid == "" {
			s.uuid = pickInfo.RepoUUID
		}
		s.mu.Unlock()
		s.log.Warn("svn server unreachable: using another server of the repository",
			"from", config.RedactURL(s.urls[at]), "to", config.RedactURL(s.urls[pick]), "failures", failures,
			"revision", pickInfo.Revision, "newest_seen", seen)
		return pick
	}
	s.mu.Lock()
	// None answers: look again after another threshold failures, not at
	// every one.
	s.fails = 0
	said := s.saidNone
	s.saidNone = true
	s.mu.Unlock()
	if !said && len(s.urls) > 1 {
		s.log.Warn("no server of the repository answers", "in_use", config.RedactURL(s.urls[at]), "servers", len(s.urls))
	}
	return at
}

// learn records the repository's UUID when a server says it, and the
// newest revision the node may have: a server's HEAD, a working copy's.
func (s *SVN) learn(uuid string, head int64) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.uuid == "" {
		s.uuid = uuid
	}
	s.seen = max(s.seen, head)
}

// follow relocates the working copy dir to server at, when it is at
// another: a working copy moves only when it is next used, by the loop
// that is its only user.
func (s *SVN) follow(ctx context.Context, dir string, at int) error {
	abs, err := filepath.Abs(dir)
	if err != nil {
		return nil // the call itself says what is wrong
	}
	s.mu.Lock()
	where, known := s.wcAt[abs]
	s.mu.Unlock()
	if !known {
		info, err := s.inner.Info(ctx, abs)
		if err != nil {
			return nil // not a working copy (yet): nothing to move
		}
		if where, _, known = s.urls.of(info.URL); !known {
			return nil // not ours: the roles' own check refuses it
		}
		s.placed(abs, where)
	}
	if where == at {
		return nil
	}
	if err := s.inner.Relocate(ctx, abs, s.urls[where], s.urls[at]); err != nil {
		return fmt.Errorf("relocate %s to %s: %w", abs, config.RedactURL(s.urls[at]), err)
	}
	s.placed(abs, at)
	s.log.Info("working copy relocated", "dir", abs, "from", config.RedactURL(s.urls[where]), "to", config.RedactURL(s.urls[at]))
	return nil
}

// placed records that the working copy dir is at server at (-1: not known).
func (s *SVN) placed(dir string, at int) {
	abs, err := filepath.Abs(dir)
	if err != nil {
		return
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if at < 0 {
		delete(s.wcAt, abs)
		return
	}
	s.wcAt[abs] = at
}

// call runs op on the server in use, the working copy dir (if any) first
// moved there, and records its result. again lets a call that failed on a
// server no longer in use be made once more on the new one: the calls that
// change nothing in the repository.
func call[T any](s *SVN, ctx context.Context, dir string, again bool, op func(at int) (T, error)) (T, error) {
	for try := 0; ; try++ {
		at := s.current()
		var (
			v   T
			err error
		)
		if dir != "" {
			err = s.follow(ctx, dir, at)
		}
		if err == nil {
			v, err = op(at)
		}
		moved, err := s.settle(ctx, at, err)
		if moved && again && try == 0 {
			continue
		}
		return v, err
	}
}
