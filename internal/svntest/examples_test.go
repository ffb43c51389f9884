package svntest

import (
	"crypto/tls"
	"crypto/x509"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// TestExamples starts svnserve and Apache with the configuration files
// shipped in examples/svn, as the README tells operators to install them,
// and checks that they do what it says: the manager's user commits, a
// worker's user reads but may not commit, a user the authz file does not
// name and an anonymous client get nothing.
func TestExamples(t *testing.T) {
	for _, kind := range []Kind{SVNServe, HTTP} {
		t.Run(string(kind), func(t *testing.T) {
			t.Parallel()
			s := NewExample(t, kind)

			// The manager commits.
			wc := filepath.Join(t.TempDir(), "wc")
			s.SVN(t, "checkout", s.URL, wc)
			require.NoError(t, os.WriteFile(filepath.Join(wc, "HelloWorld_1.0.0.car"), []byte("capp"), 0o644))
			s.SVN(t, "add", filepath.Join(wc, "HelloWorld_1.0.0.car"))
			s.SVN(t, "commit", "-m", "manager", wc)

			// A worker reads...
			out, err := s.TrySVNAs(ExampleWorker, s.WorkerPassword, "cat", s.URL+"/HelloWorld_1.0.0.car")
			require.NoError(t, err, out)
			assert.Equal(t, "capp", out)
			wwc := filepath.Join(t.TempDir(), "worker-wc")
			out, err = s.TrySVNAs(ExampleWorker, s.WorkerPassword, "checkout", s.URL, wwc)
			require.NoError(t, err, out)

			// ...but its commit is refused, and nothing changes.
			require.NoError(t, os.WriteFile(filepath.Join(wwc, "HelloWorld_1.0.0.car"), []byte("worker"), 0o644))
			out, err = s.TrySVNAs(ExampleWorker, s.WorkerPassword, "commit", "-m", "worker", wwc)
			require.Error(t, err, "a worker's commit must be refused:\n%s", out)
			assert.Regexp(t, refused(kind), out)
			out, err = s.TrySVNAs(ExampleWorker, s.WorkerPassword, "mkdir", "-m", "worker", s.URL+"/-1234")
			require.Error(t, err, "a worker's mkdir must be refused:\n%s", out)
			assert.Regexp(t, refused(kind), out)
			assert.Equal(t, "capp", s.SVN(t, "cat", s.URL+"/HelloWorld_1.0.0.car"))

			// A user the authz file does not name, and nobody at all, get nothing.
			for _, who := range [][2]string{{s.Stranger, s.StrangerPassword}, {"", ""}, {ExampleWorker, "wrong"}} {
				out, err = s.TrySVNAs(who[0], who[1], "ls", s.URL)
				require.Error(t, err, "%q must not read:\n%s", who[0], out)
				assert.NotContains(t, out, "HelloWorld_1.0.0.car")
			}
			if kind == HTTP {
				assert.Equal(t, http.StatusUnauthorized, httpStatus(t, s, s.URL+"/HelloWorld_1.0.0.car", "", ""))
				assert.Equal(t, http.StatusForbidden, httpStatus(t, s, s.URL+"/HelloWorld_1.0.0.car", s.Stranger, s.StrangerPassword))
				assert.Equal(t, http.StatusOK, httpStatus(t, s, s.URL+"/HelloWorld_1.0.0.car", ExampleWorker, s.WorkerPassword))
				// Plain HTTP gets no file from the TLS site, only Apache's 400.
				assert.Equal(t, http.StatusBadRequest, httpStatus(t, s, strings.Replace(s.URL, "https://", "http://", 1), "", ""))
			}
		})
	}
}

// refused matches svn's message when the server's authz refuses a write.
func refused(kind Kind) string {
	if kind == HTTP {
		return `403 Forbidden|E175013|[Aa]ccess to .* forbidden`
	}
	return `[Aa]uthorization failed|E170001|E220004`
}

// httpStatus is the status of a GET of url (0 if there is no HTTP answer),
// with Basic auth when user is set.
func httpStatus(t *testing.T, s *ExampleServer, url, user, password string) int {
	t.Helper()
	pem, err := os.ReadFile(s.CACert)
	require.NoError(t, err)
	pool := x509.NewCertPool()
	require.True(t, pool.AppendCertsFromPEM(pem))
	c := &http.Client{Timeout: 10 * time.Second, Transport: &http.Transport{TLSClientConfig: &tls.Config{RootCAs: pool}}}
	req, err := http.NewRequest(http.MethodGet, url, nil)
	require.NoError(t, err)
	if user != "" {
		req.SetBasicAuth(user, password)
	}
	resp, err := c.Do(req)
	if err != nil {
		return 0
	}
	defer resp.Body.Close()
	return resp.StatusCode
}
