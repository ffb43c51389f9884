package httpapi

import (
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/depsync/depsync/api"
	"github.com/depsync/depsync/config"
	"github.com/depsync/depsync/internal/guard"
)

// TestApproveSelection: which holds a POST /v1/approve names, from its
// query and its body; what is not clear is refused.
func TestApproveSelection(t *testing.T) {
	digest := "sha256:" + strings.Repeat("ab", 32)
	other := "sha256:" + strings.Repeat("cd", 32)
	for _, tc := range []struct {
		name, query, body string
		want              guard.Selection
		wantErr           string
	}{
		{"empty: every hold", "", "", guard.Selection{}, ""},
		{"query", "?scope=tenant+-1234&scope=tenant+3&digest=" + digest, "",
			guard.Selection{Scopes: []string{"tenant -1234", "tenant 3"}, Digest: digest}, ""},
		{"body", "", `{"scopes":["tenant 3"],"digest":"` + digest + `"}`,
			guard.Selection{Scopes: []string{"tenant 3"}, Digest: digest}, ""},
		{"both, the same digest", "?scope=tenant+3&digest=" + digest, `{"scopes":["tenant 4"],"digest":"` + digest + `"}`,
			guard.Selection{Scopes: []string{"tenant 3", "tenant 4"}, Digest: digest}, ""},
		{"two digests", "?digest=" + digest, `{"digest":"` + other + `"}`, guard.Selection{}, "two different digests"},
		{"bad digest", "?digest=md5:00", "", guard.Selection{}, "must be sha256:"},
		{"empty scope", "?scope=+", "", guard.Selection{}, "scope must not be empty"},
		{"not JSON", "", "yes", guard.Selection{}, "body must be empty or JSON"},
		{"unknown field", "", `{"scope":"tenant 3"}`, guard.Selection{}, "body must be empty or JSON"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			r := httptest.NewRequest(http.MethodPost, "/v1/approve"+tc.query, strings.NewReader(tc.body))
			sel, err := approveSelection(r)
			if tc.wantErr != "" {
				require.Error(t, err)
				assert.Contains(t, err.Error(), tc.wantErr)
				return
			}
			require.NoError(t, err)
			assert.Equal(t, tc.want, sel)
		})
	}
}

// fakeDeletions forces the guard's answers to an approval.
type fakeDeletions struct {
	approved []guard.Hold
	err      error
}

func (f fakeDeletions) Holds() []guard.Hold       { return nil }
func (f fakeDeletions) Pending() []guard.Approval { return nil }
func (f fakeDeletions) Summary() string           { return "" }
func (f fakeDeletions) ApproveSelected(guard.Selection) ([]guard.Hold, time.Time, error) {
	return f.approved, time.Time{}, f.err
}

// approvingNode counts the looks an approval asks for.
type approvingNode struct {
	Node
	approved *int
}

func (n approvingNode) Approved() { *n.approved++ }

// TestApproveReplies: the guard's answer is the reply's status code, and
// only an approval of something has the node look again.
func TestApproveReplies(t *testing.T) {
	cfg := &config.Config{Token: config.Secret("t0ken")}
	for _, tc := range []struct {
		del       fakeDeletions
		code      int
		lookAgain int
	}{
		{fakeDeletions{approved: []guard.Hold{{Scope: "tenant -1234"}}}, http.StatusOK, 1},
		{fakeDeletions{}, http.StatusOK, 0},
		{fakeDeletions{err: fmt.Errorf("tenant 3: %w", guard.ErrNotHeld)}, http.StatusNotFound, 0},
		{fakeDeletions{err: guard.ErrChanged}, http.StatusConflict, 0},
		{fakeDeletions{err: errors.New("disk on fire")}, http.StatusInternalServerError, 0},
	} {
		looks := 0
		h := New(Env{Config: cfg, Registry: prometheus.NewRegistry(), Deletions: tc.del,
			Node: approvingNode{approved: &looks}}).Handler()
		req := httptest.NewRequest(http.MethodPost, "/v1/approve", nil)
		req.Header.Set("Authorization", "Bearer t0ken")
		rec := httptest.NewRecorder()
		h.ServeHTTP(rec, req)
		assert.Equal(t, tc.code, rec.Code, rec.Body.String())
		assert.Equal(t, tc.lookAgain, looks, rec.Body.String())
		if rec.Code == http.StatusOK {
			var reply api.ApproveReply
			require.NoError(t, json.Unmarshal(rec.Body.Bytes(), &reply))
			assert.Len(t, reply.Approved, len(tc.del.approved))
			assert.Equal(t, len(tc.del.approved) > 0, reply.ExpiresAt != nil, "an expiry only with an approval")
		}

		req = httptest.NewRequest(http.MethodPost, "/v1/approve", nil)
		rec = httptest.NewRecorder()
		h.ServeHTTP(rec, req)
		assert.Equal(t, http.StatusUnauthorized, rec.Code, "without the token")
	}
}
