package main

import (
	"fmt"

	"github.com/spf13/cobra"
	"go.yaml.in/yaml/v3"

	"github.com/depsync/depsync/config"
)

func newConfigCmd(a *app) *cobra.Command {
	cmd := &cobra.Command{
		Use:   "config",
		Short: "Inspect depsync's configuration",
	}
	cmd.AddCommand(&cobra.Command{
		Use:   "check",
		Short: "Validate the config and print the effective settings",
		Long: `Load the config file (--config, else ./depsync.yaml, else /etc/depsync/depsync.yaml),
apply DEPSYNC_* environment variables, validate the result and print the
effective config as YAML with every secret shown as <redacted>.

A listen address that is not loopback without tls.cert_file/key_file, a
plain http:// peer that is not loopback, a token shorter than 32
characters, a secret file that is not a regular file of at most 64 KiB, and
a state_dir inside the deployment directory, a duration without a unit
(poll_interval: 5 would be 5ns; write 5s) or below its key's minimum, and a
node_name that is not printable ASCII without spaces are errors; insecure_http: true
accepts plain HTTP, with a warning. A token_file readable or writable by its
group or others is a warning too.

It is the gate depsync run starts behind, with run's words: the TLS files
exist, parse and match (certificate with key; tls.ca_file holds a
certificate), state_dir is a writable folder or can be made as one, the
deployment directory is a folder where it exists, the svn client is on PATH
when svn.url is set, each of svn.fallback_urls serves svn.url's repository
(the same UUID: both UUIDs are named otherwise), and carbon.xml can be read and does not enable Carbon's
own synchronizer (or carbon.write_config can write it). A carbon.log_file
whose folder is not there, a peer whose host does not resolve and an svn
server that does not answer are warnings.

Exit status: 0 when valid, 2 when not (each problem is named on stderr).`,
		Example: `  depsync config check --config /etc/depsync/depsync.yaml
  DEPSYNC_SVN_URL=http://svn:8080/svn/depsync depsync config check --config node1.yaml`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			c, err := config.Load(config.Options{File: a.configFile})
			if err != nil {
				return badInput(err)
			}
			// What run checks before it starts, with run's words; the
			// warnings are said whatever the verdict, as run says them.
			warnings, perr := preflight(cmd.Context(), c)
			for _, w := range append(c.Warnings(), warnings...) {
				fmt.Fprintln(a.stderr, "depsync: warning: "+w)
			}
			if perr != nil {
				return badInput(perr)
			}
			out, err := yaml.Marshal(c)
			if err != nil {
				return err
			}
			if c.Source != "" {
				fmt.Fprintf(a.stdout, "# config: %s\n", c.Source)
			}
			_, err = a.stdout.Write(out)
			return err
		},
	})
	return cmd
}

// checkConfig loads a config file (the default files when file is "") with
// the DEPSYNC_* environment and validates it: what config check does, and
// what init does to the file it writes.
func checkConfig(file string) (*config.Config, error) {
	c, err := config.Load(config.Options{File: file})
	if err != nil {
		return nil, err
	}
	if err := validateConfig(c); err != nil {
		return nil, err
	}
	return c, nil
}

func describeSource(s string) string {
	if s == "" {
		return "(no file; environment and defaults)"
	}
	return s
}
