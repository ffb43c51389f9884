// Package guard holds mass deletions until a person approves them. It is
// the manager's one check before a deletion leaves the node, whether over
// SVN or straight to peers: a vanished folder, an emptied carbonapps or more
// deletions than sync.max_delete allows are held, everything else goes. An
// approval is bound to what was held when it was given: it lets through
// those paths (or fewer) once, in its scope, before sync.approval_ttl is
// up; anything more or other is held anew.
package guard

import (
	"fmt"
	"log/slog"
	"slices"
	"sort"
	"sync"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/depsync/depsync/config"
)

// Reasons a deletion is held, as /v1/status shows them.
const (
	// ReasonDirGone: the deployment directory, or a top-level folder of it
	// that held files, disappeared.
	ReasonDirGone = "directory_gone"
	// ReasonEmptied: carbonapps holds no C-App while the repository or a
	// peer still holds some.
	ReasonEmptied = "carbonapps_emptied"
	// ReasonLimit: more deletions in one pass than sync.max_delete allows.
	ReasonLimit = "over_max_delete"
)

// MaxPaths is how many paths a Hold lists.
const MaxPaths = 10

// Hold is a set of deletions kept back, as /v1/status shows it.
type Hold struct {
	// Scope says where the deletions would go: "tenant -1234" for SVN,
	// "peer https://node2:9780" for direct push.
	Scope  string `json:"scope"`
	Reason string `json:"reason"`
	// Count is the number of paths held; Paths lists the first MaxPaths.
	Count int      `json:"count"`
	Paths []string `json:"paths"`
	// Digest names every path held (see Digest): what a person saw in
	// `depsync status`, for `depsync approve --digest`.
	Digest string    `json:"digest"`
	Since  time.Time `json:"since"`
}

// heldPaths is a Hold with every path it holds, sorted: what an approval
// of it covers.
type heldPaths struct {
	Hold
	all []string
}

// Pass is one propagation's deletions, put to Check.
type Pass struct {
	Scope string
	// Deleted are the paths the pass would delete.
	Deleted []string
	// Total is how many files were in step before the pass: the base of a
	// share in sync.max_delete.
	Total int
	// Reason, when not empty, holds the deletions whatever their number:
	// the caller saw a vanished directory (ReasonDirGone) or an emptied
	// carbonapps (ReasonEmptied).
	Reason string
}

// Options configure a Guard. Every field is optional.
type Options struct {
	Limit  config.DeleteLimit
	Logger *slog.Logger
	// Registerer receives depsync_deletions_held.
	Registerer prometheus.Registerer
	// Now is the clock (default time.Now).
	Now func() time.Time
	// ApprovalTTL is how long an approval waits to be used before it
	// expires (sync.approval_ttl; default config.DefaultApprovalTTL).
	ApprovalTTL time.Duration
	// OnApprove is called after Approve, so callers can run a pass at once.
	OnApprove func()
}

// Guard decides, per scope, whether a pass's deletions may go. It is safe
// for concurrent use.
type Guard struct {
	limit     config.DeleteLimit
	log       *slog.Logger
	now       func() time.Time
	onApprove func()
	ttl       time.Duration
	held      prometheus.Gauge

	mu       sync.Mutex
	holds    map[string]*heldPaths
	approved map[string]*approval
}

// New returns a Guard.
func New(opts Options) *Guard {
	g := &Guard{
		limit:     opts.Limit,
		log:       opts.Logger,
		now:       opts.Now,
		onApprove: opts.OnApprove,
		ttl:       opts.ApprovalTTL,
		holds:     map[string]*heldPaths{},
		approved:  map[string]*approval{},
		held: prometheus.NewGauge(prometheus.GaugeOpts{
			Name: "depsync_deletions_held",
			Help: "Paths whose deletion is held until a person approves it (depsync approve).",
		}),
	}
	if g.log == nil {
		g.log = slog.New(slog.DiscardHandler)
	}
	if g.now == nil {
		g.now = time.Now
	}
	if g.ttl <= 0 {
		g.ttl = config.Sync{}.ApprovalTimeout()
	}
	if g.limit == (config.DeleteLimit{}) {
		g.limit = config.Sync{}.DeleteLimit()
	}
	if opts.Registerer != nil {
		opts.Registerer.MustRegister(g.held)
	}
	return g
}

// Exceeded reports whether n deletions of total synced files go beyond
// sync.max_delete: for callers that split a pass, holding part of it for a
// structural reason and letting the rest go only when it is within the
// limit on its own.
func (g *Guard) Exceeded(n, total int) bool { return g.limit.Exceeded(n, total) }

