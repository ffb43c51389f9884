package main

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"path/filepath"
	"strings"
	"sync"
	"time"

	"github.com/depsync/depsync/config"
	"github.com/depsync/depsync/deploy"
	"github.com/depsync/depsync/deploy/client"
	"github.com/depsync/depsync/doctor"
)

// liveOptions are what this node's config says about the node for
// doctor.Live: the daemon's GET /v1/doctor and the local part of
// `depsync doctor --config` read the same.
func liveOptions(c *config.Config) doctor.LiveOptions {
	return doctor.LiveOptions{
		Node:     c.NodeName,
		Home:     c.Carbon.Home,
		Role:     c.Role,
		SVN:      c.SVN.URL != "",
		CAppsDir: filepath.Join(c.Carbon.DeploymentDir, "carbonapps"),
	}
}

// mountDoctor adds GET /v1/doctor to the daemon's mux.
func mountDoctor(mux *http.ServeMux, c *config.Config, store *deploy.Store, log *slog.Logger) {
	mux.Handle(doctor.Path, doctorHandler(c, store, log))
}

// doctorHandler is the daemon's GET /v1/doctor. store, when set, lists the
// C-Apps from the daemon's cached listing instead of parsing every .car
// per request.
func doctorHandler(c *config.Config, store *deploy.Store, log *slog.Logger) http.Handler {
	o := liveOptions(c)
	if store != nil {
		o.CApps = func() (map[string]string, error) {
			ents, err := store.List()
			if err != nil {
				// A missing folder deploys nothing; ReadCApps says so, or
				// names what else is wrong.
				return doctor.ReadCApps(o.CAppsDir)
			}
			out := map[string]string{}
			for _, e := range ents {
				if _, dup := out[e.ID]; e.Valid() && !dup {
					out[e.ID] = e.SHA256
				}
			}
			return out, nil
		}
	}
	return doctor.Handler(c.Token.Reveal(), o, log)
}

// doctorOnline reads this node's facts from its own files and asks every
// peer for its facts (GET /v1/doctor, each call bounded by timeout), then
// runs the checks with nodes.reachable first.
func doctorOnline(ctx context.Context, a *app, tokenFile string, timeout time.Duration) (*doctor.Report, error) {
	c, err := a.loadConfig(nil)
	if err != nil {
		return nil, err
	}
	if err := checkTimeout(timeout); err != nil {
		return nil, err
	}
	if c.Carbon.Home == "" {
		return nil, badInput(fmt.Errorf("config %s: carbon.home is not set: depsync doctor reads <carbon.home>/conf "+
			"(or repository/conf); set it, or give each node's home with --home", describeSource(c.Source)))
	}
	self, err := doctor.Live(ctx, liveOptions(c))
	if err != nil {
		return nil, badInput(fmt.Errorf("this node (carbon.home %s): %w", c.Carbon.Home, err))
	}
	var peers []string
	seen := map[string]bool{}
	for _, p := range c.Peers {
		p = strings.TrimRight(strings.TrimSpace(p), "/")
		if p == "" || seen[p] {
			continue
		}
		if err := checkNodeURL("peer", p, c.InsecureHTTP); err != nil {
			return nil, err
		}
		seen[p] = true
		peers = append(peers, p)
	}
	facts := []*doctor.Facts{self}
	var down []doctor.Unreachable
	if len(peers) > 0 {
		nc, err := newNodeClient(a, c, tokenFile, timeout)
		if err != nil {
			return nil, err
		}
		got := askPeers(ctx, nc, peers, timeout)
		names := map[string]bool{self.Node: true}
		for i, p := range peers {
			f, err := got[i].facts, got[i].err
			if err != nil {
				down = append(down, doctor.Unreachable{Node: redact(p), Err: doctorNodeError(p, err, timeout)})
				continue
			}
			// A node is named by its node_name; by its URL when that is
			// missing or taken (two nodes left at the same hostname).
			if f.Node == "" || names[f.Node] {
				f.Node = redact(p)
			}
			names[f.Node] = true
			facts = append(facts, f)
		}
		for i := range down {
			if names[down[i].Node] {
				down[i].Node += " (unreachable)"
			}
		}
	}
	rep, err := doctor.RunOnline(facts, down)
	if err != nil {
		return nil, failed(err)
	}
	return rep, nil
}

type peerFacts struct {
	facts *doctor.Facts
	err   error
}

// askPeers asks every peer at once, each call within timeout, so that one
// stuck node costs one timeout, not one per node.
func askPeers(ctx context.Context, nc *client.Client, peers []string, timeout time.Duration) []peerFacts {
	out := make([]peerFacts, len(peers))
	var wg sync.WaitGroup
	for i, p := range peers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			cctx, cancel := context.WithTimeout(ctx, timeout)
			defer cancel()
			out[i].facts, out[i].err = nc.Doctor(cctx, p)
		}()
	}
	wg.Wait()
	return out
}

// doctorNodeError is nodeError, with a depsync too old to serve
// GET /v1/doctor told apart from a missing node.
func doctorNodeError(node string, err error, timeout time.Duration) string {
	if client.IsNotFound(err) {
		return redact(node) + ": does not serve GET /v1/doctor (a depsync older than doctor's online mode): upgrade it"
	}
	var ae *client.APIError
	if errors.As(err, &ae) && ae.StatusCode == http.StatusUnauthorized {
		return redact(node) + ": refused the API token (401): every node needs the same token_file or DEPSYNC_TOKEN"
	}
	return nodeError(node, err, timeout)
}
