package main

import (
	"context"
	"fmt"
	"os/exec"
	"runtime"
	"strings"
	"time"

	"github.com/prometheus/client_golang/prometheus"
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
			fmt.Fprintf(a.stdout, "%ssvn: %s\n", buildLine(), svnVersion(cmd.Context()))
			return nil
		},
	}
}

// buildLine is what `depsync --version` prints, and `depsync version`
// before the svn client it finds.
func buildLine() string {
	return fmt.Sprintf("depsync %s\ncommit: %s\ngo: %s %s/%s\n", version, commit, runtime.Version(), runtime.GOOS, runtime.GOARCH)
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

// buildInfo is the gauge depsync_build_info{version,commit,go_version},
// always 1: which build a node runs, for dashboards and alerts.
func buildInfo() prometheus.Collector {
	return prometheus.NewGaugeFunc(prometheus.GaugeOpts{
		Name:        "depsync_build_info",
		Help:        "Always 1; the labels say which build of depsync runs: its version, commit and Go version.",
		ConstLabels: prometheus.Labels{"version": version, "commit": commit, "go_version": runtime.Version()},
	}, func() float64 { return 1 })
}
