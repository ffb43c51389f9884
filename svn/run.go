package svn

import (
	"context"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"log/slog"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"syscall"
	"time"

	"github.com/depsync/depsync/internal/procgroup"
)

// trustFailures are all the certificate failures svn can be told to accept.
const trustFailures = "unknown-ca,cn-mismatch,expired,not-yet-valid,other"

// Above these, path lists go into a --targets file (or are split into
// several runs for subcommands without --targets) to stay below the argv
// limits.
const (
	maxArgPaths = 256
	maxArgBytes = 64 << 10
)

// call describes one svn run.
type call struct {
	op    string   // svn subcommand ("update"), or "--version"
	args  []string // options, without the global ones
	paths []string // path or URL arguments, put after "--"
	// noPeg passes paths as they are: for arguments svn does not parse for
	// peg revisions (import's both, checkout's destination).
	noPeg   bool
	dir     string        // working directory of svn; "" for the current one
	target  string        // what the run is about, for errors and logs
	timeout time.Duration // 0 means Client.Timeout
	auth    bool          // pass --username and --password-from-stdin
	plain   bool          // skip the version check (svn --version itself)
	targets bool          // the subcommand accepts --targets
	// wc is the working copy to clean up when svn reports it locked
	// before one retry; "" disables healing.
	wc string
	// warnErr, if set, turns warnings of that kind that svn exits 0 with
	// (status of a path that is not a working copy) into an error.
	warnErr error
	// stdout consumes svn's standard output; nil discards it. It is called
	// once per attempt, so it must overwrite, not append to, its results.
	stdout func(io.Reader) error
	// oneSleep turns off svn's wait for the timestamps' next tick after
	// each working copy it writes; the caller waits once for them all
	// (sleepForTimestamps).
	oneSleep bool
	// stderr, if set, receives svn's (scrubbed, bounded) stderr of a
	// successful run.
	stderr *string
}

// run executes cl, healing a locked working copy once when cl.heal is set.
func (c *Client) run(ctx context.Context, cl *call) error {
	err := c.exec(ctx, cl)
	if err == nil || cl.wc == "" || !errors.Is(err, ErrLocked) {
		return err
	}
	c.logger().Warn("svn: working copy locked; running cleanup and retrying", "op", cl.op, "wc", cl.wc, "error", err)
	if cerr := c.cleanup(ctx, cl.wc); cerr != nil {
		return errors.Join(err, cerr)
	}
	return c.exec(ctx, cl)
}

