package main

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"strconv"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/spf13/cobra"

	"github.com/depsync/depsync/api"
	"github.com/depsync/depsync/carbonlog"
	"github.com/depsync/depsync/config"
	"github.com/depsync/depsync/deploy/client"
)

// joinInts lists at most n ids, then how many more.
func joinInts(ids []int, n int) string {
	var parts []string
	for i, id := range ids {
		if i == n {
			parts = append(parts, fmt.Sprintf("+%d more", len(ids)-n))
			break
		}
		parts = append(parts, strconv.Itoa(id))
	}
	return strings.Join(parts, " ")
}

func newStatusCmd(a *app) *cobra.Command {
	var node, tokenFile, output, tenant string
	var timeout time.Duration
	var cluster bool
	cmd := &cobra.Command{
		Use:   "status",
		Short: "Show a node's sync status",
		Long: `Show what a depsync daemon reports on GET /v1/status: its role and mode, each
tenant's revision, last sync, last error and the files it did not commit
because they are not valid C-Apps, its peers, the Carbon log it reads
(carbon.log_file) and the C-Apps that log says are faulty, each with
Carbon's error line.

The node is --node, else this node's listen address from the config. The
API token comes from --token-file, else token_file or DEPSYNC_TOKEN. The
node's URL must be a base URL without credentials, query or fragment, and
plain http:// only to loopback (unless the config sets insecure_http: true). --timeout bounds the call
(default 30s): a node that never answers is an error naming it, exit 1.
URLs are printed without credentials, query or fragment.

A node syncing many tenants lists them all up to 200, then only the super
tenant and the failing ones; the summary line counts them all. --tenant ID
shows one tenant's detail (GET /v1/status?tenant=ID); a tenant the node
does not sync is an error, exit 1.

Exit status: 0 when the node answered and is ready and in step (every
tenant synced, without an error, not behind a revision it saw); 1 when it
is not (a deletion held, a first sync not done, an error), could not be
reached or refused; 2 for bad flags or config. -o json prints the node's
reply whatever its state: the exit status says the same.

With --cluster it asks the node and every node it names (its peers, a
worker's manager, their peers), in parallel within --timeout, and prints a
row per node: name, URL, role, mode, revision (tenant:revision with several
tenants), C-Apps held, drift ("-" from a node that does not report it),
held deletions, ready and in step. A worker is in step when it is ready,
no tenant is behind the manager's revision (in SVN mode) and it holds the
manager's C-Apps with the same digests and no others. -o json prints
{"nodes":[...],"in_step":bool}. Exit status: 0 when every node answered
and is ready and in step, else 1.`,
		Example: `  depsync status
  depsync status --node http://node2:9780 -o json
  depsync status --tenant 3
  depsync status --cluster --node https://node1:9780 --ca-file ca.crt`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if cluster && tenant != "" {
				return usageError{errors.New("--cluster and --tenant go apart: --cluster shows every tenant's revision")}
			}
			node, nc, err := a.askOne(node, tokenFile, output, timeout)
			if err != nil {
				return err
			}
			ctx, cancel := context.WithTimeout(cmd.Context(), timeout)
			defer cancel()
			if cluster {
				return a.statusCluster(ctx, node, nc, output)
			}
			if tenant != "" {
				if _, err := strconv.Atoi(tenant); err != nil {
					return badInput(fmt.Errorf("--tenant %q: give a tenant id, such as -1234 or 3", tenant))
				}
			}
			raw, err := nc.StatusAt(ctx, node, client.StatusPath(tenant))
			if output == "json" {
				// The node's own reply, whole: fields this CLI does not
				// know are shown too.
				if err != nil {
					return failed(errors.New(nodeError(node, err, timeout)))
				}
				var buf bytes.Buffer
				if err := json.Indent(&buf, redactStatusJSON(raw), "", "  "); err != nil {
					return failed(fmt.Errorf("%s: reply is not JSON: %w", redact(node), err))
				}
				buf.WriteByte('\n')
				if _, err := a.stdout.Write(buf.Bytes()); err != nil {
					return err
				}
				var st api.Status
				if err := json.Unmarshal(raw, &st); err != nil {
					return failed(fmt.Errorf("%s: reply is not a status: %w", redact(node), err))
				}
				return notReady(node, &st, tenant != "")
			}
			if err != nil {
				return failed(errors.New(nodeError(node, err, timeout)))
			}
			var st api.Status
			if err := json.Unmarshal(raw, &st); err != nil {
				return failed(fmt.Errorf("%s: reply is not a status: %w", redact(node), err))
			}
			printStatus(a.stdout, node, &st, time.Now())
			return notReady(node, &st, tenant != "")
		},
	}
	cmd.Flags().StringVar(&node, "node", "", "base URL of the node (default: this node's listen address)")
	cmd.Flags().StringVar(&tokenFile, "token-file", "", "file holding the API token (default token_file or DEPSYNC_TOKEN)")
	cmd.Flags().StringVarP(&output, "output", "o", "text", "output format: text or json")
	cmd.Flags().StringVar(&tenant, "tenant", "", "show only this tenant's detail (its id, e.g. 3)")
	cmd.Flags().DurationVar(&timeout, "timeout", defaultCallTimeout, "how long to wait for the node")
	cmd.Flags().BoolVar(&cluster, "cluster", false, "show every node of the cluster, one row each, and whether they are in step")
	return cmd
}

