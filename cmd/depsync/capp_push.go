package main

import (
	"context"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"sync"
	"text/tabwriter"
	"time"

	"github.com/spf13/cobra"

	"github.com/depsync/depsync/carbonapp"
	"github.com/depsync/depsync/config"
	"github.com/depsync/depsync/deploy/cappname"
	"github.com/depsync/depsync/deploy/client"
	"github.com/depsync/depsync/publish"
	"github.com/depsync/depsync/svn"
)

// Ways of `capp push`.
const (
	viaAuto   = "auto"
	viaSVN    = "svn"
	viaDirect = "direct"
)

type pushOptions struct {
	nodes     []string
	tokenFile string
	via       string
	replace   bool
	force     bool
	wait      time.Duration
	until     string
	timeout   time.Duration
	output    string
	rollback  bool
}

// pushResult is one C-App delivered (or not) to one node, or to SVN.
type pushResult struct {
	Node       string `json:"node"`
	File       string `json:"file"`
	ID         string `json:"id"`
	SHA256     string `json:"sha256"`
	Status     string `json:"status"` // created, updated, unchanged, failed
	DurationMS int64  `json:"duration_ms"`
	Error      string `json:"error"`
	// Manager is the node that took the C-App when the node asked is a
	// worker that sent it on to its manager.
	Manager string `json:"manager,omitempty"`
	// Revision is the SVN revision committed (--via svn).
	Revision int64 `json:"revision,omitempty"`

	// storedBy is the node that stored the file, unredacted, and received
	// its own clock when it did (PutResult.Received): what --wait measures
	// Carbon's verdict on that node against.
	storedBy string
	received *time.Time
}

type pushReport struct {
	Via     string       `json:"via"`
	Results []pushResult `json:"results"`
	Wait    *waitReport  `json:"wait,omitempty"`
	// Rollback is what --rollback put back, when the wait failed.
	Rollback *rollbackReport `json:"rollback,omitempty"`
}

// localCApp is a C-App to push, validated.
type localCApp struct {
	path   string
	file   string
	app    *carbonapp.App
	sha256 []byte
}

