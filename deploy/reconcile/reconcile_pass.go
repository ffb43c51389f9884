package reconcile

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io/fs"
	"time"

	"github.com/depsync/depsync/api"
	"github.com/depsync/depsync/deploy"
	"github.com/depsync/depsync/deploy/client"
	"github.com/depsync/depsync/internal/guard"
	"github.com/depsync/depsync/internal/lease"
	"github.com/depsync/depsync/internal/settling"
)

// attemptTimeout bounds one request that sends size bytes.
func (r *Reconciler) attemptTimeout(size int64) time.Duration {
	return r.opts.AttemptTimeout + time.Duration(size/r.opts.MinRate)*time.Second
}

// unanswered explains an error of a request that the peer did not answer
// in time, or passes err on.
func (r *Reconciler) unanswered(actx context.Context, p *peer, what string, d time.Duration, err error) error {
	if errors.Is(actx.Err(), context.DeadlineExceeded) {
		return fmt.Errorf("%s: %s not answered within %s (the attempt's bound): %w", p.url, what, d, err)
	}
	return err
}

// localSum digests this node's manifest, to tell whether it changed since
// the peer was last found in step.
func localSum(local []api.Entry, missing bool) string {
	h := sha256.New()
	if missing {
		h.Write([]byte("missing\n"))
	}
	for _, e := range local {
		fmt.Fprintf(h, "%s %s %s\n", e.File, e.SHA256, e.Error)
	}
	return hex.EncodeToString(h.Sum(nil))
}

// listLocal lists this node's C-Apps; missing says carbonapps is not
// there, which is never made up as empty.
func (r *Reconciler) listLocal() (local []api.Entry, missing bool, err error) {
	local, err = r.opts.Store.List()
	if errors.Is(err, fs.ErrNotExist) {
		// Never made up empty: the guard holds what that would delete.
		r.warnOnce("missing:"+r.opts.Store.Dir(), "carbonapps is missing on this node: nothing is pushed, and no deletion leaves until it is back (or a person approves)",
			"dir", r.opts.Store.Dir())
		return nil, true, nil
	}
	return local, false, err
}

