package syncer

import "sync"

// maxNoticeURL bounds the manager URL a notice may carry.
const maxNoticeURL = 2048

// urlRefusals remembers which refused notice URLs were logged, so that a
// sender that repeats one does not flood the log.
type urlRefusals struct {
	mu     sync.Mutex
	logged map[string]int
}

// maxRefusalsLogged bounds the URLs remembered: past it every refusal is
// only counted.
const maxRefusalsLogged = 64

// first records a refusal of u and reports whether it is the first one.
func (r *urlRefusals) first(u string) bool {
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.logged == nil {
		r.logged = map[string]int{}
	}
	n, seen := r.logged[u]
	if !seen && len(r.logged) >= maxRefusalsLogged {
		return false
	}
	r.logged[u] = n + 1
	return !seen
}
