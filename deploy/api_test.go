package deploy

import (
	"bufio"
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/depsync/depsync/api"
	"github.com/depsync/depsync/config"
	"github.com/depsync/depsync/internal/httpauth"
	"github.com/depsync/depsync/internal/httpserver"
	"github.com/depsync/depsync/internal/sfv"
	"github.com/depsync/depsync/internal/testcapp"
)

const testToken = "test-token-0123456789"

type testNode struct {
	dir   string
	store *Store
	srv   *httptest.Server
	url   string
}

type nodeOpt func(*APIOptions)

func newTestNode(t testing.TB, role string, opts ...nodeOpt) *testNode {
	t.Helper()
	dir := filepath.Join(t.TempDir(), "carbonapps")
	s, err := NewStore(dir, 256<<10)
	require.NoError(t, err)
	o := APIOptions{Store: s, Role: role, Token: testToken,
		ManagerURL: func() string { return "http://manager.example:9780" }}
	for _, f := range opts {
		f(&o)
	}
	mux := http.NewServeMux()
	api := NewAPI(o)
	mux.Handle("/v1/capps", api)
	mux.Handle("/v1/capps/", api)
	mux.HandleFunc("/healthz", func(w http.ResponseWriter, r *http.Request) { w.WriteHeader(http.StatusOK) })
	srv := httptest.NewServer(httpserver.New("", mux, config.TLS{}).Handler)
	t.Cleanup(srv.Close)
	return &testNode{dir: dir, store: s, srv: srv, url: srv.URL}
}

// rawRequest sends a request line exactly as given (no client-side
// cleaning or escaping) and returns the status code and body.
func rawRequest(t *testing.T, base, method, path string, header map[string]string, body []byte) (int, string) {
	t.Helper()
	conn, err := net.Dial("tcp", strings.TrimPrefix(base, "http://"))
	require.NoError(t, err)
	defer conn.Close()
	var b bytes.Buffer
	fmt.Fprintf(&b, "%s %s HTTP/1.1\r\nHost: x\r\nConnection: close\r\nContent-Length: %d\r\n", method, path, len(body))
	for k, v := range header {
		fmt.Fprintf(&b, "%s: %s\r\n", k, v)
	}
	b.WriteString("\r\n")
	b.Write(body)
	_, err = conn.Write(b.Bytes())
	require.NoError(t, err)
	resp, err := http.ReadResponse(bufio.NewReader(conn), nil)
	require.NoError(t, err)
	defer resp.Body.Close()
	data, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, string(data)
}

