package worker

import (
	"context"
	"fmt"
	"time"
)

// Backoff of the look at the server while it lacks a noticed revision: a
// replica fed by svnsync gets it within a second or two.
const (
	waitFirst = 100 * time.Millisecond
	waitMax   = time.Second
)

// waitState is the revision a notice named and the worker's server did not
// have yet (a replica behind its master). wanted 0: none.
type waitState struct {
	wanted int64
	// since is when the wait for wanted began; backoff is the last pause
	// between two looks; told: the wait was reported as overdue.
	since   time.Time
	backoff time.Duration
	told    bool
}

// waitStep is what to do after a look at the server (decideWait).
type waitStep struct {
	// take: the server has the wanted revision; update to it now.
	take bool
	// next is when to look again (when !take).
	next time.Duration
	// overdue: the wait has lasted patience; say so (once).
	overdue bool
}

// noticed starts the wait for rev, or replaces an older wanted revision
// (the newer notice wins); a revision no newer than the one wanted, or
// than have, changes nothing.
func (s waitState) noticed(rev, have int64, now time.Time) waitState {
	if rev <= have || rev <= s.wanted {
		return s
	}
	if s.wanted > have {
		// Already waiting: the newer revision takes its place, the wait
		// goes on from where it is.
		s.wanted = rev
		return s
	}
	return waitState{wanted: rev, since: now}
}

// decideWait is what the worker does after asking the server for its HEAD
// (head; -1 when the server did not answer) while it waits for s.wanted:
// take the revision once the server has it, else look again after a
// backoff from waitFirst doubling up to waitMax; once patience (the poll
// interval) has passed without the revision, report it once and keep
// waiting.
func decideWait(s waitState, head, have int64, now time.Time, patience time.Duration) (waitStep, waitState) {
	if s.wanted <= have {
		return waitStep{}, waitState{}
	}
	if head >= s.wanted {
		return waitStep{take: true}, waitState{}
	}
	s.backoff = min(max(2*s.backoff, waitFirst), waitMax)
	step := waitStep{next: s.backoff}
	if !s.told && now.Sub(s.since) >= patience {
		step.overdue, s.told = true, true
	}
	return step, s
}

// lookForWanted asks the server for its HEAD while the worker waits for
// s.wanted and says what to do (decideWait). A wait that has lasted a poll
// interval is logged and shown once; a taken one clears what was shown.
func (w *Worker) lookForWanted(ctx context.Context, s waitState) (waitStep, waitState) {
	head := int64(-1)
	opCtx, cancel := w.env.Node.OpContext(ctx)
	info, err := w.svn.Info(opCtx, w.t.URL)
	cancel()
	if err != nil {
		w.log.Debug("asking the server for a noticed revision", "revision", s.wanted, "error", err)
	} else {
		head = info.Revision
	}
	patience := w.env.Config.SVN.PollInterval
	step, next := decideWait(s, head, w.rev, time.Now(), patience)
	switch {
	case step.overdue:
		w.log.Warn("the server still lacks the revision a notice named; waiting on",
			"revision", s.wanted, "server_revision", head, "url", w.t.URL, "for", patience)
		w.env.State.Wanted(s.wanted, fmt.Sprintf("%s has lacked revision %d for %s (it has %d)",
			w.t.URL, s.wanted, patience, head))
	case step.take && s.told:
		w.env.State.Wanted(s.wanted, "")
	}
	return step, next
}
