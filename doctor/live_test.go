package doctor

import (
	"context"
	"encoding/json"
	"errors"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/depsync/depsync/internal/testcapp"
)

const testToken = "doctor-test-token-0123456789abcdef0123"

func addrs(ips ...string) func() ([]net.Addr, error) {
	return func() ([]net.Addr, error) {
		var out []net.Addr
		for _, ip := range ips {
			_, n, err := net.ParseCIDR(ip + "/24")
			if err != nil {
				return nil, err
			}
			n.IP = net.ParseIP(ip)
			out = append(out, n)
		}
		return out, nil
	}
}

func liveOpts(home string, ips ...string) LiveOptions {
	return LiveOptions{Node: "node1", Home: home, Role: "manager", CAppsDir: filepath.Join(home, "repository", "deployment", "server", "carbonapps"),
		InterfaceAddrs: addrs(ips...)}
}

func TestLiveFillsOnlineFacts(t *testing.T) {
	home := homes(t, "")[0]
	apps := filepath.Join(home, "repository", "deployment", "server", "carbonapps")
	require.NoError(t, os.MkdirAll(apps, 0o755))
	one := testcapp.Write(t, apps, "One_1.0.0.car", "One", "1.0.0")
	require.NoError(t, os.WriteFile(filepath.Join(apps, "broken.car"), []byte("not a zip"), 0o644))
	require.NoError(t, os.WriteFile(filepath.Join(apps, ".One_2.0.0.car.tmp"), []byte("in flight"), 0o644))

	f, err := Live(context.Background(), liveOpts(home, "127.0.0.1", "10.0.0.11"))
	require.NoError(t, err)
	assert.Equal(t, "node1", f.Node)
	assert.Equal(t, home, f.CarbonHome)
	assert.Equal(t, &DepsyncRole{Role: "manager"}, f.Depsync)
	assert.Equal(t, []string{"127.0.0.1", "10.0.0.11"}, f.LocalAddrs)
	require.Len(t, f.CApps, 1, "only valid C-Apps count: %v", f.CApps)
	assert.Len(t, f.CApps["One_1.0.0"], 64)
	assert.FileExists(t, filepath.Join(apps, ".One_2.0.0.car.tmp"), "reading facts changes nothing")
	assert.FileExists(t, one)

	// No carbonapps folder: known to deploy nothing, not unknown.
	require.NoError(t, os.RemoveAll(apps))
	f, err = Live(context.Background(), liveOpts(home))
	require.NoError(t, err)
	assert.NotNil(t, f.CApps)
	assert.Empty(t, f.CApps)
	assert.NotNil(t, f.LocalAddrs)

	_, err = Live(context.Background(), liveOpts(t.TempDir()))
	assert.ErrorIs(t, err, ErrNoConf)

	o := liveOpts(home)
	o.CApps = func() (map[string]string, error) { return nil, errors.New("boom") }
	_, err = Live(context.Background(), o)
	assert.ErrorContains(t, err, "boom")
}

// TestLiveMemberHostName: a localMemberHost that is a name counts as the
// host's own when it resolves to one of its addresses.
func TestLiveMemberHostName(t *testing.T) {
	hs := homes(t, "")
	edit(t, hs[0], "axis2/axis2.xml", `"localMemberHost">10.0.0.11<`, `"localMemberHost">node1.example<`)
	for _, c := range []struct {
		name    string
		resolve []string
		err     error
		own     bool
	}{
		{"resolves here", []string{"10.0.0.11"}, nil, true},
		{"resolves elsewhere", []string{"10.9.9.9"}, nil, false},
		{"does not resolve", nil, errors.New("no such host"), false},
	} {
		t.Run(c.name, func(t *testing.T) {
			o := liveOpts(hs[0], "10.0.0.11")
			o.LookupHost = func(ctx context.Context, h string) ([]string, error) {
				assert.Equal(t, "node1.example", h)
				_, ok := ctx.Deadline()
				assert.True(t, ok, "the lookup has a deadline")
				return c.resolve, c.err
			}
			f, err := Live(context.Background(), o)
			require.NoError(t, err)
			assert.Equal(t, c.own, strings.Contains(strings.Join(f.LocalAddrs, " "), "node1.example"))
		})
	}
}

