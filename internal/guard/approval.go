package guard

import (
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"slices"
	"sort"
	"strings"
	"time"
)

// Errors of ApproveSelected: the selection does not match what is held, and
// nothing was approved.
var (
	// ErrNotHeld: a scope asked for holds nothing.
	ErrNotHeld = errors.New("nothing held there")
	// ErrChanged: the hold's digest is not the one given: what is held now
	// is not what the person saw.
	ErrChanged = errors.New("the held deletions changed")
)

// Approval is an approval not used yet, as /v1/status shows it: the next
// pass of Scope may delete the Count paths named by Digest, or fewer of
// them, until ExpiresAt.
type Approval struct {
	Scope      string    `json:"scope"`
	Count      int       `json:"count"`
	Digest     string    `json:"digest"`
	ApprovedAt time.Time `json:"approved_at"`
	ExpiresAt  time.Time `json:"expires_at"`
}

// Selection says which holds ApproveSelected approves. The zero Selection
// is every hold as it is.
type Selection struct {
	// Scopes, when not empty, are the holds to approve; each must hold
	// something.
	Scopes []string
	// Digest, when not empty, is the digest the person saw: with Scopes,
	// each of them must still have it; without, the holds that have it
	// are approved, and at least one must.
	Digest string
}

// approval is a pending approval with the paths it covers.
type approval struct {
	Approval
	paths map[string]struct{}
}

// covers reports whether every path of deleted was held when the approval
// was given.
func (a *approval) covers(deleted []string) bool {
	return a.firstOutside(deleted) == ""
}

// firstOutside is the first path of deleted the approval does not cover,
// or "".
func (a *approval) firstOutside(deleted []string) string {
	for _, p := range deleted {
		if _, ok := a.paths[p]; !ok {
			return p
		}
	}
	return ""
}

// Digest names a set of paths: "sha256:" and the hex SHA-256 of the
// sorted paths joined by newlines. Two holds have the same digest only
// when they hold the same paths.
func Digest(paths []string) string {
	sorted := slices.Clone(paths)
	sort.Strings(sorted)
	sum := sha256.Sum256([]byte(strings.Join(slices.Compact(sorted), "\n")))
	return "sha256:" + hex.EncodeToString(sum[:])
}

// CheckDigest reports whether d has the form Digest gives, for a clear
// error on a digest mistyped rather than one that changed.
func CheckDigest(d string) error {
	h, ok := strings.CutPrefix(d, "sha256:")
	if _, err := hex.DecodeString(h); !ok || err != nil || len(h) != 2*sha256.Size {
		return fmt.Errorf("digest %q: must be sha256: and 64 hex digits, as /v1/status shows it", d)
	}
	return nil
}

// Approve approves every current hold as it is; see ApproveSelected.
func (g *Guard) Approve() []Hold {
	holds, _, _ := g.ApproveSelected(Selection{})
	return holds
}

// ApproveSelected lets the selected holds through once: the next Check of
// each scope may delete the paths held now, or fewer of them, within the
// guard's approval TTL; anything more or other is held anew. It returns
// the holds approved and when their approvals expire. A selection that
// does not match what is held (ErrNotHeld, ErrChanged) approves nothing.
func (g *Guard) ApproveSelected(sel Selection) ([]Hold, time.Time, error) {
	g.mu.Lock()
	g.expireLocked()
	chosen, err := g.selectLocked(sel)
	if err != nil {
		g.mu.Unlock()
		return nil, time.Time{}, err
	}
	now := g.now().UTC()
	expires := now.Add(g.ttl)
	out := make([]Hold, 0, len(chosen))
	for _, h := range chosen {
		set := make(map[string]struct{}, len(h.all))
		for _, p := range h.all {
			set[p] = struct{}{}
		}
		g.approved[h.Scope] = &approval{paths: set, Approval: Approval{
			Scope: h.Scope, Count: h.Count, Digest: h.Digest, ApprovedAt: now, ExpiresAt: expires}}
		c := h.Hold
		c.Paths = slices.Clone(h.Paths)
		out = append(out, c)
		g.log.Warn("held deletion approved by a person: the next pass may delete these paths, no others",
			"scope", h.Scope, "count", h.Count, "digest", h.Digest, "expires", expires.Format(time.RFC3339))
	}
	g.mu.Unlock()
	if len(out) > 0 && g.onApprove != nil {
		g.onApprove()
	}
	return out, expires, nil
}

// selectLocked returns the holds sel names, sorted by scope, or an error
// and none.
func (g *Guard) selectLocked(sel Selection) ([]*heldPaths, error) {
	var out []*heldPaths
	if len(sel.Scopes) == 0 {
		for _, h := range g.holds {
			if sel.Digest == "" || h.Digest == sel.Digest {
				out = append(out, h)
			}
		}
		if sel.Digest != "" && len(out) == 0 {
			return nil, fmt.Errorf("%w: no hold has digest %s now (%s): look at `depsync status` again",
				ErrChanged, sel.Digest, g.describeLocked())
		}
	} else {
		seen := map[string]bool{}
		for _, s := range sel.Scopes {
			h, ok := g.holds[s]
			switch {
			case seen[s]:
				continue
			case !ok:
				return nil, fmt.Errorf("scope %q: %w (%s)", s, ErrNotHeld, g.describeLocked())
			case sel.Digest != "" && h.Digest != sel.Digest:
				return nil, fmt.Errorf("scope %q: %w: %d path(s) with digest %s now, not %s: look at `depsync status` again",
					s, ErrChanged, h.Count, h.Digest, sel.Digest)
			}
			seen[s] = true
			out = append(out, h)
		}
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Scope < out[j].Scope })
	return out, nil
}

// describeLocked says what is held, for an error: each scope with its
// count and digest.
func (g *Guard) describeLocked() string {
	holds := g.holdsLocked()
	if len(holds) == 0 {
		return "nothing is held"
	}
	parts := make([]string, len(holds))
	for i, h := range holds {
		parts[i] = fmt.Sprintf("%s: %d, %s", h.Scope, h.Count, h.Digest)
	}
	return "held: " + strings.Join(parts, "; ")
}

// Pending returns the approvals not used yet, sorted by scope.
func (g *Guard) Pending() []Approval {
	g.mu.Lock()
	defer g.mu.Unlock()
	g.expireLocked()
	out := make([]Approval, 0, len(g.approved))
	for _, a := range g.approved {
		out = append(out, a.Approval)
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Scope < out[j].Scope })
	return out
}

// expireLocked drops the approvals whose time is up: an approval given
// long ago says nothing of what a person would let go now. The holds stay.
func (g *Guard) expireLocked() {
	now := g.now()
	for scope, a := range g.approved {
		if !now.Before(a.ExpiresAt) {
			delete(g.approved, scope)
			g.log.Warn("approval expired unused: the deletion stays held; approve again if it is still meant",
				"scope", scope, "count", a.Count, "digest", a.Digest, "approved_at", a.ApprovedAt.Format(time.RFC3339))
		}
	}
}