// notReady is the exit status of a status the node gave: nil when it is
// ready and in step, else a failure (exit 1) saying why.
func notReady(node string, st *api.Status, oneTenant bool) error {
	if why := statusVerdict(st, oneTenant); why != "" {
		return failed(fmt.Errorf("%s: %s", redact(node), why))
	}
	return nil
}

// statusVerdict says why a node's status is not ready or not in step, ""
// when it is both. oneTenant: the status is of one tenant (--tenant), so
// only that tenant's step counts. A node without tenant_summary (an older
// version) is judged on ready alone: its in_step fields mean nothing.
func statusVerdict(st *api.Status, oneTenant bool) string {
	switch {
	case !st.Ready && st.Reason != "":
		return "not ready: " + st.Reason
	case !st.Ready:
		return "not ready"
	case st.TenantSummary == nil:
		return ""
	case oneTenant:
		for _, t := range st.Tenants {
			switch {
			case !t.InStep && t.LastError != "":
				return fmt.Sprintf("tenant %d not in step: %s", t.ID, t.LastError)
			case !t.InStep && t.Drift > 0:
				return fmt.Sprintf("tenant %d not in step: %d path(s) changed by hand (drift)", t.ID, t.Drift)
			case !t.InStep:
				return fmt.Sprintf("tenant %d not in step: behind a revision it saw", t.ID)
			}
		}
	case st.Drift != nil && st.Drift.Count > 0 && st.TenantSummary.Count == 1:
		return fmt.Sprintf("not in step: %d path(s) changed by hand (drift), put back at the next poll", st.Drift.Count)
	case st.TenantSummary.InStep < st.TenantSummary.Count:
		return fmt.Sprintf("%d of %d tenant(s) not in step", st.TenantSummary.Count-st.TenantSummary.InStep, st.TenantSummary.Count)
	}
	return ""
}

