//go:build linux

package e2e

import (
	"crypto/sha256"
	"encoding/hex"
	"io/fs"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go.yaml.in/yaml/v3"

	"github.com/depsync/depsync/config/carbonxml"
	"github.com/depsync/depsync/internal/daemontest"
	"github.com/depsync/depsync/internal/svntest"
	"github.com/depsync/depsync/internal/testcapp"
)

// carbonNode is a Carbon home as Carbon's own Deployment Synchronizer
// left it: a working copy of <repo>/-1234 under repository/deployment/server,
// a carbon.xml whose block is on, with the plain password, and a stand-in
// for its JVM (a process named by wso2carbon.pid, started before depsync).
type carbonNode struct {
	*daemontest.Node
	jvm *exec.Cmd
}

func newCarbonNode(t *testing.T, bin string, srv *svntest.Server, name, role string) *carbonNode {
	t.Helper()
	n := daemontest.NewNode(t, bin, daemontest.Config{Name: name, Role: role})
	require.NoError(t, os.MkdirAll(filepath.Dir(n.Dir), 0o755))
	srv.SVN(t, "checkout", "--quiet", srv.URL+"/-1234", n.Dir)

	autoCommit := strconv.FormatBool(role == "manager")
	xml := `<?xml version="1.0" encoding="ISO-8859-1"?>
<Server xmlns="http://wso2.org/projects/carbon/carbon.xml">
    <Name>WSO2 Carbon</Name>
    <DeploymentSynchronizer>
        <Enabled>true</Enabled>
        <AutoCommit>` + autoCommit + `</AutoCommit>
        <AutoCheckout>true</AutoCheckout>
        <RepositoryType>svn</RepositoryType>
        <SvnUrl>` + srv.URL + `</SvnUrl>
        <SvnUser>` + srv.Username + `</SvnUser>
        <SvnPassword>` + srv.Password + `</SvnPassword>
        <SvnUrlAppendTenantId>true</SvnUrlAppendTenantId>
    </DeploymentSynchronizer>
</Server>
`
	conf := filepath.Join(n.Home, "repository", "conf")
	require.NoError(t, os.MkdirAll(conf, 0o755))
	require.NoError(t, os.WriteFile(filepath.Join(conf, "carbon.xml"), []byte(xml), 0o644))

	jvm := exec.Command("sleep", "600")
	require.NoError(t, jvm.Start())
	t.Cleanup(func() { _ = jvm.Process.Kill(); _ = jvm.Wait() })
	require.NoError(t, os.WriteFile(filepath.Join(n.Home, "wso2carbon.pid"), []byte(strconv.Itoa(jvm.Process.Pid)), 0o644))
	return &carbonNode{Node: n, jvm: jvm}
}

// initConfig runs depsync init on the home and makes the config it wrote
// the node's, with the test's port and quick timings added.
func (c *carbonNode) initConfig(t *testing.T, peer, password string) {
	t.Helper()
	out := filepath.Join(c.Home, "init.yaml")
	cmd := exec.Command(c.Bin, "init", "--carbon-home", c.Home, "--out", out, "--peer", peer)
	cmd.Env = []string{"PATH=" + os.Getenv("PATH"), "HOME=" + c.Home}
	got, err := cmd.CombinedOutput()
	require.NoError(t, err, "%s", got)
	assert.NotContains(t, string(got), password)
	assert.Contains(t, string(got), "role: "+c.Role)

	data, err := os.ReadFile(out)
	require.NoError(t, err)
	assert.NotContains(t, string(data), password)
	var doc map[string]any
	require.NoError(t, yaml.Unmarshal(data, &doc))
	assert.Equal(t, true, doc["carbon"].(map[string]any)["write_config"])
	doc["listen"] = c.Listen
	doc["node_name"] = c.Name
	doc["sync"] = map[string]any{"debounce": "100ms", "max_delay": "1s"}
	doc["svn"].(map[string]any)["poll_interval"] = "500ms"
	data, err = yaml.Marshal(doc)
	require.NoError(t, err)
	require.NoError(t, os.WriteFile(out, data, 0o600))
	c.ConfigFile = out
}

// svnFiles hashes every file under the working copy's .svn.
func svnFiles(t *testing.T, wc string) map[string]string {
	t.Helper()
	files := map[string]string{}
	require.NoError(t, filepath.WalkDir(filepath.Join(wc, ".svn"), func(p string, d fs.DirEntry, err error) error {
		if err != nil || !d.Type().IsRegular() {
			return err
		}
		data, err := os.ReadFile(p)
		if err != nil {
			return err
		}
		sum := sha256.Sum256(data)
		files[p] = hex.EncodeToString(sum[:])
		return nil
	}))
	return files
}