// exec runs svn once.
func (c *Client) exec(ctx context.Context, cl *call) error {
	if !cl.plain {
		if err := c.ensureVersion(ctx); err != nil {
			return err
		}
	}
	argv, cleanupTargets, err := c.argv(cl)
	if err != nil {
		return err
	}
	defer cleanupTargets()

	timeout := cl.timeout
	if timeout <= 0 {
		timeout = c.Timeout
	}
	if timeout <= 0 { // a Client not made by New
		timeout = DefaultTimeout
	}
	runCtx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()

	cmd := exec.CommandContext(runCtx, c.Binary, argv...)
	cmd.Dir = cl.dir
	cmd.Env = svnEnv()
	if cl.oneSleep {
		cmd.Env = append(cmd.Env, noSleepEnv+"=yes")
	}
	cmd.SysProcAttr = procgroup.Attr(syscall.SIGKILL)
	grace := c.KillGrace
	if grace <= 0 {
		grace = DefaultKillGrace
	}
	var (
		killMu    sync.Mutex
		killTimer *time.Timer
	)
	cmd.Cancel = func() error {
		pid := cmd.Process.Pid
		procgroup.Terminate(pid) // lets svn release working-copy locks if it can
		killMu.Lock()
		killTimer = time.AfterFunc(grace, func() { procgroup.Kill(pid) })
		killMu.Unlock()
		return nil
	}
	// If something outside the group keeps svn's pipes open, stop waiting.
	cmd.WaitDelay = grace + 2*time.Second
	if cl.auth && c.Password != "" {
		cmd.Stdin = strings.NewReader(c.Password + "\n")
	}
	var stderr boundedBuffer
	cmd.Stderr = &stderr

	// svn writes straight into a pipe that the parser reads: no copying
	// goroutine in between.
	pr, pw, err := os.Pipe()
	if err != nil {
		return &Error{Op: cl.op, Target: cl.target, ExitCode: -1, Message: err.Error(), Err: err}
	}
	defer pr.Close()
	cmd.Stdout = pw

	start := time.Now()
	err = cmd.Start()
	_ = pw.Close() // svn has its own copy
	if err != nil {
		kind := error(nil)
		if ctxErr := runCtx.Err(); ctxErr != nil {
			kind = ErrTimeout
			if errors.Is(ctxErr, context.Canceled) {
				kind = ErrCanceled
			}
		} else if errors.Is(err, exec.ErrNotFound) || errors.Is(err, fs.ErrNotExist) || errors.Is(err, fs.ErrPermission) {
			kind = ErrNotInstalled
		}
		return &Error{Op: cl.op, Target: cl.target, Args: c.publicArgs(cl), Kind: kind, ExitCode: -1,
			Message: scrub(err.Error(), c.Password), Err: err}
	}
	parseDone := make(chan error, 1)
	go func() {
		var perr error
		if cl.stdout != nil {
			perr = cl.stdout(pr)
		}
		_, _ = io.Copy(io.Discard, pr) // never leave svn blocked on a full pipe
		parseDone <- perr
	}()
	waitErr := cmd.Wait()
	// svn has exited. If something it started outside its process group
	// still holds the pipe, stop reading after the grace period.
	_ = pr.SetReadDeadline(time.Now().Add(grace))
	parseErr := <-parseDone
	if errors.Is(parseErr, os.ErrDeadlineExceeded) && waitErr == nil {
		parseErr = fmt.Errorf("svn exited but its output stayed open: %w", parseErr)
	}
	killMu.Lock()
	if killTimer != nil {
		killTimer.Stop()
		procgroup.Kill(cmd.Process.Pid) // no stragglers
	}
	killMu.Unlock()
	elapsed := time.Since(start)

	exitCode := -1
	var cpu time.Duration // svn's own, user and system: what a batch saves
	if cmd.ProcessState != nil {
		exitCode = cmd.ProcessState.ExitCode()
		cpu = cmd.ProcessState.UserTime() + cmd.ProcessState.SystemTime()
	}
	errText := scrub(stderr.String(), c.Password)
	if l := c.logger(); l.Enabled(ctx, slog.LevelDebug) {
		l.LogAttrs(ctx, slog.LevelDebug, "svn run",
			slog.String("op", cl.op),
			slog.Any("args", c.publicArgs(cl)),
			slog.String("dir", cl.dir),
			slog.Duration("duration", elapsed),
			slog.Duration("cpu", cpu),
			slog.Int("exit", exitCode))
	}

	if ctxErr := runCtx.Err(); ctxErr != nil && (waitErr != nil || exitCode != 0) {
		kind := ErrTimeout
		if errors.Is(ctxErr, context.Canceled) {
			kind = ErrCanceled
		}
		e := newError(cl.op, cl.target, c.publicArgs(cl), errText, exitCode, ctxErr)
		e.Kind = kind
		if e.Message == "" {
			e.Message = fmt.Sprintf("killed after %s", elapsed.Round(time.Millisecond))
		} else {
			e.Message = fmt.Sprintf("killed after %s; svn said: %s", elapsed.Round(time.Millisecond), e.Message)
		}
		return e
	}
	if waitErr != nil {
		var ee *exec.ExitError
		cause := waitErr
		if errors.As(waitErr, &ee) {
			cause = nil
		}
		e := newError(cl.op, cl.target, c.publicArgs(cl), errText, exitCode, cause)
		if e.Message == "" && cause == nil {
			e.Message = fmt.Sprintf("exit status %d without a message", exitCode)
		}
		return e
	}
	if cl.warnErr != nil {
		if e := newError(cl.op, cl.target, c.publicArgs(cl), errText, exitCode, nil); e.Kind == cl.warnErr {
			return e
		}
	}
	if parseErr != nil {
		return &Error{Op: cl.op, Target: cl.target, Args: c.publicArgs(cl), ExitCode: exitCode,
			Message: "reading svn's output: " + parseErr.Error(), Err: parseErr}
	}
	if cl.stderr != nil {
		*cl.stderr = errText
	}
	return nil
}

