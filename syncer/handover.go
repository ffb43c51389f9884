package syncer

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/depsync/depsync/internal/carbonproc"
)

// handoverPoll is how often a daemon waiting for Carbon to restart looks
// at the processes again: it goes on within a second or so of the JVM
// ending.
const handoverPoll = time.Second

// procRoot is where the processes are read from.
const procRoot = "/proc"

// handover is when Carbon's own synchronizer was last turned off in
// carbon.xml: a Carbon JVM of this home started before then read it on and
// runs its own synchronizer until it restarts. Zero: nothing to wait for.
type handover struct {
	off  time.Time
	file string
	how  string // how off is known
	proc string // the proc file system to look at the processes in
}

// handoverOf is the handover of an SVN node with a Carbon home; other
// nodes run no svn on a working copy Carbon may use, or cannot find its
// JVM, and get none.
func (d *Daemon) handoverOf(file string, off time.Time, how string) handover {
	if d.cfg.SVN.URL == "" || d.cfg.Carbon.Home == "" || off.IsZero() {
		return handover{}
	}
	return handover{off: off, file: file, how: how, proc: procRoot}
}

// takeOver writes or checks carbon.xml (prepareCarbon) and, on an SVN
// node, checks svn and waits until no Carbon JVM may still run its own
// synchronizer. false stops the daemon: with the error, or nil when ctx
// ended while it waited.
func (d *Daemon) takeOver(ctx context.Context) (bool, error) {
	h, err := d.prepareCarbon()
	if err != nil {
		return false, err
	}
	if d.cfg.SVN.URL == "" {
		return true, nil
	}
	if err := d.checkSVN(ctx); err != nil {
		return false, err
	}
	return d.awaitCarbon(ctx, h), nil
}

// takeOverOnce is takeOver for one sync: it does not wait, it fails while
// a Carbon JVM may still run its own synchronizer.
func (d *Daemon) takeOverOnce(ctx context.Context) error {
	h, err := d.prepareCarbon()
	if err != nil {
		return err
	}
	if why, _ := d.carbonHolding(h); why != "" {
		return errors.New(why)
	}
	return d.checkSVN(ctx)
}

// carbonHolding says why the working copies must not be touched yet: a
// Carbon JVM of this home that started before h.off still runs. "" when
// none does; err when the processes cannot be looked at.
func (d *Daemon) carbonHolding(h handover) (string, error) {
	if h.off.IsZero() {
		return "", nil
	}
	procs, err := carbonproc.Find(h.proc, d.cfg.Carbon.Home)
	if err != nil {
		return "", err
	}
	old := carbonproc.StartedBefore(procs, h.off)
	if len(old) == 0 {
		return "", nil
	}
	names := make([]string, len(old))
	for i, p := range old {
		names[i] = p.String()
	}
	return fmt.Sprintf("waiting for Carbon to restart: its JVM %s started before Carbon's own synchronizer was turned off in %s "+
		"(%s, %s) and still runs that synchronizer; depsync runs no svn command on the working copy until it is gone or restarted",
		strings.Join(names, ", "), h.file, h.how, h.off.UTC().Format(time.RFC3339)), nil
}

// awaitCarbon returns once no Carbon JVM of this home started before the
// handover runs, saying why it waits in /readyz and /v1/status meanwhile
// (and in one WARN line). It returns false when ctx ends first. Where the
// processes cannot be looked at (no /proc) it warns and goes on.
func (d *Daemon) awaitCarbon(ctx context.Context, h handover) bool {
	said := ""
	for {
		why, err := d.carbonHolding(h)
		if err != nil {
			d.log.Warn("cannot tell whether a Carbon JVM started before its own synchronizer was turned off still runs it; "+
				"going on: restart Carbon if it has not restarted since", "home", d.cfg.Carbon.Home, "file", h.file, "error", err)
			why = ""
		}
		if why == "" {
			if said != "" {
				d.log.Info("the Carbon JVM that ran its own synchronizer is gone: syncing the working copy", "home", d.cfg.Carbon.Home)
				d.waitOver(said)
			}
			return true
		}
		if said == "" {
			d.log.Warn(why, "home", d.cfg.Carbon.Home)
			d.setWaiting(errors.New(why))
			said = why
		}
		if !sleepCtx(ctx, handoverPoll) {
			return false
		}
	}
}

// setWaiting says on every tenant why none can sync.
func (d *Daemon) setWaiting(err error) {
	for _, t := range d.tenantList() {
		t.waiting(err)
	}
}

// waitOver takes back what setWaiting said, also as the last error: the
// wait was no failure of the tenant's.
func (d *Daemon) waitOver(why string) {
	for _, t := range d.tenantList() {
		t.mu.Lock()
		if t.st.Waiting == why {
			t.st.Waiting = ""
		}
		if t.st.LastError == why {
			t.st.LastError = ""
		}
		t.mu.Unlock()
	}
}