// TestDepsyncAndCarbonOnOneNode: Carbon's committing block and depsync's
// manager on the same node are one committing node; on two nodes, two.
func TestDepsyncAndCarbonOnOneNode(t *testing.T) {
	fs := readBoth(t, homes(t, ""))
	fs[0].Depsync = &DepsyncRole{Role: "manager"}
	fs[1].Depsync = &DepsyncRole{Role: "worker"}
	r, err := Run(fs)
	require.NoError(t, err)
	got := byID(r)[IDDeploymentSyncRoles]
	assert.Equal(t, OK, got.Status, got.Detail)
	assert.Equal(t, "carbon:manager depsync:manager", got.Values["node1"])
}

func TestRunOnline(t *testing.T) {
	fs := readBoth(t, homes(t, ""))
	r, err := RunOnline(fs, nil)
	require.NoError(t, err)
	assert.Equal(t, IDNodesReachable, r.Checks[0].ID)
	assert.Equal(t, OK, r.Checks[0].Status)
	assert.False(t, r.Failed())

	r, err = RunOnline(fs[:1], []Unreachable{{Node: "http://127.0.0.1:1", Err: "connection refused"}})
	require.NoError(t, err)
	assert.Equal(t, []string{"node1", "http://127.0.0.1:1"}, r.Nodes)
	assert.Equal(t, []string{IDNodesReachable}, failing(r))
	assert.Equal(t, map[string]string{"node1": "answered", "http://127.0.0.1:1": "unreachable"}, r.Checks[0].Values)
	assert.Contains(t, r.Checks[0].Detail, "connection refused")
	assert.Contains(t, r.Checks[0].Fix, "http://127.0.0.1:1")

	_, err = RunOnline(fs[:1], []Unreachable{{Node: "node1", Err: "x"}})
	assert.Error(t, err, "names stay unique")
}

func TestHandler(t *testing.T) {
	home := homes(t, "")[0]
	// Distinct secrets, so that finding one in the reply cannot be chance.
	edit(t, home, "carbon.xml", "<SvnPassword>password<", "<SvnPassword>svn-secret-1<")
	edit(t, home, "datasources/master-datasources.xml", ">password</password>", ">um-secret-2</password>")
	edit(t, home, "datasources/master-datasources.xml", "<password>wso2carbon<", "<password>carbon-secret-3<")
	srv := httptest.NewServer(Handler(testToken, liveOpts(home, "10.0.0.11"), nil))
	defer srv.Close()

	get := func(method, token string) (*http.Response, string) {
		req, err := http.NewRequest(method, srv.URL+Path, nil)
		require.NoError(t, err)
		if token != "" {
			req.Header.Set("Authorization", "Bearer "+token)
		}
		resp, err := http.DefaultClient.Do(req)
		require.NoError(t, err)
		defer resp.Body.Close()
		b, err := io.ReadAll(resp.Body)
		require.NoError(t, err)
		return resp, string(b)
	}

	for _, tok := range []string{"", "wrong-token-0123456789abcdef0123456789"} {
		resp, body := get(http.MethodGet, tok)
		assert.Equal(t, http.StatusUnauthorized, resp.StatusCode)
		assert.NotContains(t, body, "10.0.0.11", "no fact without the token")
	}
	resp, _ := get(http.MethodPost, testToken)
	assert.Equal(t, http.StatusMethodNotAllowed, resp.StatusCode)

	resp, body := get(http.MethodGet, testToken)
	require.Equal(t, http.StatusOK, resp.StatusCode, body)
	for _, secret := range []string{"svn-secret-1", "um-secret-2", "carbon-secret-3", "secret-reg", "secret-an", testToken} {
		assert.NotContains(t, body, secret)
	}
	assert.NotContains(t, strings.ToLower(body), "password")
	var f Facts
	require.NoError(t, json.Unmarshal([]byte(body), &f))
	assert.Equal(t, "10.0.0.11", f.Clustering.LocalHost)
	assert.Equal(t, []string{"10.0.0.11"}, f.LocalAddrs)
	assert.NotNil(t, f.CApps, "an empty carbonapps is known, and stays so on the wire")
	assert.Equal(t, "manager", f.Depsync.Role)

	// A node whose carbon.home has no conf folder says so.
	bad := httptest.NewServer(Handler(testToken, liveOpts(t.TempDir()), nil))
	defer bad.Close()
	req, _ := http.NewRequest(http.MethodGet, bad.URL+Path, nil)
	req.Header.Set("Authorization", "Bearer "+testToken)
	resp, err := http.DefaultClient.Do(req)
	require.NoError(t, err)
	b, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	assert.Equal(t, http.StatusInternalServerError, resp.StatusCode)
	assert.Contains(t, string(b), "carbon.home")
}
