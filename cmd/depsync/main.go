// Command depsync keeps the deployment directories of WSO2 Carbon nodes in
// step: a manager commits its directory to SVN and tells its workers, workers
// check it out, and C-Apps are pushed straight to peers when SVN is away.
package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"os/signal"
	"syscall"
)

// Set at build time with -ldflags "-X main.version=... -X main.commit=...".
var (
	version = "dev"
	commit  = "unknown"
)

// Exit codes scripts can rely on.
const (
	exitOK       = 0
	exitFailure  = 1 // the work failed (a node, the server, the network)
	exitBadInput = 2 // the input or the config is wrong: fix it and run again
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	code := run(ctx, os.Args[1:], os.Stdin, os.Stdout, os.Stderr)
	stop()
	os.Exit(code)
}

// run executes one command line and returns its exit code.
func run(ctx context.Context, args []string, stdin io.Reader, stdout, stderr io.Writer) int {
	a := &app{stdin: stdin, stdout: stdout, stderr: stderr}
	root := newRootCmd(a)
	root.SetArgs(args)
	root.SetIn(stdin)
	root.SetOut(stdout)
	root.SetErr(stderr)
	err := root.ExecuteContext(ctx)
	if err == nil {
		return exitOK
	}
	var ee *exitError
	if errors.As(err, &ee) {
		if !ee.silent {
			fmt.Fprintf(stderr, "depsync: %v\n", ee.err)
		}
		return ee.code
	}
	fmt.Fprintf(stderr, "depsync: %v\n", err)
	if isUsageError(err) {
		return exitBadInput
	}
	return exitFailure
}

// exitError carries a specific exit code out of a command.
type exitError struct {
	code   int
	err    error
	silent bool // the command already said what went wrong
}

func (e *exitError) Error() string { return e.err.Error() }
func (e *exitError) Unwrap() error { return e.err }

// badInput marks err as the user's to fix: exit code 2.
func badInput(err error) error { return &exitError{code: exitBadInput, err: err} }

// failed marks err as a failure of the work: exit code 1.
func failed(err error) error { return &exitError{code: exitFailure, err: err} }

// usageError is returned for bad flags and arguments.
type usageError struct{ error }

func (u usageError) Unwrap() error { return u.error }

func isUsageError(err error) bool {
	var u usageError
	return errors.As(err, &u)
}