func printStatus(w io.Writer, node string, st *api.Status, now time.Time) {
	node = redact(node)
	ready := "ready"
	if !st.Ready {
		ready = "NOT READY: " + st.Reason
	}
	mode := st.Mode
	if st.ManagerMode != "" {
		// A worker's own mode says only whether it reaches SVN; its
		// manager's says whether C-Apps come by SVN or straight.
		mode += ", manager's mode " + st.ManagerMode
	}
	fmt.Fprintf(w, "%s: %s (%s), mode %s, %s\n", node, st.Node, st.Role, mode, ready)
	if st.Manager != "" && st.Role != config.RoleManager {
		fmt.Fprintf(w, "manager: %s\n", redact(st.Manager))
	}
	if st.SVNURL != "" {
		// The tenants' URLs are below svn.url: one that is not below the
		// server in use says it is a fallback.
		fallback := ""
		if len(st.Tenants) > 0 && !strings.HasPrefix(st.Tenants[0].URL, strings.TrimRight(st.SVNURL, "/")) {
			fallback = " (svn.fallback_urls: svn.url does not answer)"
		}
		fmt.Fprintf(w, "svn: %s%s\n", config.RedactURL(st.SVNURL), fallback)
	}
	if ts := st.TenantSummary; ts != nil && ts.Count > 1 {
		fmt.Fprintf(w, "tenants: %d, %d in step, %d failing", ts.Count, ts.InStep, ts.FailingCount)
		if len(ts.Failing) > 0 {
			fmt.Fprintf(w, " (%s)", joinInts(ts.Failing, 20))
		}
		fmt.Fprintln(w)
		if st.TenantsTruncated {
			fmt.Fprintln(w, "(only the super tenant and the failing ones are listed: --tenant ID shows one)")
		}
	}
	fmt.Fprintln(w)
	tw := tabwriter.NewWriter(w, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "TENANT\tREVISION\tLAST SYNC\tDIR\tLAST ERROR")
	for _, t := range st.Tenants {
		rev := strconv.FormatInt(t.Revision, 10)
		if t.WantedRevision > t.Revision {
			// Its server (a replica) lacks the noticed revision yet.
			rev += fmt.Sprintf(" (wants %d)", t.WantedRevision)
		}
		fmt.Fprintf(tw, "%d\t%s\t%s\t%s\t%s\n", t.ID, rev, ago(t.LastSync, now), t.Dir, dash(t.LastError))
	}
	tw.Flush()
	for _, t := range st.Tenants {
		if t.ServerBehind != "" {
			fmt.Fprintf(w, "  waiting (tenant %d): %s\n", t.ID, t.ServerBehind)
		}
	}
	for _, t := range st.Tenants {
		for _, r := range t.Rejected {
			fmt.Fprintf(w, "  not committed (tenant %d): %s: %s: %s\n", t.ID, r.Path, r.Reason, r.Error)
		}
	}
	if d := st.Drift; d != nil && d.Count > 0 {
		fmt.Fprintf(w, "  DRIFT: %d path(s) changed by hand; the repository's state is put back at the next poll (copies in <state_dir>/overwritten)\n", d.Count)
		for _, p := range d.Paths {
			fmt.Fprintf(w, "    %s (tenant %d): %s\n", p.Path, p.Tenant, p.Change)
		}
	}
	for _, h := range st.HeldDeletions {
		fmt.Fprintf(w, "  HELD: %d deletion(s) in %s (%s) since %s, e.g. %s: `depsync approve` lets them through; putting the files back clears it\n",
			h.Count, h.Scope, h.Reason, h.Since.UTC().Format(time.RFC3339), strings.Join(h.Paths, " "))
		if h.Digest != "" {
			fmt.Fprintf(w, "    digest %s: to approve exactly these, depsync approve --scope %q --digest %s\n",
				h.Digest, h.Scope, h.Digest)
		}
	}
	for _, p := range st.PendingApprovals {
		fmt.Fprintf(w, "  APPROVED: %d deletion(s) in %s (digest %s) at %s: the next pass may delete them, nothing more or other; expires unused at %s\n",
			p.Count, p.Scope, p.Digest, p.ApprovedAt.UTC().Format(time.RFC3339), p.ExpiresAt.UTC().Format(time.RFC3339))
	}
	if b := st.Backups; b.Copies > 0 || b.MaxBytes > 0 {
		fmt.Fprintf(w, "  backups: %s in %d copies (limit %s, %s)\n", inspectSize(b.Bytes), b.Copies,
			limitText(config.ByteSize(b.MaxBytes).String(), b.MaxBytes), limitText(b.MaxAge.String(), int64(b.MaxAge)))
	}
	switch {
	case st.CarbonLog == nil:
	case !st.CarbonLog.Readable:
		fmt.Fprintf(w, "  carbon log: %s: not readable (C-App states unknown)\n", st.CarbonLog.Path)
	default:
		fmt.Fprintf(w, "  carbon log: %s: %d faulty C-App(s)\n", st.CarbonLog.Path, len(st.FaultyCApps))
	}
	for _, f := range st.FaultyCApps {
		name := f.ID
		if name == "" {
			name = f.File
		} else if f.File != "" {
			name += " (" + f.File + ")"
		}
		tenant := ""
		if f.Tenant != carbonlog.SuperTenant {
			tenant = fmt.Sprintf(" (tenant %d)", f.Tenant)
		}
		fmt.Fprintf(w, "  FAULTY%s: %s since %s: %s\n", tenant, name, f.Time.Local().Format(time.DateTime), dash(f.Error))
	}
	if len(st.Peers) > 0 {
		fmt.Fprintln(w)
		tw = tabwriter.NewWriter(w, 0, 4, 2, ' ', 0)
		fmt.Fprintln(tw, "PEER\tUP\tLAST SUCCESS\tLAST ERROR")
		for _, p := range st.Peers {
			up := "no"
			if p.Up {
				up = "yes"
			}
			fmt.Fprintf(tw, "%s\t%s\t%s\t%s\n", redact(p.URL), up, ago(p.LastSuccess, now), dash(p.LastError))
		}
		tw.Flush()
	}
}

func ago(t *time.Time, now time.Time) string {
	if t == nil || t.IsZero() {
		return "never"
	}
	return fmt.Sprintf("%s (%s ago)", t.Local().Format("2006-01-02 15:04:05"), now.Sub(*t).Round(time.Second))
}

func dash(s string) string {
	if s == "" {
		return "-"
	}
	return s
}

// redactStatusJSON redacts the URLs of a /v1/status reply (the manager, the
// peers) before it is printed; a reply it cannot read is left as it is.
func redactStatusJSON(raw []byte) []byte {
	var m map[string]any
	if json.Unmarshal(raw, &m) != nil {
		return raw
	}
	if u, ok := m["manager"].(string); ok {
		m["manager"] = redact(u)
	}
	if peers, ok := m["peers"].([]any); ok {
		for i, p := range peers {
			switch v := p.(type) {
			case string:
				peers[i] = redact(v)
			case map[string]any:
				if u, ok := v["url"].(string); ok {
					v["url"] = redact(u)
				}
			}
		}
	}
	out, err := json.Marshal(m)
	if err != nil {
		return raw
	}
	return out
}

// limitText is a backup limit as status prints it: "none" for 0.
func limitText(s string, n int64) string {
	if n == 0 {
		return "none"
	}
	return s
}