type handoverStatus struct {
	Ready  bool   `json:"ready"`
	Reason string `json:"reason"`
}

// TestHandoverFromCarbonsDepSync: two nodes as Carbon's own synchronizer
// left them move to depsync with `depsync init` and `depsync run` (with
// write_config) while their Carbon JVMs still run. As long as those live,
// the repository does not move and no .svn file of either working copy
// changes, both say why they wait; once they end, the manager commits
// its pending C-App and the worker has it within 5 s.
func TestHandoverFromCarbonsDepSync(t *testing.T) {
	svntest.Require(t, "svn", "svnadmin", "svnserve", "sleep")
	srv := svntest.New(t, svntest.SVNServe)
	bin := daemontest.Binary(t)

	// Carbon's layout: the super tenant's C-Apps under -1234/carbonapps.
	seed := t.TempDir()
	apps := filepath.Join(seed, "-1234", "carbonapps")
	require.NoError(t, os.MkdirAll(apps, 0o755))
	testcapp.Write(t, apps, "Old_1.0.0.car", "Old", "1.0.0")
	srv.SVN(t, "import", "--quiet", "-m", "Carbon's DepSync", seed, srv.URL)

	m := newCarbonNode(t, bin, srv, "m", "manager")
	w := newCarbonNode(t, bin, srv, "w", "worker")
	m.initConfig(t, w.URL, srv.Password)
	w.initConfig(t, m.URL, srv.Password)

	// A change Carbon's synchronizer has not committed yet.
	newApp := testcapp.Write(t, filepath.Join(m.Dir, "carbonapps"), "New_1.0.0.car", "New", "1.0.0")
	head := func() string { return strings.TrimSpace(srv.SVN(t, "info", "--show-item", "revision", srv.URL)) }
	rev := head()
	mFiles, wFiles := svnFiles(t, m.Dir), svnFiles(t, w.Dir)

	m.Start(t)
	w.Start(t)
	for _, n := range []*carbonNode{m, w} {
		daemontest.Eventually(t, 30*time.Second, n.Name+" says it waits for Carbon to restart", func() bool {
			var s handoverStatus
			code, err := n.Get("/v1/status", &s)
			return err == nil && code == 200 && !s.Ready && strings.Contains(s.Reason, "waiting for Carbon to restart") &&
				strings.Contains(s.Reason, "pid "+strconv.Itoa(n.jvm.Process.Pid))
		})
		code, err := n.Get("/readyz", nil)
		require.NoError(t, err)
		assert.Equal(t, 503, code)
		b, err := carbonxml.Read(filepath.Join(n.Home, "repository", "conf", "carbon.xml"))
		require.NoError(t, err)
		assert.False(t, b.Enabled, "write_config turned Carbon's synchronizer off")
		assert.Empty(t, b.SvnPassword.Reveal())
	}
	// A few of the guard's looks while the JVMs live: nothing moves.
	time.Sleep(3 * time.Second)
	assert.Equal(t, rev, head(), "no commit while Carbon's JVM may still run its synchronizer")
	assert.Equal(t, mFiles, svnFiles(t, m.Dir), "the manager's working copy is untouched")
	assert.Equal(t, wFiles, svnFiles(t, w.Dir), "the worker's working copy is untouched")
	assert.NoFileExists(t, filepath.Join(w.Dir, "carbonapps", "New_1.0.0.car"))
	for _, n := range []*carbonNode{m, w} {
		assert.Equal(t, 1, strings.Count(n.Logs(), "waiting for Carbon to restart"), "one WARN line on %s", n.Name)
	}

	// Carbon restarts: the old JVMs end.
	for _, n := range []*carbonNode{m, w} {
		require.NoError(t, n.jvm.Process.Kill())
		_ = n.jvm.Wait()
	}
	start := time.Now()
	_, err := daemontest.WaitIdentical(newApp, filepath.Join(w.Dir, "carbonapps", "New_1.0.0.car"), start, 5*time.Second)
	require.NoError(t, err, "the worker has the manager's pending C-App within 5 s of Carbon ending")
	assert.NotEqual(t, rev, head(), "the manager committed it")
	t.Logf("the worker had the pending C-App %s after the JVMs ended", time.Since(start).Round(time.Millisecond))
	for _, n := range []*carbonNode{m, w} {
		daemontest.WaitReady(t, n.Node, 10*time.Second)
		assert.NotContains(t, n.Logs(), srv.Password)
	}
}
