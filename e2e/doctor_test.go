//go:build linux

package e2e

import (
	"bytes"
	"encoding/json"
	"errors"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/depsync/depsync/internal/daemontest"
	"github.com/depsync/depsync/internal/testcapp"
)

type doctorReport struct {
	Nodes  []string `json:"nodes"`
	Checks []struct {
		ID     string            `json:"id"`
		Status string            `json:"status"`
		Values map[string]string `json:"values"`
		Detail string            `json:"detail"`
		Fix    string            `json:"fix"`
	} `json:"checks"`
}

// verdicts maps check id -> status.
func (r doctorReport) verdicts() map[string]string {
	m := map[string]string{}
	for _, c := range r.Checks {
		m[c.ID] = c.Status
	}
	return m
}

func (r doctorReport) detail(id string) string {
	for _, c := range r.Checks {
		if c.ID == id {
			return c.Detail
		}
	}
	return ""
}

// runDoctor runs `depsync doctor -o json` with the manager's environment
// (its token) and returns its exit code and report.
func runDoctor(t *testing.T, m *daemontest.Node, args ...string) (int, doctorReport) {
	t.Helper()
	cmd := exec.Command(m.Bin, append([]string{"doctor", "-o", "json"}, args...)...)
	cmd.Env = m.Env()
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	code := 0
	var ee *exec.ExitError
	if errors.As(err, &ee) {
		code = ee.ExitCode()
	} else {
		require.NoError(t, err)
	}
	var r doctorReport
	require.NoError(t, json.Unmarshal(out, &r), "doctor %v: exit %d\nstdout: %s\nstderr: %s", args, code, out, stderr.String())
	return code, r
}

// layHome copies a doctor fixture home's conf/ into a node's Carbon home
// and gives it the carbon.das.symbolic.link that homes at different paths
// need (the daemons' homes are different temporary folders).
func layHome(t *testing.T, fixture, home string) {
	t.Helper()
	require.NoError(t, os.CopyFS(filepath.Join(home, "conf"), os.DirFS(filepath.Join("..", "doctor", "testdata", "ei-6.1.1", fixture, "conf"))))
	p := filepath.Join(home, "conf", "analytics", "spark", "spark-defaults.conf")
	b, err := os.ReadFile(p)
	require.NoError(t, err)
	require.NoError(t, os.WriteFile(p, append(b, "\ncarbon.das.symbolic.link /opt/das\n"...), 0o644))
}

func hasAddr(t *testing.T, ip string) bool {
	as, err := net.InterfaceAddrs()
	require.NoError(t, err)
	for _, a := range as {
		if n, ok := a.(*net.IPNet); ok && n.IP.String() == ip {
			return true
		}
	}
	return false
}

// TestDoctorOnlineMatchesHomes: two daemons whose Carbon homes hold the
// doctor fixtures give the same verdicts from `depsync doctor --config
// <manager's config>` (each node reads its own files, the peer answers GET
// /v1/doctor) as from `depsync doctor --home` over the same folders. The
// online mode adds nodes.reachable, capps.same and paths.symlink, and
// checks each localMemberHost against the live host's addresses: the
// fixtures' 10.0.0.11 and 10.0.0.12 are not this machine's, and that, only
// that, is a verdict the files alone could not give.
func TestDoctorOnlineMatchesHomes(t *testing.T) {
	bin := daemontest.Binary(t)
	w := daemontest.NewNode(t, bin, daemontest.Config{Name: "node2", Role: "worker", Settings: fast})
	m := daemontest.NewNode(t, bin, daemontest.Config{Name: "node1", Role: "manager", Peers: []string{w.URL}, Settings: fast})
	w.SetPeers(t, m.URL)
	layHome(t, "node1", m.Home)
	layHome(t, "node2", w.Home)
	w.Start(t)
	m.Start(t)

	apps := filepath.Join(m.Dir, "carbonapps")
	require.NoError(t, os.MkdirAll(apps, 0o755))
	testcapp.Write(t, apps, "One_1.0.0.car", "One", "1.0.0")
	daemontest.Eventually(t, 30*time.Second, "the worker to hold One", converged(t, m, w))

	offCode, off := runDoctor(t, m, "--home", m.Home, "--home", w.Home)
	assert.Equal(t, 0, offCode, "the fixtures are a correct HA setup: %+v", off.Checks)
	onCode, on := runDoctor(t, m, "--config", m.ConfigFile)
	assert.Equal(t, []string{"node1", "node2"}, on.Nodes)

	offV, onV := off.verdicts(), on.verdicts()
	onlineOnly := []string{"nodes.reachable", "capps.same", "paths.symlink"}
	for _, id := range onlineOnly {
		assert.NotContains(t, offV, id, "offline has no %s", id)
		assert.Equal(t, "ok", onV[id], "%s: %s", id, on.detail(id))
		delete(onV, id)
	}
	wantCode := 0
	if !hasAddr(t, "10.0.0.11") || !hasAddr(t, "10.0.0.12") {
		assert.Equal(t, "fail", onV["clustering.local_member_host"])
		assert.Contains(t, on.detail("clustering.local_member_host"), "is not an address of that host")
		onV["clustering.local_member_host"] = offV["clustering.local_member_host"]
		wantCode = 1
	}
	assert.Equal(t, offV, onV, "the same verdicts online as from the homes")
	assert.Equal(t, wantCode, onCode)
	// The roles depsync runs are known online, and agree with carbon.xml's.
	for _, c := range on.Checks {
		if c.ID == "deployment_sync.roles" {
			assert.Equal(t, map[string]string{"node1": "carbon:manager depsync:manager", "node2": "carbon:worker depsync:worker"}, c.Values)
		}
	}

	// A misconfiguration seeded on the worker fails the same check both ways.
	p := filepath.Join(w.Home, "conf", "analytics", "spark", "spark-defaults.conf")
	b, err := os.ReadFile(p)
	require.NoError(t, err)
	require.Contains(t, string(b), "carbon.spark.master.count  2")
	require.NoError(t, os.WriteFile(p, bytes.Replace(b, []byte("carbon.spark.master.count  2"), []byte("carbon.spark.master.count  1"), 1), 0o644))
	offCode, off = runDoctor(t, m, "--home", m.Home, "--home", w.Home)
	onCode, on = runDoctor(t, m, "--config", m.ConfigFile)
	assert.Equal(t, 1, offCode)
	assert.Equal(t, 1, onCode)
	assert.Equal(t, "fail", off.verdicts()["spark.master_count"])
	assert.Equal(t, "fail", on.verdicts()["spark.master_count"])

	// A worker that is down is named, and the rest is still checked.
	w.Stop(t)
	onCode, on = runDoctor(t, m, "--config", m.ConfigFile, "--timeout", "5s")
	assert.Equal(t, 1, onCode)
	assert.Equal(t, "fail", on.verdicts()["nodes.reachable"])
	assert.Contains(t, on.detail("nodes.reachable"), w.URL)
	assert.Equal(t, "ok", on.verdicts()["clustering.enabled"])
}
