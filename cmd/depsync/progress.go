package main

import (
	"fmt"
	"io"
	"os"
	"sync/atomic"
	"time"

	"github.com/schollz/progressbar/v3"
	"golang.org/x/term"
)

// progressMin is the size of C-App from which capp push shows a bar: a
// smaller one is sent before a bar would say anything.
const progressMin = 1 << 20

// progress draws one bar for all the uploads of capp push: every C-App to
// every node. A nil *progress draws nothing.
type progress struct {
	bar  *progressbar.ProgressBar
	sent []atomic.Int64 // by upload: bytes sent so far
}

// newProgress returns a bar on w when w is a terminal and one of capps is
// over progressMin, else nil: a CI log or a pipe gets no bar.
func newProgress(w io.Writer, capps []*localCApp, nodes int) *progress {
	if !isTerminal(w) {
		return nil
	}
	return startProgress(w, capps, nodes)
}

// startProgress is newProgress without the terminal check.
func startProgress(w io.Writer, capps []*localCApp, nodes int) *progress {
	var total int64
	big := false
	for _, c := range capps {
		total += c.app.Size * int64(nodes)
		big = big || c.app.Size > progressMin
	}
	if !big {
		return nil
	}
	bar := progressbar.NewOptions64(total,
		progressbar.OptionSetWriter(w),
		progressbar.OptionSetDescription("pushing"),
		progressbar.OptionSetWidth(30),
		progressbar.OptionShowBytes(true),
		progressbar.OptionThrottle(200*time.Millisecond),
		progressbar.OptionOnCompletion(func() { fmt.Fprintln(w) }),
	)
	return &progress{bar: bar, sent: make([]atomic.Int64, len(capps)*nodes)}
}

// tracker returns the client.PutRequest Progress function of upload k.
func (p *progress) tracker(k int) func(int64) {
	if p == nil {
		return nil
	}
	return func(n int64) { p.set(k, n) }
}

// done marks upload k as over, with size bytes sent (a failed upload counts
// as sent: it is no longer waited for).
func (p *progress) done(k int, size int64) {
	if p != nil {
		p.set(k, size)
	}
}

// set records that upload k has sent n bytes. A retry starts over from 0,
// which takes its bytes off the bar again.
func (p *progress) set(k int, n int64) {
	// The bar refuses to go past its total and says so; that is nothing
	// to act on.
	_ = p.bar.Add64(n - p.sent[k].Swap(n))
}

// stop ends the bar's line, if it has not ended by filling up.
func (p *progress) stop() {
	if p != nil && !p.bar.IsFinished() {
		_ = p.bar.Exit() // ends the line; it has no error to return
	}
}

// isTerminal reports whether w is a terminal.
func isTerminal(w io.Writer) bool {
	f, ok := w.(*os.File)
	return ok && term.IsTerminal(int(f.Fd()))
}