func newCappPushCmd(a *app) *cobra.Command {
	o := &pushOptions{}
	cmd := &cobra.Command{
		Use:   "push FILE...",
		Short: "Deploy C-Apps to a cluster, verified and atomic, through SVN or straight to the nodes",
		Long: `Deploy C-Apps (.car files) to a cluster of depsync nodes.

Every file is validated first; if one is not a valid C-App nothing is sent
and the exit code is 2. Then:

  --via direct  PUTs each file to each node (the --node list, else this
                config's own node, http://<listen>, and its peers) in
                parallel, with retries. Each node streams it to a temporary
                file, checks its sha256 (Content-Digest), validates it and
                renames it into carbonapps: Carbon never sees a partial file.
                Pushing the same bytes again is "unchanged" and Carbon does
                not redeploy it. A worker sends you on to its manager, the
                one source of truth, which then pushes to the workers itself.
  --via svn     commits the files into <svn.url>[/-1234]/carbonapps/ through
                a temporary checkout of that folder only (no Carbon needed:
                works on a CI runner); the manager and the workers pick it up.
  --via auto    svn when svn.url is set and the server answers, else direct.

A file holding the id (name_version) of another file already deployed is
refused, because Carbon refuses duplicate ids; --replace removes the other
file in the same step.

--force makes a worker take the file without its manager (an emergency with
the manager down). The manager's next reconcile removes from the workers what
it does not hold itself (with sync.prune), so push the file to the manager
too once it is back. Over TLS a worker takes it only from a client
certificate of the cluster: --force presents the config's tls.cert_file.

--timeout bounds the delivery of each C-App to each node (default 10m, for
a large C-App over a slow link): a node that takes the connection and never
answers costs an error naming it, never a hang.

A worker's refusal is followed to the manager it names only when that URL
is one of the --node URLs, a configured peer or this config's own node, and
never from https to http: otherwise nothing is sent there (not the token,
not the C-App), the delivery fails naming that URL, and passing it with
--node lets it through. Plain http:// is refused for a node that is not
loopback unless the config sets insecure_http: true.

--wait polls until every node of the cluster (the nodes pushed to and the
peers they list in /v1/status) holds each file with the same sha256 and,
with --until deployed (the default), until each node's Carbon log
(carbon.log_file) says "Successfully Deployed" for it in a line the node
read after the bytes landed there: an older "deployed" for earlier bytes
does not count. It fails at once, exit 1, when a node's Carbon says a C-App
is faulty, printing the node, the C-App id and Carbon's error line; and at
the deadline naming the nodes that lack a file or a verdict. A node with no
readable Carbon log counts once it holds the bytes, with a warning naming
it. --until present waits for the bytes only. --via svn waits the same way
on the nodes it can reach (--node, else this config's node and peers). The
peers a node lists are polled only when they pass the --node rules; a
worker's manager only when it is a known node.

--rollback (with --wait) undoes the push when a delivery fails, a node's
Carbon finds a pushed C-App faulty or the wait runs out. Before sending anything the
command records what each node holds under each pushed file name (GET
/v1/capps/{file}: the bytes and their digest, or nothing); with --via svn
the repository's history is that record. It then puts back every C-App of
the push on every node the way the push went (direct: the previous bytes
PUT back, a file that was new DELETEd; svn: one commit restoring each file
as it was before the push's revision, so the history shows both), and
waits a fresh --wait for Carbon to say "deployed" for each C-App put back
(and "undeployed" for each one removed) on every node. It touches no file
name but those pushed. The exit code is 1 either way; the output says
which node and C-App were faulty and whether the rollback completed
(-o json: "rollback": {done, restored, removed, states}).

The token comes from --token-file, else token_file or DEPSYNC_TOKEN. The
config file is optional: on a CI runner --node and DEPSYNC_TOKEN suffice.

Exit codes: 0 every node has every file (and, with --wait, Carbon deployed
it), 1 a node (or SVN) failed, Carbon found a C-App faulty or --wait timed
out, 2 bad input (a file, a flag, the config).`,
		Example: `  # from a CI pipeline, straight to the nodes, waiting for the whole cluster
  DEPSYNC_TOKEN=... depsync capp push target/MyApp_1.0.0.car \
      --node https://node1:9780 --via direct --wait 2m -o json

  # undo the push by itself if Carbon finds it faulty anywhere
  depsync capp push MyApp_1.0.0.car --wait 2m --rollback

  # through SVN, as configured in depsync.yaml
  depsync capp push MyApp_1.0.0.car --via svn

  # a new file name for an app already deployed under another name
  depsync capp push MyApp_1.0.0.car --replace`,
		Args: cobra.MinimumNArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			return runCappPush(cmd.Context(), a, o, args)
		},
	}
	f := cmd.Flags()
	f.StringArrayVar(&o.nodes, "node", nil, "base URL of a node's depsync, e.g. https://node1:9780 (repeatable; default this config's node and peers)")
	f.StringVar(&o.tokenFile, "token-file", "", "file holding the API token (default token_file or DEPSYNC_TOKEN)")
	f.StringVar(&o.via, "via", viaAuto, "how to deliver: auto, svn or direct")
	f.BoolVar(&o.replace, "replace", false, "remove another file holding the same C-App id in the same step")
	f.BoolVar(&o.force, "force", false, "make a worker take the file without its manager (emergency only; see above)")
	f.DurationVar(&o.wait, "wait", 0, "wait up to this long for every node of the cluster to hold the files and Carbon to deploy them (e.g. 60s)")
	f.StringVar(&o.until, "until", client.UntilDeployed, "what --wait waits for: deployed (Carbon's log says so on every node that has one) or present (the bytes are there)")
	f.DurationVar(&o.timeout, "timeout", defaultPushTimeout, "how long one C-App may take to reach one node before that node counts as failed")
	f.StringVarP(&o.output, "output", "o", "text", "output format: text or json")
	f.BoolVar(&o.rollback, "rollback", false, "with --wait: put back what the nodes held before when Carbon finds a pushed C-App faulty or the wait runs out")
	return cmd
}

