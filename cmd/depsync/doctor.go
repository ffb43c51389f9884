package main

import (
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/spf13/cobra"

	"github.com/depsync/depsync/doctor"
)

func newDoctorCmd(a *app) *cobra.Command {
	var homes []string
	var output, tokenFile string
	var timeout time.Duration
	cmd := &cobra.Command{
		Use:   "doctor [--config FILE | --home DIR --home DIR ...]",
		Short: "Check the minimum-HA setup of all the nodes, side by side",
		Long: `Read each node's profile configuration and check the "EI Analytics minimum
high availability deployment" setup across all the nodes at once: Hazelcast
clustering (axis2.xml), the event processor's HA mode (event-processor.xml),
Spark's masters (spark-defaults.conf), the shared datasources
(master-datasources.xml, analytics-datasources.xml), the user store
(user-mgt.xml), the registry mounts (registry.xml) and which node commits
the deployment directory (carbon.xml).

Online (no --home): this node's facts are read from its own carbon.home,
and every peer of the config (a worker's peer is its manager) is asked for
its own through GET /v1/doctor, with the API token (--token-file, else
token_file or DEPSYNC_TOKEN) and tls.ca_file; each node reads its own
files, and only the facts the checks need cross the network, never a
password. --timeout bounds each call (default 30s). The online mode adds
what files cannot tell: nodes.reachable (fail, naming the node and why,
when a peer does not answer: the other checks then compare the nodes that
did), capps.same (the same C-App ids and sha256 on every node),
paths.symlink (homes at different paths need the same
carbon.das.symbolic.link), depsync's own roles in deployment_sync.roles,
and whether each localMemberHost is an address of its host. Run it on the
manager to see every node: a worker knows only its manager.

Offline, each --home is one node's home, a copy or a mount: a folder
holding conf/ (as <EI_HOME>/wso2/analytics does) or repository/conf/
(classic Carbon). Nodes are named by the part of their path that differs.

Files are parsed as Carbon parses them (XML with comments ignored, Java
properties for spark-defaults.conf); a file that does not parse fails the
checks that read it, naming the file and the line.

Every check has a stable id (for scripts), a verdict (ok, warn or fail),
each node's value and a fix naming the file, the element and the value to
set. The table is coloured only on a terminal; -o json prints
{"nodes": [...], "checks": [{"id", "status", "values", "detail", "fix"}]}.

Exit status: 0 when no check fails (warnings allowed), 1 when any check
fails (an unreachable node included), 2 for bad usage (a missing home, an
unknown flag, a config without carbon.home).`,
		Example: `  # on the manager: this node and every peer, live
  depsync doctor --config /etc/depsync/depsync.yaml

  # two nodes' homes, mounted or copied
  depsync doctor --home /mnt/node1/wso2/analytics --home /mnt/node2/wso2/analytics

  # for a script
  depsync doctor --home node1 --home node2 -o json | jq '.checks[] | select(.status=="fail")'`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if err := validOutput(output); err != nil {
				return err
			}
			var rep *doctor.Report
			var err error
			if len(homes) == 0 {
				rep, err = doctorOnline(cmd.Context(), a, tokenFile, timeout)
			} else {
				rep, err = doctorOffline(homes)
			}
			if err != nil {
				return err
			}
			if output == "json" {
				b, err := rep.JSON()
				if err != nil {
					return failed(err)
				}
				fmt.Fprintf(a.stdout, "%s\n", b)
			} else {
				printDoctorTable(a.stdout, rep, isTerminal(a.stdout) && os.Getenv("NO_COLOR") == "")
			}
			if rep.Failed() {
				return &exitError{code: exitFailure, err: errors.New("a check failed"), silent: true}
			}
			return nil
		},
	}
	f := cmd.Flags()
	f.StringArrayVar(&homes, "home", nil, "a node's home holding conf/ or repository/conf/ (repeat once per node; without it, ask the nodes of --config live)")
	f.StringVarP(&output, "output", "o", "text", "output format: text or json")
	f.StringVar(&tokenFile, "token-file", "", "file holding the API token (default token_file or DEPSYNC_TOKEN)")
	f.DurationVar(&timeout, "timeout", defaultCallTimeout, "how long to wait for each node's GET /v1/doctor")
	return cmd
}

