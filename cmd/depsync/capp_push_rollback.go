package main

import (
	"bytes"
	"context"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"time"

	"github.com/depsync/depsync/carbonapp"
	"github.com/depsync/depsync/config"
	"github.com/depsync/depsync/deploy/client"
	"github.com/depsync/depsync/publish"
)

// prior is what one node held under one pushed file name before the push
// (capp push --rollback): the bytes, or nothing.
type prior struct {
	node    string
	file    string
	present bool
	data    []byte
	sha256  []byte
	// id is the C-App id of data, or of the pushed C-App when the node
	// held nothing (how Carbon names what a removal undeploys).
	id string
}

// rollbackReport says what capp push --rollback put back and whether
// Carbon deployed it (or undeployed what was new) on every node.
type rollbackReport struct {
	// Done: everything was put back and Carbon said so on every node.
	Done bool `json:"done"`
	// Revision is the SVN revision of the restoring commit (--via svn).
	Revision int64          `json:"revision,omitempty"`
	Restored []rollbackItem `json:"restored"`
	Removed  []rollbackItem `json:"removed"`
	// States is each C-App put back on each node as the last round of the
	// rollback's wait saw it.
	States  []waitState   `json:"states,omitempty"`
	Lacking []waitLacking `json:"lacking,omitempty"`
	// Faulty are C-Apps put back that Carbon found faulty too.
	Faulty []waitState `json:"faulty,omitempty"`
	Error  string      `json:"error,omitempty"`
}

// rollbackItem is one C-App put back on one node (or in SVN).
type rollbackItem struct {
	Node   string `json:"node"`
	File   string `json:"file"`
	ID     string `json:"id,omitempty"`
	SHA256 string `json:"sha256,omitempty"`
	Error  string `json:"error,omitempty"`
}

// needsRollback reports whether a push ended so that --rollback undoes
// it: a delivery failed (some nodes may hold the new bytes, others not),
// Carbon found a C-App faulty, or the wait ran out.
func needsRollback(failures int, w *waitReport) bool {
	return failures > 0 || w != nil && (len(w.Faulty) > 0 || !w.OK)
}

// recordPriors fetches what each node holds under each pushed file name
// before anything is sent, so that a rollback can put it back. Any node
// that cannot say is an error: a push that could not be undone is not
// started.
func recordPriors(ctx context.Context, c *client.Client, nodes []string, capps []*localCApp, timeout time.Duration) ([]prior, error) {
	out := make([]prior, len(nodes)*len(capps))
	errs := make([]error, len(out))
	var wg sync.WaitGroup
	for i, node := range nodes {
		wg.Go(func() {
			for j, ca := range capps {
				k := i*len(capps) + j
				fctx, cancel := context.WithTimeout(ctx, timeout)
				f, err := c.Fetch(fctx, node, ca.file)
				cancel()
				if err != nil {
					errs[k] = errors.New(nodeError(node, err, timeout))
					continue
				}
				p := prior{node: node, file: ca.file, present: f.Present, data: f.Data, sha256: f.SHA256, id: ca.app.ID}
				if f.Present {
					p.id = ""
					if app, err := carbonapp.Parse(bytes.NewReader(f.Data), int64(len(f.Data)), ca.file); err == nil {
						p.id = app.ID
					}
				}
				out[k] = p
			}
		})
	}
	wg.Wait()
	if err := errors.Join(errs...); err != nil {
		return nil, err
	}
	return out, nil
}

// rollBack puts back what the push replaced, by the way it took: a commit
// restoring the previous content (svn), or PUT and DELETE on the nodes
// pushed to (direct). Then it waits, a fresh --wait, for Carbon to deploy
// each C-App put back, and undeploy each one removed, on every node. It
// touches only the file names of the push.
func rollBack(ctx context.Context, a *app, cfg *config.Config, c *client.Client, nodes []string, via string,
	capps []*localCApp, priors []prior, results []pushResult, o *pushOptions) *rollbackReport {
	rep := &rollbackReport{Restored: []rollbackItem{}, Removed: []rollbackItem{}}
	received := map[string]map[string]time.Time{}
	if via == viaSVN {
		rollBackSVN(ctx, a, cfg, capps, results, rep)
	} else {
		rollBackDirect(ctx, c, priors, o, rep, received)
	}
	waitRollback(ctx, a, cfg, c, nodes, rep, received, o.until, o.wait)
	return rep
}