// Check reports whether the deletions of p may go now. It returns true when
// nothing is to be held, or when a person approved the hold of p.Scope and
// p.Deleted are among the paths held then (once: the approval is used up).
// Otherwise it records or updates the hold and returns false; the caller
// propagates the rest of its pass, without p.Deleted. An approval that
// does not cover p.Deleted is dropped: what is held now is not what the
// person saw. A pass with no deletions clears the scope's hold: the files
// came back.
func (g *Guard) Check(p Pass) bool {
	reason := p.Reason
	if reason == "" && g.limit.Exceeded(len(p.Deleted), p.Total) {
		reason = ReasonLimit
	}
	g.mu.Lock()
	defer g.mu.Unlock()
	g.expireLocked()
	if len(p.Deleted) == 0 || reason == "" {
		g.clearLocked(p.Scope, len(p.Deleted) == 0)
		return true
	}
	all := slices.Clone(p.Deleted)
	sort.Strings(all)
	all = slices.Compact(all)
	digest := Digest(all)
	if a, ok := g.approved[p.Scope]; ok {
		delete(g.approved, p.Scope)
		if a.covers(all) {
			h := g.holds[p.Scope]
			delete(g.holds, p.Scope)
			g.updateLocked()
			g.log.Warn("held deletion approved: propagating it", "scope", p.Scope, "count", len(all),
				"reason", reason, "digest", digest, "approved_digest", a.Digest, "held_since", sinceOf(h))
			return true
		}
		g.log.Warn("held deletion changed since it was approved: held anew, the approval is dropped; "+
			"look at `depsync status` and approve again if it is meant",
			"scope", p.Scope, "approved_count", a.Count, "approved_digest", a.Digest,
			"count", len(all), "digest", digest, "not_approved", a.firstOutside(all))
	}
	h, ok := g.holds[p.Scope]
	if !ok {
		h = &heldPaths{Hold: Hold{Scope: p.Scope, Since: g.now().UTC()}}
		g.holds[p.Scope] = h
	}
	changed := !ok || h.Reason != reason || h.Digest != digest
	h.Reason, h.Count, h.Digest, h.all = reason, len(all), digest, all
	h.Paths = slices.Clone(all[:min(len(all), MaxPaths)])
	g.updateLocked()
	if changed {
		g.log.Warn("deletion held: "+describe(reason, len(all), p.Total)+
			"; if it is meant, run `depsync approve`; if not, put the files back and the hold clears by itself",
			"scope", p.Scope, "count", len(all), "digest", digest, "first", all[0])
	}
	return false
}

// clearLocked drops the hold of scope; gone says the deletions disappeared
// (the files came back) rather than went through.
func (g *Guard) clearLocked(scope string, gone bool) {
	delete(g.approved, scope)
	if _, ok := g.holds[scope]; !ok {
		return
	}
	delete(g.holds, scope)
	g.updateLocked()
	if gone {
		g.log.Info("held deletion cleared: the files are back", "scope", scope)
	}
}

func (g *Guard) updateLocked() {
	n := 0
	for _, h := range g.holds {
		n += h.Count
	}
	g.held.Set(float64(n))
}

// Holds returns the current holds, sorted by scope.
func (g *Guard) Holds() []Hold {
	g.mu.Lock()
	defer g.mu.Unlock()
	return g.holdsLocked()
}

func (g *Guard) holdsLocked() []Hold {
	out := make([]Hold, 0, len(g.holds))
	for _, h := range g.holds {
		c := h.Hold
		c.Paths = slices.Clone(h.Paths)
		out = append(out, c)
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Scope < out[j].Scope })
	return out
}

// Summary is one line for /readyz's log and `depsync status`: "" with no
// hold.
func (g *Guard) Summary() string {
	holds := g.Holds()
	if len(holds) == 0 {
		return ""
	}
	n := 0
	for _, h := range holds {
		n += h.Count
	}
	return fmt.Sprintf("%d deletion(s) held in %d place(s) (%s): run `depsync approve` to let them through", n, len(holds), holds[0].Reason)
}

func describe(reason string, n, total int) string {
	switch reason {
	case ReasonDirGone:
		return fmt.Sprintf("a directory that held %d file(s) disappeared", n)
	case ReasonEmptied:
		return fmt.Sprintf("carbonapps holds no C-App any more (%d would be deleted)", n)
	default:
		return fmt.Sprintf("%d of %d synced files would be deleted at once (sync.max_delete)", n, total)
	}
}

func sinceOf(h *heldPaths) string {
	if h == nil {
		return ""
	}
	return h.Since.Format(time.RFC3339)
}