// argv builds svn's arguments. The returned func removes a --targets file.
func (c *Client) argv(cl *call) ([]string, func(), error) {
	noop := func() {}
	argv := make([]string, 0, 12+len(cl.args)+len(cl.paths))
	argv = append(argv, cl.op)
	argv = append(argv, c.globalArgs(cl.auth)...)
	argv = append(argv, cl.args...)
	paths := make([]string, len(cl.paths))
	size := 0
	for i, p := range cl.paths {
		if !cl.noPeg {
			p = pegEscape(p)
		}
		paths[i] = p
		size += len(p) + 1
	}
	if cl.targets && (len(paths) > maxArgPaths || size > maxArgBytes) {
		f, err := os.CreateTemp(filepath.Join(c.ConfigDir, "tmp"), "targets-*")
		if err != nil {
			return nil, noop, &Error{Op: cl.op, Target: cl.target, ExitCode: -1, Message: "writing --targets file: " + err.Error(), Err: err}
		}
		_, werr := f.WriteString(strings.Join(paths, "\n") + "\n")
		if err := errors.Join(werr, f.Close()); err != nil {
			_ = os.Remove(f.Name())
			return nil, noop, &Error{Op: cl.op, Target: cl.target, ExitCode: -1, Message: "writing --targets file: " + err.Error(), Err: err}
		}
		return append(argv, "--targets", f.Name()), func() { _ = os.Remove(f.Name()) }, nil
	}
	if len(paths) == 0 {
		return argv, noop, nil
	}
	argv = append(argv, "--")
	return append(argv, paths...), noop, nil
}

// globalArgs are the options every svn run gets.
func (c *Client) globalArgs(auth bool) []string {
	g := []string{"--non-interactive", "--no-auth-cache", "--config-dir", c.ConfigDir}
	if auth && c.Username != "" {
		g = append(g, "--username", c.Username)
		if c.Password != "" {
			g = append(g, "--password-from-stdin")
		}
	}
	if c.TrustServerCert {
		g = append(g, "--trust-server-cert-failures="+trustFailures)
	}
	return g
}

// publicArgs are cl's arguments as shown in errors and logs.
func (c *Client) publicArgs(cl *call) []string {
	args := append(append([]string{}, cl.args...), cl.paths...)
	return scrubAll(args, c.Password)
}

// pegEscape protects a path or URL containing "@" from svn's peg-revision
// syntax ("file@2" means "file" at revision 2) with a trailing "@". svn
// decodes URLs before it looks for pegs, so "%40" counts as "@".
func pegEscape(p string) string {
	if strings.Contains(p, "@") || IsURL(p) && strings.Contains(strings.ToLower(p), "%40") {
		return p + "@"
	}
	return p
}

// svnEnv is the environment of svn runs: the process's own, in the C.UTF-8
// locale so that svn's messages are English (and parseable) while paths
// stay UTF-8.
func svnEnv() []string {
	env := os.Environ()
	out := make([]string, 0, len(env)+1)
	for _, kv := range env {
		if strings.HasPrefix(kv, "LC_") || strings.HasPrefix(kv, "LANG=") || strings.HasPrefix(kv, "LANGUAGE=") {
			continue
		}
		// depsync's own settings, its secrets among them, are not svn's
		// business, nor that of the hooks and ssh it may run.
		if strings.HasPrefix(kv, "DEPSYNC_") {
			continue
		}
		out = append(out, kv)
	}
	return append(out, "LC_ALL=C.UTF-8")
}

// boundedBuffer keeps the head and the tail of what is written to it.
type boundedBuffer struct {
	head    []byte
	tail    []byte // ring of the last maxStderr/2 bytes once head is full
	dropped int64
}

func (b *boundedBuffer) Write(p []byte) (int, error) {
	n := len(p)
	const half = maxStderr / 2
	if room := half - len(b.head); room > 0 {
		k := min(room, len(p))
		b.head = append(b.head, p[:k]...)
		p = p[k:]
	}
	if len(p) > 0 {
		b.tail = append(b.tail, p...)
		if over := len(b.tail) - half; over > 0 {
			b.dropped += int64(over)
			b.tail = append(b.tail[:0], b.tail[over:]...)
		}
	}
	return n, nil
}

func (b *boundedBuffer) String() string {
	if b.dropped == 0 {
		return string(b.head) + string(b.tail)
	}
	return fmt.Sprintf("%s\n[... %d bytes of svn's stderr dropped ...]\n%s", b.head, b.dropped, b.tail)
}

// collect returns a stdout consumer that keeps up to limit bytes in out.
func collect(out *strings.Builder, limit int64) func(io.Reader) error {
	return func(r io.Reader) error {
		out.Reset()
		_, err := io.Copy(out, io.LimitReader(r, limit))
		return err
	}
}

var lookPath = exec.LookPath
