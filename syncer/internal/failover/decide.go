package failover

import (
	"context"
	"errors"
	"time"

	"github.com/depsync/depsync/svn"
)

// facts are what the wrapper knows when it decides what to do next.
type facts struct {
	// inUse is the server in use: 0 is svn.url, then fallback_urls.
	inUse int
	// fails counts consecutive unreachable results on inUse.
	fails     int
	threshold int
	// upSince is when svn.url began answering every question since; zero
	// when it did not answer the last (or was not asked).
	upSince time.Time
	now     time.Time
	// hold is how long svn.url must answer before it is used again
	// (svn.poll_interval).
	hold time.Duration
}

// policy is a node's rules of switching: after threshold consecutive
// unreachable results, and back to svn.url once it answered for hold.
type policy struct {
	threshold int
	hold      time.Duration
}

// action is what decide says to do.
type action int

const (
	stay      action = iota
	tryOthers        // the server in use failed threshold times in a row
	goBack           // svn.url has answered for a whole hold
)

// decide is the wrapper's one decision: whether to look for another server,
// to go back to svn.url, or to go on as it is.
func decide(f facts) action {
	switch {
	case f.fails >= f.threshold:
		return tryOthers
	case f.inUse != 0 && !f.upSince.IsZero() && !f.now.Before(f.upSince.Add(f.hold)):
		return goBack
	}
	return stay
}

// candidates are the servers to try, in order, when the one in use fails:
// svn.url first, then the fallback URLs, without the one in use.
func candidates(n, inUse int) []int {
	out := make([]int, 0, n)
	for i := range n {
		if i != inUse {
			out = append(out, i)
		}
	}
	return out
}

// grade is how fit a server is to be used, from its answer to svn info.
type grade int

const (
	unfit  grade = iota // silent, or another repository
	behind              // the repository, without the newest revision seen
	fit                 // the repository, with every revision seen
)

// judge grades a server that answered svn info with uuid and head, for a
// repository whose UUID is want ("": not known yet, any will do) and whose
// newest revision seen on any server is seen. A replica behind (svnsync
// not run since it came back) would take the node's files back to an
// older revision: it is used only when no server is fit.
func judge(want, uuid string, head, seen int64, err error) grade {
	switch {
	case err != nil || want != "" && uuid != want:
		return unfit
	case head < seen:
		return behind
	}
	return fit
}

// tally is the count of consecutive unreachable results after a call
// on the server in use ended with err. A canceled call says nothing of the
// server; any other answer, even an error, says it is there.
func tally(fails int, err error) int {
	switch {
	case err == nil:
		return 0
	case unreachable(err):
		return fails + 1
	case errors.Is(err, svn.ErrCanceled) || errors.Is(err, context.Canceled):
		return fails
	default:
		return 0
	}
}

// unreachable reports whether err is the server not answering, as the
// daemon counts it for direct mode.
func unreachable(err error) bool {
	return errors.Is(err, svn.ErrUnreachable) || errors.Is(err, svn.ErrTimeout)
}