// waitRollback waits up to wait for Carbon to deploy each C-App rep
// restored, and undeploy each one it removed, on every node of the
// cluster, and sets rep.Done when it did. It waits for nothing when a part
// of the rollback failed (rep.Error, or an item's Error).
func waitRollback(ctx context.Context, a *app, cfg *config.Config, c *client.Client, nodes []string, rep *rollbackReport,
	received map[string]map[string]time.Time, until string, wait time.Duration) {
	var restoredWant []client.Want
	var gone []client.Gone
	var failures []string
	ids := map[string]string{}
	seen := map[string]bool{}
	for _, x := range rep.Restored {
		if x.Error != "" {
			failures = append(failures, x.Node+" "+x.File+": "+x.Error)
			continue
		}
		if !seen[x.File] {
			seen[x.File] = true
			restoredWant = append(restoredWant, client.Want{File: x.File, SHA256: x.SHA256})
			ids[x.File] = x.ID
		}
	}
	for _, x := range rep.Removed {
		if x.Error != "" {
			failures = append(failures, x.Node+" "+x.File+": "+x.Error)
			continue
		}
		if !seen[x.File] {
			seen[x.File] = true
			gone = append(gone, client.Gone{File: x.File, ID: x.ID})
			ids[x.File] = x.ID
		}
	}
	if rep.Error != "" {
		return
	}
	if len(failures) > 0 {
		rep.Error = "not everything could be put back: " + strings.Join(failures, "; ")
		return
	}

	wctx, cancel := context.WithTimeout(ctx, wait)
	defer cancel()
	ok := true
	if len(restoredWant) > 0 {
		w := waitForWant(wctx, a, cfg, c, nodes, restoredWant, ids, received, until, wait)
		ok = ok && w.OK
		rep.States = append(rep.States, w.States...)
		rep.Lacking = append(rep.Lacking, w.Lacking...)
		rep.Faulty = append(rep.Faulty, w.Faulty...)
	}
	if len(gone) > 0 {
		res := c.WaitGone(wctx, client.GoneOptions{
			Nodes: nodes,
			Gone:  gone,
			Known: append(append([]string{localURL(cfg)}, nodes...), cfg.Peers...),
			Check: func(n string) error { return checkNodeURL("peer", n, cfg.InsecureHTTP) },
		})
		ok = ok && res.OK
		for _, v := range res.States {
			rep.States = append(rep.States, waitStateOf(v, ids))
		}
		for _, l := range res.Lacking {
			x := waitLacking{Node: redact(l.Node), File: l.File}
			if l.Err != nil {
				x.Error = nodeError(l.Node, l.Err, wait)
			}
			if l.Carbon != nil {
				x.State = l.Carbon.State
			}
			rep.Lacking = append(rep.Lacking, x)
		}
	}
	rep.Done = ok && len(rep.Faulty) == 0
}

// rollBackDirect PUTs each prior's bytes back to its node, or DELETEs the
// file where the node held none: a worker's refusal leads to its manager
// as the push's did. received gets the nodes' own times of the PUTs.
func rollBackDirect(ctx context.Context, c *client.Client, priors []prior, o *pushOptions, rep *rollbackReport, received map[string]map[string]time.Time) {
	tmp, err := os.MkdirTemp("", "depsync-rollback-")
	if err != nil {
		rep.Error = fmt.Sprintf("rollback: %v", err)
		return
	}
	defer os.RemoveAll(tmp)
	for i, p := range priors {
		item := rollbackItem{Node: redact(p.node), File: p.file, ID: p.id}
		pctx, cancel := context.WithTimeout(ctx, o.timeout)
		if !p.present {
			_, err := c.Delete(pctx, p.node, p.file, o.force)
			cancel()
			if err != nil && !client.IsNotFound(err) {
				item.Error = nodeError(p.node, err, o.timeout)
			}
			rep.Removed = append(rep.Removed, item)
			continue
		}
		item.SHA256 = hex.EncodeToString(p.sha256)
		path := filepath.Join(tmp, fmt.Sprintf("%d", i), p.file)
		err := os.MkdirAll(filepath.Dir(path), 0o700)
		if err == nil {
			err = os.WriteFile(path, p.data, 0o600)
		}
		var reply *client.PutReply
		if err == nil {
			reply, err = c.Put(pctx, p.node, path, client.PutRequest{File: p.file, SHA256: p.sha256, Force: o.force})
		}
		cancel()
		switch {
		case err != nil:
			item.Error = nodeError(p.node, err, o.timeout)
		case reply.Received != nil:
			if received[reply.Node] == nil {
				received[reply.Node] = map[string]time.Time{}
			}
			received[reply.Node][p.file] = *reply.Received
		}
		rep.Restored = append(rep.Restored, item)
	}
}

