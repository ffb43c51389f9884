package peer

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

// Manager is what a worker knows of its manager: its URL and mode. It starts
// unknown (after a restart nothing is known) and is learnt from notices
// and from the manager's /v1/status. While it is not "svn" the worker
// keeps the C-Apps the repository does not hold: the manager may have
// pushed them in direct mode, and it is the one source of truth.
type Manager struct {
	client *http.Client
	token  string
	log    *slog.Logger

	mu sync.Mutex
	// url is the manager's base URL as its last notice gave it.
	url    string
	mode   string // "", api.ModeSVN or api.ModeDirect
	source string // "notice" or "status"
	at     time.Time
	// held is how many deletions the manager held, as its last notice
	// said: what a worker that cannot ask goes by.
	held int
}

// NoticeHeld is how many deletions a notice says its manager holds, -1
// when it says it cannot tell yet.
func NoticeHeld(n api.Notice) int {
	if n.HoldsUnknown {
		return -1
	}
	return n.DeletionsHeld
}

// Noticed records the URL of the manager a notice came from (checked
// against the peers) and the node it names.
func (s *Manager) Noticed(url, node string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.url != url {
		s.log.Info("manager known", "manager", url, "node", node)
	}
	s.url = url
}

// URL is the base URL of the manager that last sent a notice, "" when
// none has.
func (s *Manager) URL() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.url
}

// SetHeld records the deletions a notice says the manager holds.
func (s *Manager) SetHeld(n int) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.held = n
}

// Held returns what the last notice said the manager holds.
func (s *Manager) Held() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.held
}

// New is a worker's view of a manager it has not heard of yet: it asks
// through client with token, and logs to log.
func New(client *http.Client, token string, log *slog.Logger) *Manager {
	return &Manager{client: client, token: token, log: log}
}

// Set records the manager's mode; an empty mode (a notice of an older
// manager) says nothing and changes nothing.
func (s *Manager) Set(mode, source string) {
	if mode != api.ModeSVN && mode != api.ModeDirect {
		return
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.mode != mode {
		s.log.Info("manager's mode known", "mode", mode, "from", source)
	}
	s.mode, s.source, s.at = mode, source, time.Now()
}

// Mode returns the manager's mode as last learnt, or "" when unknown.
func (s *Manager) Mode() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.mode
}

// Last is the mode as last learnt and the deletions held as the last
// notice said.
func (s *Manager) Last() (mode string, held int) { return s.Mode(), s.Held() }

// askTimeout bounds one question to the manager.
const askTimeout = 5 * time.Second

// Ask fetches the mode from the /v1/status of the first candidate that
// answers as a manager, records it, and returns it with that manager's
// URL; "" when no candidate answered so. held is how many deletions it
// holds, -1 when it cannot tell yet for the tenant (restarted, it has not
// looked at the tenant's files since).
func (s *Manager) Ask(ctx context.Context, candidates []string, tenant int) (mode, from string, held int) {
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
		if st.Role != "manager" || (st.Mode != api.ModeSVN && st.Mode != api.ModeDirect) {
			continue
		}
		s.Set(st.Mode, "status")
		if st.HoldsKnown != nil && !*st.HoldsKnown {
			return st.Mode, u, -1
		}
		return st.Mode, u, len(st.HeldDeletions)
	}
	return "", "", 0
}

// CApps returns the file names of the C-Apps the manager at base holds
// (GET /v1/capps).
func (s *Manager) CApps(ctx context.Context, base string) (map[string]bool, error) {
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

func (s *Manager) getJSON(ctx context.Context, u string, v any) error {
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