func runCappPush(ctx context.Context, a *app, o *pushOptions, args []string) error {
	if err := validOutput(o.output); err != nil {
		return err
	}
	switch o.via {
	case viaAuto, viaSVN, viaDirect:
	default:
		return usageError{fmt.Errorf("--via %q: must be auto, svn or direct", o.via)}
	}
	if o.wait < 0 {
		return usageError{fmt.Errorf("--wait %s: must not be negative", o.wait)}
	}
	switch o.until {
	case client.UntilPresent, client.UntilDeployed:
	default:
		return usageError{fmt.Errorf("--until %q: must be present or deployed", o.until)}
	}
	if err := checkTimeout(o.timeout); err != nil {
		return err
	}
	if o.rollback && o.wait <= 0 {
		return usageError{errors.New("--rollback needs --wait: it undoes the push when the wait fails")}
	}
	if o.rollback && o.replace {
		return usageError{errors.New("--rollback with --replace: a rollback puts back only the file names pushed, not the files --replace removes")}
	}
	capps, err := validateCApps(args)
	if err != nil {
		return err
	}
	cfg, err := a.loadConfig(nil)
	if err != nil {
		return err
	}

	via := o.via
	if via == viaAuto {
		via = viaDirect
		if cfg.SVN.URL != "" {
			reachable, err := svnReachable(ctx, a, cfg)
			switch {
			case reachable:
				via = viaSVN
			case err != nil:
				a.logger.Warn("SVN server unreachable: pushing straight to the nodes", "url", redact(cfg.SVN.URL), "err", err)
			}
		}
	}

	report := &pushReport{Via: via}
	var client *client.Client
	var nodes []string
	needNodes := via == viaDirect || o.wait > 0
	if needNodes {
		if nodes, err = resolveNodes(cfg, o.nodes); err != nil {
			return err
		}
		if client, err = newDeployClient(a, cfg, o.tokenFile, true, o.force, nodes, defaultCallTimeout); err != nil {
			return err
		}
	}

	var priors []prior
	if o.rollback && via == viaDirect {
		if priors, err = recordPriors(ctx, client, nodes, capps, o.timeout); err != nil {
			return failed(fmt.Errorf("--rollback: nothing sent: what the nodes hold now could not be recorded: %w", err))
		}
	}

	switch via {
	case viaDirect:
		report.Results = pushDirect(ctx, a, client, nodes, capps, o)
	case viaSVN:
		if cfg.SVN.URL == "" {
			return badInput(errors.New("--via svn: svn.url is not set (config file, DEPSYNC_SVN_URL)"))
		}
		report.Results = pushSVN(ctx, a, cfg, capps, o)
	}

	failures := 0
	for _, r := range report.Results {
		if r.Error != "" {
			failures++
		}
	}
	if o.wait > 0 && failures == 0 {
		report.Wait = waitForCluster(ctx, a, cfg, client, nodes, capps, report.Results, o)
	}
	if o.rollback && needsRollback(failures, report.Wait) {
		report.Rollback = rollBack(ctx, a, cfg, client, nodes, via, capps, priors, report.Results, o)
	}

	if err := writePushReport(a.stdout, o.output, report); err != nil {
		return failed(err)
	}
	switch {
	case failures > 0:
		return failed(fmt.Errorf("%d of %d deliveries failed%s", failures, len(report.Results), rollbackSummary(report.Rollback)))
	case report.Wait != nil && len(report.Wait.Faulty) > 0:
		return failed(fmt.Errorf("Carbon failed to deploy: %s%s", faultySummary(report.Wait.Faulty), rollbackSummary(report.Rollback)))
	case report.Wait != nil && !report.Wait.OK:
		return failed(fmt.Errorf("--wait %s: not every node %s the C-Apps: %s%s", o.wait, untilVerb(report.Wait.Until), lackingSummary(report.Wait.Lacking),
			rollbackSummary(report.Rollback)))
	}
	return nil
}

// validateCApps parses every file before anything is sent.
func validateCApps(paths []string) ([]*localCApp, error) {
	var out []*localCApp
	byName := map[string]string{}
	byID := map[string]string{}
	var errs []error
	for _, p := range paths {
		file := filepath.Base(p)
		if !cappname.Valid(file) {
			errs = append(errs, fmt.Errorf("%s: %w", p, cappname.ErrBad))
			continue
		}
		app, err := carbonapp.ParseFile(p)
		if err != nil {
			errs = append(errs, fmt.Errorf("%s: not a valid C-App: %w", p, err))
			continue
		}
		if other, ok := byName[file]; ok {
			errs = append(errs, fmt.Errorf("%s and %s have the same file name", other, p))
			continue
		}
		if other, ok := byID[app.ID]; ok {
			errs = append(errs, fmt.Errorf("%s and %s hold the same C-App %s: Carbon would refuse one of them", other, p, app.ID))
			continue
		}
		byName[file], byID[app.ID] = p, p
		sum, _ := hex.DecodeString(app.SHA256)
		out = append(out, &localCApp{path: p, file: file, app: app, sha256: sum})
	}
	if len(errs) > 0 {
		return nil, badInput(fmt.Errorf("nothing sent: %w", errors.Join(errs...)))
	}
	return out, nil
}

