package syncer

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"sync"
	"time"

	"github.com/depsync/depsync/api"
	"github.com/depsync/depsync/internal/httpauth"
)

// managerState is what a worker knows of its manager's mode. It starts
// unknown (after a restart nothing is known) and is learnt from notices
// and from the manager's /v1/status. While it is not "svn" the worker
// keeps the C-Apps the repository does not hold: the manager may have
// pushed them in direct mode, and it is the one source of truth.
type managerState struct {
	peers  []string
	client *http.Client
	token  string
	m      *metrics
	log    *slog.Logger

	mu     sync.Mutex
	mode   string // "", ModeSVN or ModeDirect
	source string // "notice" or "status"
	at     time.Time
	// held is how many deletions the manager held, as its last notice
	// said: what a worker that cannot ask goes by.
	held int
}

// noticeHeld is how many deletions a notice says its manager holds, -1
// when it says it cannot tell yet.
func noticeHeld(n Notice) int {
	if n.HoldsUnknown {
		return -1
	}
	return n.DeletionsHeld
}

// setHeld records the deletions a notice says the manager holds.
func (s *managerState) setHeld(n int) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.held = n
}

// heldByNotice returns what the last notice said the manager holds.
func (s *managerState) heldByNotice() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.held
}

func (s *managerState) init(peers []string, client *http.Client, token string, m *metrics, log *slog.Logger) {
	s.peers, s.client, s.token, s.m, s.log = peers, client, token, m, log
}

// set records the manager's mode; an empty mode (a notice of an older
// manager) says nothing and changes nothing.
func (s *managerState) set(mode, source string) {
	if mode != ModeSVN && mode != ModeDirect {
		return
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.mode != mode {
		s.log.Info("manager's mode known", "mode", mode, "from", source)
	}
	s.mode, s.source, s.at = mode, source, time.Now()
}

// get returns the manager's mode as last learnt, or "" when unknown.
func (s *managerState) get() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.mode
}

// askTimeout bounds one question to the manager.
const askTimeout = 5 * time.Second

// ask fetches the mode from the /v1/status of the first candidate that
// answers as a manager, records it, and returns it with that manager's
// URL; "" when no candidate answered so. held is how many deletions it
// holds, -1 when it cannot tell yet for the tenant (restarted, it has not
// looked at the tenant's files since).
func (s *managerState) ask(ctx context.Context, candidates []string, tenant int) (mode, from string, held int) {
	for _, u := range candidates {
		var st api.Status
		err := s.getJSON(ctx, fmt.Sprintf("%s/v1/status?tenant=%d", u, tenant), &st)
		var se *statusError
		if errors.As(err, &se) && se.code == http.StatusNotFound {
			// A manager that does not sync the tenant: its whole status.
			err = s.getJSON(ctx, u+"/v1/status", &st)
		}
		if err != nil {
			s.log.Debug("manager's mode unknown", "peer", u, "error", err)
			continue
		}
		if st.Role != "manager" || (st.Mode != ModeSVN && st.Mode != ModeDirect) {
			continue
		}
		s.set(st.Mode, "status")
		if st.HoldsKnown != nil && !*st.HoldsKnown {
			return st.Mode, u, -1
		}
		return st.Mode, u, len(st.HeldDeletions)
	}
	return "", "", 0
}

// capps returns the file names of the C-Apps the manager at base holds
// (GET /v1/capps).
func (s *managerState) capps(ctx context.Context, base string) (map[string]bool, error) {
	var list []api.Entry
	if err := s.getJSON(ctx, base+"/v1/capps", &list); err != nil {
		return nil, err
	}
	out := make(map[string]bool, len(list))
	for _, e := range list {
		out[e.File] = true
	}
	return out, nil
}

func (s *managerState) getJSON(ctx context.Context, u string, v any) error {
	ctx, cancel := context.WithTimeout(ctx, askTimeout)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, u, nil)
	if err != nil {
		return err
	}
	httpauth.Set(req, s.token)
	resp, err := s.client.Do(req)
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(io.LimitReader(resp.Body, 8<<20))
	if err != nil {
		return err
	}
	if resp.StatusCode != http.StatusOK {
		return &statusError{code: resp.StatusCode, status: resp.Status}
	}
	return json.Unmarshal(body, v)
}

// statusError is an answer other than 200 OK.
type statusError struct {
	code   int
	status string
}

func (e *statusError) Error() string { return e.status }

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