// syncPeer is one level-triggered reconcile of one peer. With conditional,
// a peer found in step by a full pass less than Interval ago, while this
// node's manifest is unchanged, is only checked with a conditional GET:
// unchanged (same C-Apps, no restart) ends the pass there.
func (r *Reconciler) syncPeer(ctx context.Context, p *peer, conditional bool) error {
	p.syncMu.Lock()
	defer p.syncMu.Unlock()
	log := r.opts.Logger.With("peer", p.url)

	local, missing, err := r.listLocal()
	if err != nil {
		r.fail(p, p.snapshot().Up, err)
		return err
	}
	sumLocal := localSum(local, missing)
	etag := ""
	if conditional && p.snapshot().InSync && p.localSum == sumLocal && time.Since(p.lastFull) < r.opts.Interval {
		etag = p.etag
	}
	actx, cancel := context.WithTimeout(ctx, r.opts.AttemptTimeout)
	m, err := r.client.Manifest(actx, p.url, etag)
	err = r.unanswered(actx, p, "GET /v1/capps", r.opts.AttemptTimeout, err)
	cancel()
	if err != nil {
		var ae *client.APIError
		if errors.As(err, &ae) {
			r.fail(p, true, err)
		} else {
			r.setDown(p, err)
		}
		return err
	}
	if !p.snapshot().Up {
		log.Info("peer up: reconciling its C-Apps")
	}
	p.mu.Lock()
	p.status.Up = true
	p.mu.Unlock()
	r.opts.Metrics.SetPeerUp(p.url, true)
	if m.NotModified {
		now := time.Now()
		p.mu.Lock()
		p.status.LastSuccess = now
		p.mu.Unlock()
		r.opts.Metrics.SetLastSuccess(p.url, float64(now.UnixNano())/1e9)
		return nil
	}
	if p.boot != "" && m.Boot != "" && m.Boot != p.boot {
		log.Info("peer restarted: checking its C-Apps again")
	}
	remote := m.Entries
	// The manifest may have taken a while (a peer coming back is retried
	// for seconds): what is pushed and pruned is judged against this
	// node's C-Apps as they are now, not as they were before the wait, so
	// that nothing moved away meanwhile is taken for still present.
	if local, missing, err = r.listLocal(); err != nil {
		r.fail(p, true, err)
		return err
	}

	remoteBy := make(map[string]api.Entry, len(remote))
	for _, e := range remote {
		remoteBy[e.File] = e
	}
	localNames := make(map[string]bool, len(local))
	ids := make(map[string]string, len(local)) // C-App id -> first file holding it
	var errs []error
	pushed, deleted, validLocal, busy := 0, 0, 0, 0
	for _, l := range local {
		localNames[l.File] = true
		if !l.Valid() {
			// Not (yet) a C-App: leave the peer's copy, if any, alone.
			continue
		}
		validLocal++
		if first, ok := ids[l.ID]; ok {
			// Carbon deploys only one of them here; pushing both with
			// replace would make the peer flip between them forever.
			if r.warnOnce("dup:"+l.File, "two files hold one C-App id: only the first is pushed", "id", l.ID, "pushed", first, "skipped", l.File) {
				r.opts.Metrics.CountPush(p.url, deploy.ResultError, 0)
			}
			continue
		}
		ids[l.ID] = l.File
		if rm, ok := remoteBy[l.File]; ok && rm.SHA256 == l.SHA256 {
			continue
		}
		sum, err := hex.DecodeString(l.SHA256)
		path, perr := r.opts.Store.Path(l.File)
		if err != nil || perr != nil {
			continue
		}
		if lease.OpenForWriting(path) {
			// Valid, but a writer still has it: not provably complete.
			// The next pass, soon, pushes it once it is closed.
			log.Debug("C-App open for writing; pushing it once it is closed", "file", l.File)
			busy++
			continue
		}
		start := time.Now()
		d := r.attemptTimeout(l.Size)
		actx, cancel := context.WithTimeout(ctx, d)
		reply, err := r.client.Put(actx, p.url, path, client.PutRequest{File: l.File, SHA256: sum, Replace: true})
		err = r.unanswered(actx, p, "PUT "+l.File, d, err)
		cancel()
		if err != nil {
			if ctx.Err() != nil {
				return ctx.Err()
			}
			r.opts.Metrics.CountPush(p.url, deploy.ResultError, 0)
			var ae *client.APIError
			if !errors.As(err, &ae) && !errors.Is(err, fs.ErrNotExist) {
				// No answer: the peer is down, the rest would wait too.
				err = fmt.Errorf("push %s: %w", l.File, err)
				r.setDown(p, err)
				r.addCounts(p, pushed, deleted)
				return err
			}
			errs = append(errs, fmt.Errorf("push %s: %w", l.File, err))
			continue
		}
		pushed++
		r.opts.Metrics.CountPush(p.url, reply.Status, reply.Bytes)
		log.Info("C-App pushed", "file", l.File, "id", reply.ID, "status", reply.Status, "replaced", reply.Replaced,
			"bytes", reply.Bytes, "duration", time.Since(start).Round(time.Millisecond))
		for _, f := range reply.Replaced {
			delete(remoteBy, f)
		}
	}
	held, deferred := 0, 0
	if r.opts.Prune {
		var doomed []api.Entry
		var names []string
		validRemote := 0
		for _, rm := range remote {
			if rm.Valid() {
				validRemote++
			}
			if localNames[rm.File] {
				continue
			}
			if _, ok := remoteBy[rm.File]; !ok {
				continue // replaced above
			}
			doomed = append(doomed, rm)
			names = append(names, rm.File)
		}
		// While this node's C-Apps keep going (a folder emptied a few
		// at a time), the prunes wait and are judged together once no
		// more have gone for DeleteSettle; none left, none can go: judged
		// at once. The guard is not asked meanwhile: a hold stays.
		var until time.Time
		p.prunes, until = settling.Decide(p.prunes, map[string]settling.Look{
			"carbonapps": {Count: len(doomed), Complete: missing || validLocal == 0},
		}, r.opts.Now(), r.opts.DeleteSettle)
		p.pruneAt = until
		pass := guard.Pass{Scope: "peer " + p.url, Deleted: names, Total: validRemote}
		if validLocal == 0 && validRemote > 0 {
			pass.Reason = guard.ReasonEmptied
		}
		switch {
		case !until.IsZero():
			deferred = len(doomed)
			doomed = nil
			log.Debug("prunes wait: this node's C-Apps are still going; they are judged together once that stops",
				"count", deferred, "until", until.Format(time.RFC3339Nano))
		case !r.opts.Guard.Check(pass):
			held = len(doomed)
			doomed = nil
		default:
			// On their way: a prune found later is new, with a window
			// of its own.
			p.prunes = nil
		}
		for _, rm := range doomed {
			d := r.opts.AttemptTimeout
			actx, cancel := context.WithTimeout(ctx, d)
			_, err := r.client.Delete(actx, p.url, rm.File, false)
			err = r.unanswered(actx, p, "DELETE "+rm.File, d, err)
			cancel()
			if err != nil && !client.IsNotFound(err) {
				if ctx.Err() != nil {
					return ctx.Err()
				}
				r.opts.Metrics.CountPush(p.url, deploy.ResultError, 0)
				errs = append(errs, fmt.Errorf("delete %s: %w", rm.File, err))
				continue
			}
			deleted++
			r.opts.Metrics.CountPush(p.url, deploy.ResultDeleted, 0)
			log.Info("C-App deleted from peer", "file", rm.File, "id", rm.ID)
		}
	}
	p.mu.Lock()
	p.status.Held = held
	p.mu.Unlock()
	if err := errors.Join(errs...); err != nil {
		r.fail(p, true, err)
		r.addCounts(p, pushed, deleted)
		return err
	}
	now := time.Now()
	p.mu.Lock()
	p.status.InSync = held == 0 && busy == 0 && deferred == 0 && !missing
	p.status.LastSuccess = now
	p.status.LastError = ""
	p.status.Pushed += pushed
	p.status.Deleted += deleted
	p.mu.Unlock()
	if busy > 0 {
		p.busy++
	} else {
		p.busy = 0
	}
	if held == 0 && busy == 0 && deferred == 0 && !missing && pushed+deleted == 0 {
		// Found in step as it is: the next checks may be conditional.
		p.etag, p.boot, p.localSum, p.lastFull = m.ETag, m.Boot, sumLocal, now
	} else {
		// Changed (or held): the next pass lists the peer again.
		p.etag, p.boot = "", m.Boot
	}
	r.opts.Metrics.SetLastSuccess(p.url, float64(now.UnixNano())/1e9)
	if pushed+deleted > 0 {
		log.Info("peer in step", "pushed", pushed, "deleted", deleted)
	}
	return nil
}

func (r *Reconciler) addCounts(p *peer, pushed, deleted int) {
	p.mu.Lock()
	p.status.Pushed += pushed
	p.status.Deleted += deleted
	p.mu.Unlock()
}
