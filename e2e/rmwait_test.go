//go:build linux

package e2e

import (
	"encoding/json"
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/depsync/depsync/internal/carbontest"
	"github.com/depsync/depsync/internal/daemontest"
	"github.com/depsync/depsync/internal/testcapp"
)

// rm runs `depsync capp rm` on n with the cluster token and returns its
// exit code and output.
func rm(t *testing.T, bin string, n *daemontest.Node, args ...string) (int, string) {
	t.Helper()
	cmd := exec.Command(bin, append([]string{"--config", n.ConfigFile, "capp", "rm", "--node", n.URL}, args...)...)
	cmd.Env = n.Env()
	out, err := cmd.CombinedOutput()
	var ee *exec.ExitError
	if errors.As(err, &ee) {
		return ee.ExitCode(), string(out)
	}
	require.NoError(t, err, "%s", out)
	return 0, string(out)
}

// TestRmWaitsForCarbonsUndeploy: `capp rm ID --wait` on the manager ends
// once no node of the cluster holds the C-App and each node's Carbon log
// says it undeployed it; while Carbon is slow, the wait runs out naming
// Carbon's last word, exit 1.
func TestRmWaitsForCarbonsUndeploy(t *testing.T) {
	bin := daemontest.Binary(t)
	w := daemontest.NewNode(t, bin, daemontest.Config{Name: "w", Role: "worker", Settings: fast})
	m := daemontest.NewNode(t, bin, daemontest.Config{Name: "m", Role: "manager", Peers: []string{w.URL}, Settings: fast})
	w.SetPeers(t, m.URL)
	apps := filepath.Join(m.Dir, "carbonapps")
	require.NoError(t, os.MkdirAll(apps, 0o755))
	cm := newStandIn(t, m, carbontest.LayoutEI61)
	cw := newStandIn(t, w, carbontest.LayoutEI64)
	w.Start(t)
	m.Start(t)
	testcapp.Write(t, apps, "HelloWorld_1.0.0.car", "HelloWorld", "1.0.0")
	testcapp.Write(t, apps, "Slow_1.0.0.car", "Slow", "1.0.0")
	testcapp.Write(t, apps, "ByFile_1.0.0.car", "ByFile", "1.0.0")
	deployed := func(c *standIn, id string) bool {
		return strings.Contains(c.log(t), "Successfully Deployed Carbon Application : "+id+" {super-tenant}")
	}
	daemontest.Eventually(t, 30*time.Second, "both C-Apps deployed on both nodes", func() bool {
		for _, id := range []string{"HelloWorld_1.0.0", "Slow_1.0.0", "ByFile_1.0.0"} {
			if !deployed(cm, id) || !deployed(cw, id) {
				return false
			}
		}
		return true
	})

	code, out := rm(t, bin, m, "HelloWorld_1.0.0", "--wait", "60s", "-o", "json")
	require.Equal(t, 0, code, out)
	var res struct {
		Wait struct {
			OK    bool     `json:"ok"`
			Nodes []string `json:"nodes"`
		} `json:"wait"`
	}
	require.NoError(t, json.Unmarshal([]byte(out), &res), out)
	assert.True(t, res.Wait.OK)
	assert.ElementsMatch(t, []string{m.URL, w.URL}, res.Wait.Nodes)
	for _, c := range []*standIn{cm, cw} {
		assert.Contains(t, c.log(t), "Successfully Undeployed Carbon Application : HelloWorld_1.0.0 {super-tenant}")
	}
	assert.NoFileExists(t, filepath.Join(w.Dir, "carbonapps", "HelloWorld_1.0.0.car"))

	// Named by its file, Carbon's word on it is found by the file name.
	code, out = rm(t, bin, m, "ByFile_1.0.0.car", "--wait", "60s")
	require.Equal(t, 0, code, out)
	assert.Contains(t, out, "Carbon undeployed them")
	assert.Contains(t, cw.log(t), "Successfully Undeployed Carbon Application : ByFile_1.0.0 {super-tenant}")

	// Carbon is slow: the file goes, Carbon's word does not come.
	cm.pause()
	cw.pause()
	code, out = rm(t, bin, m, "Slow_1.0.0.car", "--wait", "3s")
	assert.Equal(t, 1, code, out)
	assert.Contains(t, out, "Carbon's last word on Slow_1.0.0.car is deployed, not undeployed")
	cm.paused.Store(false)
	cw.paused.Store(false)
}