func TestAPIPut(t *testing.T) {
	app := testcapp.Build(t, "App", "1.0.0")
	app2 := testcapp.Build(t, "App", "1.0.0", testcapp.Artifacts("api_b"))
	other := testcapp.Build(t, "Other", "2.0.0")
	big := testcapp.Build(t, "Big", "1.0.0", testcapp.Pad(300<<10))
	auth := map[string]string{"Authorization": "Bearer " + testToken}
	with := func(h map[string]string, kv ...string) map[string]string {
		out := map[string]string{}
		for k, v := range h {
			out[k] = v
		}
		for i := 0; i < len(kv); i += 2 {
			out[kv[i]] = kv[i+1]
		}
		return out
	}
	digest := func(b []byte) string { return sfv.ContentDigest(sum(b)) }

	type step struct {
		method, path string
		header       map[string]string
		body         []byte
		code         int
		status       string // PUT result status
		errLike      string // substring of the JSON error
	}
	cases := []struct {
		name  string
		role  string
		setup map[string][]byte // files already in the directory
		steps []step
		after []string // the directory afterwards
	}{
		{name: "no token", steps: []step{{"PUT", "/v1/capps/App_1.0.0.car", map[string]string{"Content-Digest": digest(app)}, app, 401, "", "bearer token"}}},
		{name: "wrong token", steps: []step{{"PUT", "/v1/capps/App_1.0.0.car", map[string]string{"Authorization": "Bearer nope", "Content-Digest": digest(app)}, app, 401, "", "bearer token"}}},
		{name: "list without token", steps: []step{{"GET", "/v1/capps", nil, nil, 401, "", "bearer"}}},
		{name: "delete without token", setup: map[string][]byte{"App_1.0.0.car": app}, steps: []step{{"DELETE", "/v1/capps/App_1.0.0.car", nil, nil, 401, "", "bearer"}}, after: []string{"App_1.0.0.car"}},
		{name: "created then unchanged", steps: []step{
			{"PUT", "/v1/capps/App_1.0.0.car", with(auth, "Content-Digest", digest(app)), app, 201, StatusCreated, ""},
			{"PUT", "/v1/capps/App_1.0.0.car", with(auth, "Content-Digest", digest(app)), app, 200, StatusUnchanged, ""},
			{"PUT", "/v1/capps/App_1.0.0.car", with(auth, "Content-Digest", digest(app2)), app2, 200, StatusUpdated, ""},
		}, after: []string{"App_1.0.0.car"}},
		{name: "digest among others", steps: []step{
			{"PUT", "/v1/capps/App_1.0.0.car", with(auth, "Content-Digest", "sha-512=:AAAA:, "+digest(app)), app, 201, StatusCreated, ""},
		}, after: []string{"App_1.0.0.car"}},
		{name: "no digest", steps: []step{{"PUT", "/v1/capps/App_1.0.0.car", auth, app, 400, "", "Content-Digest"}}},
		{name: "malformed digest", steps: []step{{"PUT", "/v1/capps/App_1.0.0.car", with(auth, "Content-Digest", "sha-256=abc"), app, 400, "", "Content-Digest"}}},
		{name: "digest mismatch", steps: []step{{"PUT", "/v1/capps/App_1.0.0.car", with(auth, "Content-Digest", digest(other)), app, 400, "", "digest mismatch"}}},
		{name: "invalid C-App", steps: []step{{"PUT", "/v1/capps/App_1.0.0.car", with(auth, "Content-Digest", digest([]byte("junk"))), []byte("junk"), 422, "", "not a valid C-App"}}},
		{name: "too large", steps: []step{{"PUT", "/v1/capps/Big_1.0.0.car", with(auth, "Content-Digest", digest(big)), big, 413, "", "too large"}}},
		{name: "bad name dotdot", steps: []step{{"PUT", "/v1/capps/../x.car", with(auth, "Content-Digest", digest(app)), app, 400, "", "bad C-App file name"}}},
		{name: "bad name encoded dotdot", steps: []step{{"PUT", "/v1/capps/%2e%2e%2fx.car", with(auth, "Content-Digest", digest(app)), app, 400, "", "bad C-App file name"}}},
		{name: "bad name upper encoded", steps: []step{{"PUT", "/v1/capps/%2E%2E%2Fx.car", with(auth, "Content-Digest", digest(app)), app, 400, "", "bad C-App file name"}}},
		{name: "bad name subdir", steps: []step{{"PUT", "/v1/capps/a/b.car", with(auth, "Content-Digest", digest(app)), app, 400, "", "bad C-App file name"}}},
		{name: "bad name encoded slash", steps: []step{{"PUT", "/v1/capps/a%2fb.car", with(auth, "Content-Digest", digest(app)), app, 400, "", "bad C-App file name"}}},
		{name: "bad name NUL", steps: []step{{"PUT", "/v1/capps/x.car%00", with(auth, "Content-Digest", digest(app)), app, 400, "", "bad C-App file name"}}},
		{name: "bad name encoded letter", steps: []step{{"PUT", "/v1/capps/%41pp.car", with(auth, "Content-Digest", digest(app)), app, 400, "", "bad C-App file name"}}},
		{name: "bad name dot file", steps: []step{{"PUT", "/v1/capps/.x.car", with(auth, "Content-Digest", digest(app)), app, 400, "", "bad C-App file name"}}},
		{name: "bad name not car", steps: []step{{"PUT", "/v1/capps/x.zip", with(auth, "Content-Digest", digest(app)), app, 400, "", "bad C-App file name"}}},
		{name: "bad name too long", steps: []step{{"PUT", "/v1/capps/" + strings.Repeat("a", 300) + ".car", with(auth, "Content-Digest", digest(app)), app, 400, "", "bad C-App file name"}}},
		{name: "bad name delete", steps: []step{{"DELETE", "/v1/capps/..%2fx.car", auth, nil, 400, "", "bad C-App file name"}}},
		{name: "duplicate id", setup: map[string][]byte{"old.car": app}, steps: []step{
			{"PUT", "/v1/capps/App_1.0.0.car", with(auth, "Content-Digest", digest(app2)), app2, 409, "", "old.car holds C-App App_1.0.0"},
		}, after: []string{"old.car"}},
		{name: "duplicate id replaced", setup: map[string][]byte{"old.car": app}, steps: []step{
			{"PUT", "/v1/capps/App_1.0.0.car?replace=true", with(auth, "Content-Digest", digest(app2)), app2, 201, StatusCreated, ""},
		}, after: []string{"App_1.0.0.car"}},
		{name: "worker refuses", role: config.RoleWorker, steps: []step{
			{"PUT", "/v1/capps/App_1.0.0.car", with(auth, "Content-Digest", digest(app)), app, 409, "", "this node is a worker"},
		}},
		{name: "worker refuses delete", role: config.RoleWorker, setup: map[string][]byte{"App_1.0.0.car": app}, steps: []step{
			{"DELETE", "/v1/capps/App_1.0.0.car", auth, nil, 409, "", "this node is a worker"},
		}, after: []string{"App_1.0.0.car"}},
		{name: "worker accepts reconciler", role: config.RoleWorker, steps: []step{
			{"PUT", "/v1/capps/App_1.0.0.car", with(auth, "Content-Digest", digest(app), api.ReconcilerHeader, "mgr"), app, 201, StatusCreated, ""},
			{"PUT", "/v1/capps/Other_2.0.0.car?force=true", with(auth, "Content-Digest", digest(other)), other, 201, StatusCreated, ""},
			{"DELETE", "/v1/capps/Other_2.0.0.car", with(auth, api.ReconcilerHeader, "mgr"), nil, 204, "", ""},
		}, after: []string{"App_1.0.0.car"}},
		{name: "delete", setup: map[string][]byte{"App_1.0.0.car": app}, steps: []step{
			{"DELETE", "/v1/capps/App_1.0.0.car", auth, nil, 204, "", ""},
			{"DELETE", "/v1/capps/App_1.0.0.car", auth, nil, 404, "", "no such C-App"},
		}},
		{name: "method not allowed", steps: []step{{"POST", "/v1/capps/App_1.0.0.car", auth, app, 405, "", ""}}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			role := c.role
			if role == "" {
				role = config.RoleManager
			}
			n := newTestNode(t, role)
			for f, b := range c.setup {
				require.NoError(t, os.WriteFile(filepath.Join(n.dir, f), b, 0o644))
			}
			for i, s := range c.steps {
				code, body := rawRequest(t, n.url, s.method, s.path, s.header, s.body)
				require.Equal(t, s.code, code, "step %d: %s", i, body)
				if s.status != "" {
					var res PutResult
					require.NoError(t, json.Unmarshal([]byte(body), &res), body)
					require.Equal(t, s.status, res.Status)
					require.Len(t, res.SHA256, 64)
					require.NotEmpty(t, res.ID)
				}
				if s.errLike != "" {
					var e api.Error
					require.NoError(t, json.Unmarshal([]byte(body), &e), body)
					require.Contains(t, e.Error, s.errLike)
					if code == http.StatusConflict && strings.Contains(s.errLike, "worker") {
						require.Equal(t, "http://manager.example:9780", e.Manager)
					}
				}
			}
			after := c.after
			if after == nil {
				after = []string{}
			}
			got := dirNames(t, n.dir)
			if got == nil {
				got = []string{}
			}
			require.Equal(t, after, got, "nothing else may be left behind")
			// Nothing escaped the directory either.
			require.Equal(t, []string{"carbonapps"}, dirNames(t, filepath.Dir(n.dir)))
		})
	}
}