// doctorOffline reads every --home and runs the checks.
func doctorOffline(homes []string) (*doctor.Report, error) {
	names := nodeNames(homes)
	var facts []*doctor.Facts
	for i, h := range homes {
		f, err := doctor.ReadHome(names[i], h)
		if err != nil {
			return nil, usageError{fmt.Errorf("--home %s: %w", h, err)}
		}
		facts = append(facts, f)
	}
	rep, err := doctor.Run(facts)
	if err != nil {
		return nil, usageError{err}
	}
	return rep, nil
}

// nodeNames names each home by the part of its path that differs from the
// others (/mnt/node1/wso2/analytics and /mnt/node2/wso2/analytics give node1
// and node2), falling back to the paths as given.
func nodeNames(homes []string) []string {
	parts := make([][]string, len(homes))
	for i, h := range homes {
		abs, err := filepath.Abs(h)
		if err != nil {
			abs = h
		}
		parts[i] = strings.Split(filepath.ToSlash(filepath.Clean(abs)), "/")
	}
	pre, suf := common(parts, false), common(parts, true)
	names := make([]string, len(homes))
	seen := map[string]bool{}
	for i, p := range parts {
		end := len(p) - suf
		start := pre
		if len(homes) == 1 || start >= end {
			start, end = max(0, len(p)-1), len(p)
		}
		names[i] = strings.Join(p[start:end], "/")
		if names[i] == "" || seen[names[i]] {
			out := make([]string, len(homes))
			copy(out, homes)
			return out
		}
		seen[names[i]] = true
	}
	return names
}

// common counts the path elements all paths share at the start (or the end).
func common(parts [][]string, fromEnd bool) int {
	n := 0
	for {
		var el string
		for i, p := range parts {
			if n >= len(p)-1 {
				return n
			}
			e := p[n]
			if fromEnd {
				e = p[len(p)-1-n]
			}
			if i == 0 {
				el = e
			} else if e != el {
				return n
			}
		}
		n++
	}
}

const maxCell = 48 // wide enough for an IP list, short enough for two nodes on a screen

// printDoctorTable prints check, one column per node, verdict and fix, then
// the details of the checks that are not ok.
func printDoctorTable(w io.Writer, r *doctor.Report, colour bool) {
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
	fmt.Fprint(tw, "CHECK")
	for _, n := range r.Nodes {
		if !strings.Contains(n, "://") { // a node named by its URL keeps it as is
			n = strings.ToUpper(n)
		}
		fmt.Fprintf(tw, "\t%s", n)
	}
	fmt.Fprint(tw, "\tVERDICT\tFIX\n")
	for _, c := range r.Checks {
		fmt.Fprint(tw, c.ID)
		for _, n := range r.Nodes {
			fmt.Fprintf(tw, "\t%s", cell(c.Values[n]))
		}
		fix := c.Fix
		if c.Status == doctor.OK {
			fix = "-"
		}
		fmt.Fprintf(tw, "\t%s\t%s\n", paint(c.Status, colour), firstFix(fix))
	}
	_ = tw.Flush()
	var notes []string
	for _, c := range r.Checks {
		if c.Status != doctor.OK {
			notes = append(notes, fmt.Sprintf("%s %s: %s\n  fix: %s", paint(c.Status, colour), c.ID, c.Detail, c.Fix))
		}
	}
	if len(notes) > 0 {
		fmt.Fprintf(w, "\n%s\n", strings.Join(notes, "\n"))
	}
}

// cell shortens a value so the table stays readable; -o json has it whole.
func cell(s string) string {
	if s == "" {
		return "-"
	}
	if r := []rune(s); len(r) > maxCell {
		return string(r[:maxCell-3]) + "..."
	}
	return s
}

// firstFix keeps the table to one fix per line; the notes below have all.
func firstFix(f string) string {
	if i := strings.Index(f, "; "); i >= 0 {
		return f[:i] + " (and more, below)"
	}
	return f
}

// paint colours a verdict. Every verdict gets an escape of the same length
// so that tabwriter, which counts bytes, keeps the columns aligned.
func paint(s doctor.Status, colour bool) string {
	if !colour {
		return string(s)
	}
	code := map[doctor.Status]string{doctor.OK: "32", doctor.Warn: "33", doctor.Fail: "31"}[s]
	return fmt.Sprintf("\x1b[%sm%-4s\x1b[0m", code, s)
}
