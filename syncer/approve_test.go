package syncer

import (
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/depsync/depsync/api"
	"github.com/depsync/depsync/config"
	"github.com/depsync/depsync/internal/guard"
)

// TestApproveEndpointSelects: POST /v1/approve takes the scopes and the
// digest a person saw, in its query or a JSON body; a scope holding
// nothing, a digest that changed or a bad body approves nothing, with a
// clear error; what is approved shows in /v1/status until it is used.
func TestApproveEndpointSelects(t *testing.T) {
	five := []string{"carbonapps/A.car", "carbonapps/B.car", "carbonapps/C.car", "carbonapps/D.car", "carbonapps/E.car"}
	tenant := guard.Pass{Scope: "tenant -1234", Deleted: five[:4], Total: 5, Reason: guard.ReasonDirGone}
	peer := guard.Pass{Scope: "peer https://node2:9780", Deleted: five, Total: 5, Reason: guard.ReasonEmptied}
	q := func(kv ...string) string {
		v := url.Values{}
		for i := 0; i < len(kv); i += 2 {
			v.Add(kv[i], kv[i+1])
		}
		return "?" + v.Encode()
	}
	tests := []struct {
		name, query, body string
		code              int
		want              []string // scopes approved
		msg               string
	}{
		{"empty: everything as shown", "", "", http.StatusOK, []string{peer.Scope, tenant.Scope}, ""},
		{"empty JSON body", "", "{}", http.StatusOK, []string{peer.Scope, tenant.Scope}, ""},
		{"scope in the query", q("scope", tenant.Scope), "", http.StatusOK, []string{tenant.Scope}, ""},
		{"scope and digest in the query", q("scope", peer.Scope, "digest", guard.Digest(five)), "", http.StatusOK, []string{peer.Scope}, ""},
		{"digest alone", q("digest", guard.Digest(five[:4])), "", http.StatusOK, []string{tenant.Scope}, ""},
		{"JSON body", "", `{"scopes":["tenant -1234"],"digest":"` + guard.Digest(five[:4]) + `"}`, http.StatusOK, []string{tenant.Scope}, ""},
		{"changed", q("scope", tenant.Scope, "digest", guard.Digest(five)), "", http.StatusConflict, nil, "changed"},
		{"not held", "", `{"scopes":["tenant 7"]}`, http.StatusNotFound, nil, `scope "tenant 7": nothing held there (held: peer https://node2:9780: 5, sha256:`},
		{"bad digest", q("digest", "sha256:nope"), "", http.StatusBadRequest, nil, "64 hex digits"},
		{"bad body", "", `{"scope":"tenant -1234"}`, http.StatusBadRequest, nil, "body must be empty or JSON"},
		{"empty scope", q("scope", " "), "", http.StatusBadRequest, nil, "scope must not be empty"},
		{"two digests", q("digest", guard.Digest(five)), `{"digest":"` + guard.Digest(five[:4]) + `"}`, http.StatusBadRequest, nil, "two different digests"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c := testConfig(t, config.RoleManager)
			c.Token = testToken
			d := newTestDaemon(t, c, &fakeSVN{})
			g := d.Guard()
			require.False(t, g.Check(tenant))
			require.False(t, g.Check(peer))
			req := httptest.NewRequest(http.MethodPost, "/v1/approve"+tt.query, strings.NewReader(tt.body))
			req.Header.Set("Authorization", "Bearer "+testToken)
			rec := httptest.NewRecorder()
			d.Handler().ServeHTTP(rec, req)
			require.Equal(t, tt.code, rec.Code, rec.Body.String())
			pending := d.Status().PendingApprovals
			if tt.code != http.StatusOK {
				var e api.Error
				require.NoError(t, json.Unmarshal(rec.Body.Bytes(), &e))
				assert.Contains(t, e.Error, tt.msg)
				assert.Empty(t, pending, "nothing approved")
				assert.Len(t, d.tenants.list[0].Wake(), 0, "nobody woken")
				return
			}
			var reply ApproveReply
			require.NoError(t, json.Unmarshal(rec.Body.Bytes(), &reply))
			require.NotNil(t, reply.ExpiresAt)
			var got, shown []string
			for _, h := range reply.Approved {
				got = append(got, h.Scope)
				assert.Equal(t, guard.Digest(h.Paths), h.Digest)
			}
			for _, a := range pending {
				shown = append(shown, a.Scope)
				assert.Equal(t, *reply.ExpiresAt, a.ExpiresAt)
			}
			assert.Equal(t, tt.want, got)
			assert.Equal(t, tt.want, shown, "/v1/status shows the pending approvals")
		})
	}
}
