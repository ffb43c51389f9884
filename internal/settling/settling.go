// Package settling decides when deletions that are still arriving have
// stopped, so that they are judged as one. A folder emptied by a long
// `rm -rf` is seen in slices, one per look, and each slice alone looks
// small to the deletion guard; judged alone, the first slices would leave
// the node before the rest is held. The SVN manager (one group per
// top-level folder of a tenant) and the direct-mode reconciler (one group
// per peer) keep a State between looks, and put their deletions to the
// guard only once every group that has some has been quiet for a window.
package settling

import "time"

// Look is what one look found deleted in a group.
type Look struct {
	// Count is how many deletions the look found in the group.
	Count int
	// Complete says no deletion can come in the group any more: the
	// folder itself is gone, or no C-App is left. It holds nothing back.
	Complete bool
}

// Group is what is remembered of a group between looks.
type Group struct {
	Count int       // deletions found by the last look
	Grew  time.Time // when a look last found more than the one before it
}

// State is what is remembered of every group that had deletions at the
// last look. The zero value (nil) remembers nothing: every deletion is new.
type State map[string]Group

// Decide takes what a look at now found and returns the state to remember
// and when the deletions may be judged: zero when they may be judged now
// (no group is still growing), else the end of the quiet window of the
// group that grew last. A group grows when a look finds more deletions in
// it than the look before (a group not seen before grows). A group that a
// look finds without deletions is forgotten, so that deletions in it later
// are new again. Deletions of every group wait while one group is still
// growing: they are judged together, never a slice alone.
func Decide(prev State, looks map[string]Look, now time.Time, window time.Duration) (State, time.Time) {
	next := make(State, len(looks))
	var until time.Time
	for name, l := range looks {
		if l.Count <= 0 {
			continue
		}
		g, seen := prev[name]
		if !seen || l.Count > g.Count {
			g.Grew = now
		}
		g.Count = l.Count
		next[name] = g
		if end := g.Grew.Add(window); !l.Complete && now.Before(end) && end.After(until) {
			until = end
		}
	}
	return next, until
}
