package main

import (
	"context"
	"fmt"
	"os/exec"
	"runtime"
	"strings"
	"time"

	"github.com/spf13/cobra"
)

func newVersionCmd(a *app) *cobra.Command {
	return &cobra.Command{
		Use:   "version",
		Short: "Print depsync's version and the svn client it finds",
		Long: `Print depsync's version, the commit it was built from, the Go version, and the
version of the svn command-line client on PATH (depsync needs svn 1.10 or later).`,
		Example: `  depsync version`,
		Args:    cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			fmt.Fprintf(a.stdout, "depsync %s\ncommit: %s\ngo: %s %s/%s\nsvn: %s\n",
				version, commit, runtime.Version(), runtime.GOOS, runtime.GOARCH, svnVersion(cmd.Context()))
			return nil
		},
	}
}

func svnVersion(ctx context.Context) string {
	path, err := exec.LookPath("svn")
	if err != nil {
		return "not found (install the subversion package)"
	}
	ctx, cancel := context.WithTimeout(ctx, 10*time.Second)
	defer cancel()
	out, err := exec.CommandContext(ctx, path, "--version", "--quiet").Output()
	if err != nil {
		return fmt.Sprintf("%s: error: %v", path, err)
	}
	return strings.TrimSpace(string(out)) + " (" + path + ")"
}