func TestAPIList(t *testing.T) {
	n := newTestNode(t, config.RoleWorker)
	testcapp.Write(t, n.dir, "B_1.car", "B", "1")
	testcapp.Write(t, n.dir, "A_2.car", "A", "2")
	req, _ := http.NewRequest("GET", n.url+"/v1/capps", nil)
	httpauth.Set(req, testToken)
	resp, err := http.DefaultClient.Do(req)
	require.NoError(t, err)
	defer resp.Body.Close()
	require.Equal(t, 200, resp.StatusCode)
	var raw []map[string]any
	require.NoError(t, json.NewDecoder(resp.Body).Decode(&raw))
	require.Len(t, raw, 2)
	require.Equal(t, "A_2.car", raw[0]["file"])
	for _, k := range []string{"file", "id", "name", "version", "size", "sha256", "mtime"} {
		require.Contains(t, raw[0], k)
	}
	require.Equal(t, "A_2", raw[0]["id"])
}

func TestAPISlowClientIsCut(t *testing.T) {
	n := newTestNode(t, config.RoleManager, func(o *APIOptions) { o.BodyStall = 300 * time.Millisecond })
	app := testcapp.Build(t, "App", "1.0.0")
	conn, err := net.Dial("tcp", strings.TrimPrefix(n.url, "http://"))
	require.NoError(t, err)
	defer conn.Close()
	fmt.Fprintf(conn, "PUT /v1/capps/App_1.0.0.car HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer %s\r\nContent-Digest: %s\r\nContent-Length: %d\r\n\r\n",
		testToken, sfv.ContentDigest(sum(app)), len(app))
	_, err = conn.Write(app[:100]) // then nothing
	require.NoError(t, err)
	start := time.Now()
	_ = conn.SetReadDeadline(time.Now().Add(10 * time.Second))
	resp, err := http.ReadResponse(bufio.NewReader(conn), nil)
	if err == nil {
		resp.Body.Close()
		require.Equal(t, http.StatusRequestTimeout, resp.StatusCode)
	}
	require.Less(t, time.Since(start), 5*time.Second)
	waitFor(t, func() bool { return len(dirNames(t, n.dir)) == 0 })
}
