package handover

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"strings"
	"time"

	"github.com/depsync/depsync/config"
	"github.com/depsync/depsync/internal/carbonproc"
)

// poll is how often a daemon waiting for Carbon to restart looks at the
// processes again: it goes on within a second or so of the JVM ending.
const poll = time.Second

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

// of is the handover of an SVN node with a Carbon home; other nodes run
// no svn on a working copy Carbon may use, or cannot find its JVM, and get
// none.
func of(cfg *config.Config, file string, off time.Time, how string) handover {
	if cfg.SVN.URL == "" || cfg.Carbon.Home == "" || off.IsZero() {
		return handover{}
	}
	return handover{off: off, file: file, how: how, proc: procRoot}
}

// Env is what taking over uses of the daemon.
type Env struct {
	Config *config.Config
	Log    *slog.Logger
	// CheckSVN fails when svn is missing or too old: nothing works
	// without it.
	CheckSVN func(ctx context.Context) error
	// Waiting says on every tenant why none can sync.
	Waiting func(why error)
	// WaitOver takes back what Waiting said, also as the last error: the
	// wait was no failure of the tenants'.
	WaitOver func(why string)
}

// TakeOver writes or checks carbon.xml (prepare) and, on an SVN node,
// checks svn and waits until no Carbon JVM may still run its own
// synchronizer. false stops the daemon: with the error, or nil when ctx
// ended while it waited.
func TakeOver(ctx context.Context, env Env) (bool, error) {
	h, err := prepare(env.Config, env.Log)
	if err != nil {
		return false, err
	}
	if env.Config.SVN.URL == "" {
		return true, nil
	}
	if err := env.CheckSVN(ctx); err != nil {
		return false, err
	}
	return await(ctx, env, h), nil
}

// TakeOverOnce is TakeOver for one sync: it does not wait, it fails while
// a Carbon JVM may still run its own synchronizer.
func TakeOverOnce(ctx context.Context, env Env) error {
	h, err := prepare(env.Config, env.Log)
	if err != nil {
		return err
	}
	if why, _ := stillHeld(h, env.Config.Carbon.Home); why != "" {
		return errors.New(why)
	}
	return env.CheckSVN(ctx)
}

// stillHeld says why the working copies must not be touched yet: a Carbon
// JVM of home that started before h.off still runs. "" when none does; err
// when the processes cannot be looked at.
func stillHeld(h handover, home string) (string, error) {
	if h.off.IsZero() {
		return "", nil
	}
	procs, err := carbonproc.Find(h.proc, home)
	if err != nil {
		return "", err
	}
	return holding(h, procs), nil
}

// holding is stillHeld's decision over the Carbon JVMs of the home found
// running: "" when none started before the handover.
func holding(h handover, procs []carbonproc.Proc) string {
	if h.off.IsZero() {
		return ""
	}
	old := carbonproc.StartedBefore(procs, h.off)
	if len(old) == 0 {
		return ""
	}
	names := make([]string, len(old))
	for i, p := range old {
		names[i] = p.String()
	}
	return fmt.Sprintf("waiting for Carbon to restart: its JVM %s started before Carbon's own synchronizer was turned off in %s "+
		"(%s, %s) and still runs that synchronizer; depsync runs no svn command on the working copy until it is gone or restarted",
		strings.Join(names, ", "), h.file, h.how, h.off.UTC().Format(time.RFC3339))
}

// await returns once no Carbon JVM of this home started before the
// handover runs, saying why it waits in /readyz and /v1/status meanwhile
// (env.Waiting, and one WARN line). It returns false when ctx ends first.
// Where the processes cannot be looked at (no /proc) it warns and goes on.
func await(ctx context.Context, env Env, h handover) bool {
	home := env.Config.Carbon.Home
	said := ""
	for {
		why, err := stillHeld(h, home)
		if err != nil {
			env.Log.Warn("cannot tell whether a Carbon JVM started before its own synchronizer was turned off still runs it; "+
				"going on: restart Carbon if it has not restarted since", "home", home, "file", h.file, "error", err)
			why = ""
		}
		if why == "" {
			if said != "" {
				env.Log.Info("the Carbon JVM that ran its own synchronizer is gone: syncing the working copy", "home", home)
				env.WaitOver(said)
			}
			return true
		}
		if said == "" {
			env.Log.Warn(why, "home", home)
			env.Waiting(errors.New(why))
			said = why
		}
		if !sleep(ctx, poll) {
			return false
		}
	}
}

// sleep waits for d; false when ctx ended first.
func sleep(ctx context.Context, d time.Duration) bool {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-ctx.Done():
		return false
	case <-t.C:
		return true
	}
}
