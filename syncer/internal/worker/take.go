package worker

import "time"

// sighting is a revision the poll saw, and when it first saw it.
type sighting struct {
	rev int64
	at  time.Time
}

// decideTake says which revision a poll takes (0: none yet) when the
// folder's last changed revision is changed, the working copy is at have
// and the manager notified up to notified, with what the last polls saw
// (seen); it returns what they have seen now. A revision the manager
// notified is taken at once. One it did not notify (the notice was lost,
// or the manager found a C-App rewritten while it was being committed and
// holds the notice back until the whole one follows) is taken once it has
// been the newest for settle: by then a half-written C-App has been
// replaced by a newer revision; meanwhile a notified one newer than the
// working copy is.
func decideTake(changed, have, notified int64, seen sighting, now time.Time, settle time.Duration) (int64, sighting) {
	if changed <= have {
		return 0, seen
	}
	if notified >= changed {
		return changed, seen
	}
	if changed != seen.rev {
		seen = sighting{rev: changed, at: now}
	}
	switch {
	case now.Sub(seen.at) >= settle:
		return changed, seen
	case notified > have:
		return notified, seen
	}
	return 0, seen
}