// pushDirect PUTs every C-App to every node: nodes in parallel, a node's
// files one after the other.
func pushDirect(ctx context.Context, a *app, c *client.Client, nodes []string, capps []*localCApp, o *pushOptions) []pushResult {
	results := make([]pushResult, len(nodes)*len(capps))
	bar := newProgress(a.stderr, capps, len(nodes))
	defer bar.stop()
	var wg sync.WaitGroup
	for i, node := range nodes {
		wg.Go(func() {
			for j, ca := range capps {
				k := i*len(capps) + j
				start := time.Now()
				pctx, cancel := context.WithTimeout(ctx, o.timeout)
				reply, err := c.Put(pctx, node, ca.path, client.PutRequest{
					File: ca.file, SHA256: ca.sha256, Replace: o.replace, Force: o.force,
					Progress: bar.tracker(k),
				})
				cancel()
				r := pushResult{Node: redact(node), File: ca.file, ID: ca.app.ID, SHA256: ca.app.SHA256,
					DurationMS: time.Since(start).Milliseconds()}
				if err != nil {
					r.Status, r.Error = "failed", nodeError(node, err, o.timeout)
				} else {
					r.Status = reply.Status
					r.storedBy, r.received = reply.Node, reply.Received
					if reply.Node != node {
						r.Manager = redact(reply.Node)
					}
				}
				results[k] = r
				bar.done(k, ca.app.Size)
			}
		})
	}
	wg.Wait()
	return results
}

// svnOptions are the svn client options of the config, for a client whose
// config directory is temporary.
func svnOptions(a *app, cfg *config.Config) svn.Options {
	return svn.Options{
		Username:        cfg.SVN.Username,
		Password:        cfg.SVN.Password.Reveal(),
		TrustServerCert: cfg.SVN.TrustServerCert,
		Logger:          a.logger,
	}
}

// svnReachable probes the configured SVN server. An unreachable server (or
// a timeout) is (false, err); any other error is (true, nil), so that a
// misconfiguration shows up in the svn push rather than being bypassed.
func svnReachable(ctx context.Context, a *app, cfg *config.Config) (bool, error) {
	tmp, err := os.MkdirTemp("", "depsync-probe-")
	if err != nil {
		return false, err
	}
	defer os.RemoveAll(tmp)
	so := svnOptions(a, cfg)
	so.ConfigDir = filepath.Join(tmp, svn.ConfigDirName)
	c, err := svn.New(so)
	if err != nil {
		return false, err
	}
	pctx, cancel := context.WithTimeout(ctx, 15*time.Second)
	defer cancel()
	_, err = c.RemoteRevision(pctx, cfg.SVN.URL)
	if err != nil && (errors.Is(err, svn.ErrUnreachable) || errors.Is(err, svn.ErrTimeout) || errors.Is(err, svn.ErrNotInstalled)) {
		return false, err
	}
	return true, nil
}

// pushSVN commits the C-Apps into the super tenant's carbonapps folder
// through the publisher (a temporary checkout of that folder alone).
func pushSVN(ctx context.Context, a *app, cfg *config.Config, capps []*localCApp, o *pushOptions) []pushResult {
	base := cfg.Tenants()[0].URL
	start := time.Now()
	in := make([]publish.CApp, len(capps))
	for i, ca := range capps {
		in[i] = publish.CApp{Path: ca.path, File: ca.file, App: ca.app}
	}
	res := publish.SVN(ctx, publish.Options{URL: base, SVN: svnOptions(a, cfg), Replace: o.replace}, in)
	node := redact(publish.Folder(base))
	out := make([]pushResult, len(res))
	for i, r := range res {
		out[i] = pushResult{Node: node, File: r.File, ID: r.ID, SHA256: r.SHA256, Status: r.Status,
			Revision: r.Revision, DurationMS: time.Since(start).Milliseconds()}
		if r.Err != nil {
			out[i].Error = r.Err.Error()
		}
	}
	return out
}

func writePushReport(w io.Writer, format string, r *pushReport) error {
	if format == "json" {
		enc := json.NewEncoder(w)
		enc.SetIndent("", "  ")
		return enc.Encode(r)
	}
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
	fmt.Fprintln(tw, "NODE\tFILE\tID\tSTATUS\tSHA256\tTIME")
	for _, x := range r.Results {
		node := x.Node
		if x.Manager != "" {
			node += " -> " + x.Manager
		}
		status := x.Status
		if x.Revision > 0 {
			status += fmt.Sprintf(" (r%d)", x.Revision)
		}
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\t%s\n", node, x.File, x.ID, status, short(x.SHA256),
			(time.Duration(x.DurationMS) * time.Millisecond).String())
	}
	if err := tw.Flush(); err != nil {
		return err
	}
	for _, x := range r.Results {
		if x.Error != "" {
			fmt.Fprintf(w, "%s %s: %s\n", x.Node, x.File, x.Error)
		}
	}
	if r.Wait != nil {
		writeWaitReport(w, r.Wait)
	}
	if r.Rollback != nil {
		writeRollbackReport(w, r.Rollback)
	}
	return nil
}

func short(sha string) string {
	if len(sha) > 12 {
		return sha[:12]
	}
	return sha
}