// rollBackSVN commits, in one revision, each pushed file as it was just
// before the push's commit: SVN's history is the record of what was
// there.
func rollBackSVN(ctx context.Context, a *app, cfg *config.Config, capps []*localCApp, results []pushResult, rep *rollbackReport) {
	var rev int64
	for _, r := range results {
		if r.Revision > 0 {
			rev = r.Revision
		}
	}
	if rev == 0 {
		return // the push committed nothing: nothing to undo
	}
	base := cfg.Tenants()[0].URL
	files := make([]string, len(capps))
	for i, ca := range capps {
		files[i] = ca.file
	}
	committed, out, err := publish.Restore(ctx, publish.Options{URL: base, SVN: svnOptions(a, cfg)}, files, rev-1,
		fmt.Sprintf("capp push --rollback of r%d", rev))
	if err != nil {
		rep.Error = fmt.Sprintf("rollback: %v", err)
		return
	}
	rep.Revision = committed
	node := redact(publish.Folder(base))
	for _, x := range out {
		item := rollbackItem{Node: node, File: x.File, ID: x.ID, SHA256: x.SHA256}
		switch x.Action {
		case publish.ActionRemoved:
			rep.Removed = append(rep.Removed, item)
		case publish.ActionRestored:
			rep.Restored = append(rep.Restored, item)
		case publish.ActionUnchanged:
			if x.SHA256 != "" {
				rep.Restored = append(rep.Restored, item)
			}
		}
	}
}

// rollbackSummary says, for the exit error, how the rollback ended.
func rollbackSummary(r *rollbackReport) string {
	switch {
	case r == nil:
		return ""
	case r.Done:
		return fmt.Sprintf("; rolled back: %s, and Carbon took the previous state on every node", rollbackWhat(r))
	case r.Error != "":
		return "; the rollback failed: " + r.Error
	case len(r.Faulty) > 0:
		return "; rolled back (" + rollbackWhat(r) + ") but Carbon finds the previous state faulty too: " + faultySummary(r.Faulty)
	default:
		return "; rolled back (" + rollbackWhat(r) + ") but not every node took it in time: " + lackingSummary(r.Lacking)
	}
}

func rollbackWhat(r *rollbackReport) string {
	var parts []string
	files := func(items []rollbackItem) string {
		seen := map[string]bool{}
		var fs []string
		for _, x := range items {
			if !seen[x.File] {
				seen[x.File] = true
				fs = append(fs, x.File)
			}
		}
		return strings.Join(fs, ", ")
	}
	if len(r.Restored) > 0 {
		parts = append(parts, "restored "+files(r.Restored))
	}
	if len(r.Removed) > 0 {
		parts = append(parts, "removed "+files(r.Removed))
	}
	if len(parts) == 0 {
		return "nothing to put back"
	}
	return strings.Join(parts, ", ")
}

func writeRollbackReport(w io.Writer, r *rollbackReport) {
	if r.Revision > 0 {
		fmt.Fprintf(w, "rollback committed r%d\n", r.Revision)
	}
	for _, x := range r.Restored {
		if x.Error != "" {
			fmt.Fprintf(w, "ROLLBACK FAILED on %s: %s: %s\n", x.Node, x.File, x.Error)
		}
	}
	for _, x := range r.Removed {
		if x.Error != "" {
			fmt.Fprintf(w, "ROLLBACK FAILED on %s: %s: %s\n", x.Node, x.File, x.Error)
		}
	}
	switch {
	case r.Done:
		fmt.Fprintf(w, "ROLLED BACK: %s; Carbon took the previous state on every node\n", rollbackWhat(r))
	case r.Error != "":
		fmt.Fprintf(w, "ROLLBACK INCOMPLETE: %s\n", r.Error)
	case len(r.Faulty) > 0:
		fmt.Fprintf(w, "ROLLBACK INCOMPLETE: Carbon finds the previous state faulty: %s\n", faultySummary(r.Faulty))
	default:
		fmt.Fprintf(w, "ROLLBACK INCOMPLETE: %s\n", lackingSummary(r.Lacking))
	}
}
