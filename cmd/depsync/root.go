package main

import (
	"fmt"
	"io"
	"log/slog"
	"strings"

	"github.com/spf13/cobra"

	"github.com/depsync/depsync/config"
)

// app is what every command shares: the global flags and the streams.
type app struct {
	configFile string
	logLevel   string
	logFormat  string
	// tls is the TLS context of the commands that talk to nodes.
	tls clientTLS

	stdin          io.Reader
	stdout, stderr io.Writer
	logger         *slog.Logger
}

func newRootCmd(a *app) *cobra.Command {
	root := &cobra.Command{
		Use:   "depsync",
		Short: "Keep the deployment directories of WSO2 Carbon nodes in step",
		Long: `depsync keeps the deployment directories of WSO2 Carbon nodes (EI Analytics and
other Carbon 4.x products) in step. One node is the manager: it watches
<CARBON_HOME>/repository/deployment/server, commits changes to SVN and tells
its workers at once. Workers check the directory out and update it. When
there is no SVN server, the manager pushes C-Apps straight to its peers.`,
		Example: `  # check a config file, then run the daemon with it
  depsync config check --config /etc/depsync/depsync.yaml
  depsync run --config /etc/depsync/depsync.yaml

  # deploy a C-App to a cluster from CI
  depsync capp push MyApp_1.0.0.car --node https://node1:9780 --wait 60s -o json`,
		// --version: the build, without the svn look-up of `depsync version`.
		Version:       version,
		SilenceUsage:  true,
		SilenceErrors: true,
		PersistentPreRunE: func(cmd *cobra.Command, _ []string) error {
			l, err := newLogger(a.stderr, a.logLevel, a.logFormat)
			if err != nil {
				return badInput(err)
			}
			a.logger = l
			return nil
		},
	}
	root.SetVersionTemplate(buildLine())
	root.SetFlagErrorFunc(func(_ *cobra.Command, err error) error { return usageError{err} })
	pf := root.PersistentFlags()
	pf.StringVar(&a.configFile, "config", "", "config file (default ./depsync.yaml, else /etc/depsync/depsync.yaml)")
	pf.StringVar(&a.logLevel, "log-level", "info", "log level: debug, info, warn or error")
	pf.StringVar(&a.logFormat, "log-format", "text", "log format: text or json")

	root.AddCommand(
		newVersionCmd(a),
		newConfigCmd(a),
		newInitCmd(a),
		newCappCmd(a),
		newCarbonConfigCmd(a),
		newRunCmd(a),
		newStatusCmd(a),
		newTLSCmd(a),
		newApproveCmd(a),
		newRollbackCmd(a),
		newDoctorCmd(a),
		newGenManCmd(a),
	)
	addClientFlags(root, a)
	for _, c := range root.Commands() {
		wrapArgs(c)
	}
	return root
}

// wrapArgs makes wrong positional arguments a usage error (exit 2).
func wrapArgs(c *cobra.Command) {
	if c.Args != nil {
		check := c.Args
		c.Args = func(cmd *cobra.Command, args []string) error {
			if err := check(cmd, args); err != nil {
				return usageError{err}
			}
			return nil
		}
	}
	for _, sub := range c.Commands() {
		wrapArgs(sub)
	}
}

func newLogger(w io.Writer, level, format string) (*slog.Logger, error) {
	var lv slog.Level
	if err := lv.UnmarshalText([]byte(level)); err != nil {
		return nil, fmt.Errorf("--log-level %q: must be debug, info, warn or error", level)
	}
	opts := &slog.HandlerOptions{Level: lv}
	switch strings.ToLower(format) {
	case "text":
		return slog.New(slog.NewTextHandler(w, opts)), nil
	case "json":
		return slog.New(slog.NewJSONHandler(w, opts)), nil
	}
	return nil, fmt.Errorf("--log-format %q: must be text or json", format)
}

// loadConfig loads the config named by --config (or the default files) with
// the given flag overrides, and --ca-file's where the command has it.
// Errors in the file are the user's to fix.
func (a *app) loadConfig(overrides map[string]any) (*config.Config, error) {
	for k, v := range a.tls.overrides() {
		if overrides == nil {
			overrides = map[string]any{}
		}
		overrides[k] = v
	}
	c, err := config.Load(config.Options{File: a.configFile, Overrides: overrides})
	if err != nil {
		return nil, badInput(err)
	}
	return c, nil
}

// validOutput checks an -o value.
func validOutput(o string) error {
	if o != "text" && o != "json" {
		return usageError{fmt.Errorf("-o %q: must be text or json", o)}
	}
	return nil
}
