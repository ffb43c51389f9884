//go:build linux

package e2e

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/depsync/depsync/internal/carbontest"
	"github.com/depsync/depsync/internal/daemontest"
	"github.com/depsync/depsync/internal/svntest"
	"github.com/depsync/depsync/internal/testcapp"
)

// workerOnlyFault marks a C-App the worker's Carbon finds faulty while the
// manager's deploys it: a node that lacks what the C-App needs.
const workerOnlyFault = "needs-a-connector-the-worker-lacks"

// rollbackOut is what `capp push -o json` prints of --rollback.
type rollbackOut struct {
	Results []struct {
		Node, File, Status, Error string
		Revision                  int64
	} `json:"results"`
	Wait *struct {
		OK     bool `json:"ok"`
		Faulty []struct {
			Node, File, ID, State, Error string
		} `json:"faulty"`
	} `json:"wait"`
	Rollback *struct {
		Done     bool  `json:"done"`
		Revision int64 `json:"revision"`
		Restored []struct {
			Node, File, ID, SHA256, Error string
		} `json:"restored"`
		Removed []struct {
			Node, File, ID, Error string
		} `json:"removed"`
		States []struct {
			Node, File, State string
			Done              bool
		} `json:"states"`
	} `json:"rollback"`
}

// rollbackCluster is a manager and a worker, each beside Carbon's
// stand-in; the worker's refuses C-Apps marked workerOnlyFault.
type rollbackCluster struct {
	bin    string
	m, w   *daemontest.Node
	cm, cw *standIn
	via    string
}

func newRollbackCluster(t *testing.T, srv *svntest.Server) *rollbackCluster {
	bin := daemontest.Binary(t)
	w := daemontest.NewNode(t, bin, daemontest.Config{Name: "w", Role: "worker", SVN: srv, Settings: fast})
	m := daemontest.NewNode(t, bin, daemontest.Config{Name: "m", Role: "manager", SVN: srv, Peers: []string{w.URL}, Settings: fast})
	w.SetPeers(t, m.URL)
	require.NoError(t, os.MkdirAll(filepath.Join(m.Dir, "carbonapps"), 0o755))
	cm := newStandIn(t, m, carbontest.LayoutEI61)
	cw := newStandInWith(t, carbontest.Options{Home: w.Home, Layout: carbontest.LayoutEI64,
		Refuse: func(car string, data []byte) error {
			if bytes.Contains(data, []byte(workerOnlyFault)) {
				return errors.New("Unexpected EOF in prolog at [row,col {unknown-source}]: [1,0]")
			}
			return nil
		}})
	m.Start(t)
	w.Start(t)
	daemontest.Eventually(t, 30*time.Second, "the manager's status to show its peer up", func() bool { return peersUp(m) })
	via := "direct"
	if srv != nil {
		via = "svn"
	}
	return &rollbackCluster{bin: bin, m: m, w: w, cm: cm, cw: cw, via: via}
}

// run runs depsync with the manager's config and returns stdout, stdout
// and stderr together, and the exit code.
func (c *rollbackCluster) run(t *testing.T, args ...string) (string, string, int) {
	t.Helper()
	cmd := exec.Command(c.bin, append([]string{"--config", c.m.ConfigFile}, args...)...)
	cmd.Env = c.m.Env()
	var stderr strings.Builder
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	var ee *exec.ExitError
	code := 0
	if errors.As(err, &ee) {
		code = ee.ExitCode()
	} else {
		require.NoError(t, err)
	}
	return string(out), string(out) + stderr.String(), code
}

func (c *rollbackCluster) push(t *testing.T, file string, extra ...string) (rollbackOut, string, int) {
	t.Helper()
	args := append([]string{"capp", "push", file, "--node", c.m.URL, "--via", c.via, "-o", "json"}, extra...)
	out, all, code := c.run(t, args...)
	var p rollbackOut
	require.NoError(t, json.Unmarshal([]byte(out), &p), all)
	return p, all, code
}

func deployedCount(t *testing.T, s *standIn, id string) int {
	return strings.Count(s.log(t), "Successfully Deployed Carbon Application : "+id+" {super-tenant}")
}

func (c *rollbackCluster) holds(t *testing.T, file string, want []byte) {
	t.Helper()
	for _, n := range []*daemontest.Node{c.m, c.w} {
		got, err := os.ReadFile(filepath.Join(n.Dir, "carbonapps", file))
		require.NoError(t, err, "%s holds %s", n.Name, file)
		assert.True(t, bytes.Equal(want, got), "%s holds the bytes of %s expected", n.Name, file)
	}
}

// testPushRollback: a push faulty on the worker only is undone on both
// nodes, by the way the push took; a new C-App pushed faulty is removed;
// a C-App not part of the push is left alone.
func testPushRollback(t *testing.T, c *rollbackCluster) {
	src := t.TempDir()
	bystander := testcapp.Write(t, src, "Bystander_1.0.0.car", "Bystander", "1.0.0")
	_, out, code := c.push(t, bystander, "--wait", "60s")
	require.Equal(t, 0, code, out)
	bystanderBytes, err := os.ReadFile(bystander)
	require.NoError(t, err)

	v1 := testcapp.Write(t, src, "App_1.0.0.car", "App", "1.0.0")
	v1Bytes, err := os.ReadFile(v1)
	require.NoError(t, err)
	_, out, code = c.push(t, v1, "--wait", "60s", "--rollback")
	require.Equal(t, 0, code, "v1 deploys everywhere: nothing to roll back\n%s", out)
	require.Equal(t, 1, deployedCount(t, c.cw, "App_1.0.0"))

	v2dir := t.TempDir()
	v2 := testcapp.Write(t, v2dir, "App_1.0.0.car", "App", "1.0.0",
		testcapp.Extra(map[string][]byte{workerOnlyFault + ".txt": []byte("v2")}))
	p, out, code := c.push(t, v2, "--wait", "30s", "--rollback")
	require.Equal(t, 1, code, out)
	require.NotNil(t, p.Wait, out)
	require.NotEmpty(t, p.Wait.Faulty, out)
	assert.Equal(t, "App_1.0.0", p.Wait.Faulty[0].ID)
	assert.Contains(t, out, "is faulty")
	require.NotNil(t, p.Rollback, out)
	assert.True(t, p.Rollback.Done, out)
	require.NotEmpty(t, p.Rollback.Restored, out)
	assert.Equal(t, "App_1.0.0.car", p.Rollback.Restored[0].File)
	assert.Empty(t, p.Rollback.Removed)
	assert.NotEmpty(t, p.Rollback.States)
	assert.Contains(t, out, "rolled back")
	c.holds(t, "App_1.0.0.car", v1Bytes)
	assert.Equal(t, 2, deployedCount(t, c.cw, "App_1.0.0"), "the worker's Carbon deployed v1 again")
	assert.Equal(t, 3, deployedCount(t, c.cm, "App_1.0.0"), "the manager's Carbon deployed v1, v2, then v1 again")
	if c.via == "svn" {
		assert.Positive(t, p.Rollback.Revision, "the rollback is a commit")
	}

	fresh := testcapp.Write(t, src, "Fresh_1.0.0.car", "Fresh", "1.0.0",
		testcapp.Extra(map[string][]byte{workerOnlyFault + ".txt": []byte("new")}))
	p, out, code = c.push(t, fresh, "--wait", "30s", "--rollback")
	require.Equal(t, 1, code, out)
	require.NotNil(t, p.Rollback, out)
	assert.True(t, p.Rollback.Done, out)
	require.NotEmpty(t, p.Rollback.Removed, out)
	assert.Equal(t, "Fresh_1.0.0.car", p.Rollback.Removed[0].File)
	for _, n := range []*daemontest.Node{c.m, c.w} {
		_, err := os.Stat(filepath.Join(n.Dir, "carbonapps", "Fresh_1.0.0.car"))
		assert.ErrorIs(t, err, os.ErrNotExist, "%s is rid of the new faulty C-App", n.Name)
	}
	c.holds(t, "Bystander_1.0.0.car", bystanderBytes)
	c.holds(t, "App_1.0.0.car", v1Bytes)

	// The wait runs out (the worker's Carbon says nothing): rolled back
	// too. The removal is done once no node holds the file and no Carbon
	// says it is still deployed.
	c.cw.pause()
	slow := testcapp.Write(t, src, "Slow_1.0.0.car", "Slow", "1.0.0")
	p, out, code = c.push(t, slow, "--wait", "3s", "--rollback")
	c.cw.paused.Store(false)
	require.Equal(t, 1, code, out)
	require.NotNil(t, p.Wait, out)
	assert.False(t, p.Wait.OK)
	assert.Empty(t, p.Wait.Faulty)
	require.NotNil(t, p.Rollback, out)
	assert.True(t, p.Rollback.Done, out)
	require.NotEmpty(t, p.Rollback.Removed, out)
	assert.Equal(t, "Slow_1.0.0.car", p.Rollback.Removed[0].File)
	assert.Contains(t, out, "--wait 3s")
	for _, n := range []*daemontest.Node{c.m, c.w} {
		_, err := os.Stat(filepath.Join(n.Dir, "carbonapps", "Slow_1.0.0.car"))
		assert.ErrorIs(t, err, os.ErrNotExist, "%s is rid of the C-App whose wait ran out", n.Name)
	}
	c.holds(t, "Bystander_1.0.0.car", bystanderBytes)

	// Without --wait there is nothing to judge by: refused, nothing sent.
	_, out, code = c.run(t, "capp", "push", fresh, "--node", c.m.URL, "--via", c.via, "--rollback")
	assert.Equal(t, 2, code, out)
	assert.Contains(t, out, "--rollback needs --wait")
}

// TestPushRollbackDirect: capp push --wait --rollback in direct mode;
// history and rollback --to say they need SVN.
func TestPushRollbackDirect(t *testing.T) {
	c := newRollbackCluster(t, nil)
	testPushRollback(t, c)

	_, out, code := c.run(t, "capp", "history", "App_1.0.0.car", "--node", c.m.URL)
	assert.Equal(t, 1, code, out)
	assert.Contains(t, out, "need SVN")
	_, out, code = c.run(t, "rollback", "App_1.0.0.car", "--to", "1", "--node", c.m.URL)
	assert.Equal(t, 1, code, out)
	assert.Contains(t, out, "need SVN")
}

// historyOut is what `capp history -o json` prints.
type historyOut struct {
	URL     string `json:"url"`
	Changes []struct {
		File, Author, Action, SHA256, Message string
		Revision                              int64
	} `json:"changes"`
}

// TestPushRollbackSVN: capp push --wait --rollback over real SVN: the
// rollback is one commit restoring the previous content, capp history
// shows v1, v2 and the rollback, and depsync rollback --to puts v1 back
// after a later change.
func TestPushRollbackSVN(t *testing.T) {
	c := newRollbackCluster(t, svntest.New(t, svntest.SVNServe))
	testPushRollback(t, c)

	sha := func(b []byte) string { s := sha256.Sum256(b); return hex.EncodeToString(s[:]) }
	out, all, code := c.run(t, "capp", "history", "App_1.0.0.car", "--node", c.m.URL, "-o", "json")
	require.Equal(t, 0, code, all)
	var h historyOut
	require.NoError(t, json.Unmarshal([]byte(out), &h), all)
	require.GreaterOrEqual(t, len(h.Changes), 3, all)
	rollbackRev, v2Rev, v1Rev := h.Changes[0], h.Changes[1], h.Changes[2]
	assert.Contains(t, rollbackRev.Message, "rollback", all)
	assert.Equal(t, "modified", rollbackRev.Action)
	assert.Equal(t, "modified", v2Rev.Action)
	assert.Equal(t, "added", v1Rev.Action)
	assert.Equal(t, v1Rev.SHA256, rollbackRev.SHA256, "the rollback's bytes are v1's")
	assert.NotEqual(t, v1Rev.SHA256, v2Rev.SHA256)
	_, text, code := c.run(t, "capp", "history", "--node", c.m.URL)
	require.Equal(t, 0, code, text)
	assert.Contains(t, text, fmt.Sprintf("r%d", v1Rev.Revision))
	assert.Contains(t, text, "Fresh_1.0.0.car", "the history of every C-App")

	// A later good v3, then back to v1 by revision.
	v1Bytes, err := os.ReadFile(filepath.Join(c.m.Dir, "carbonapps", "App_1.0.0.car"))
	require.NoError(t, err)
	require.Equal(t, v1Rev.SHA256, sha(v1Bytes))
	v3 := testcapp.Write(t, t.TempDir(), "App_1.0.0.car", "App", "1.0.0", testcapp.Extra(map[string][]byte{"notes.txt": []byte("v3")}))
	_, all, code = c.push(t, v3, "--wait", "60s")
	require.Equal(t, 0, code, all)
	out, all, code = c.run(t, "rollback", "App_1.0.0.car", "--to", strconv.FormatInt(v1Rev.Revision, 10),
		"--node", c.m.URL, "--wait", "60s", "-o", "json")
	require.Equal(t, 0, code, all)
	var rb struct {
		Rollback struct {
			Done     bool  `json:"done"`
			Revision int64 `json:"revision"`
		} `json:"rollback"`
	}
	require.NoError(t, json.Unmarshal([]byte(out), &rb), all)
	assert.True(t, rb.Rollback.Done, all)
	assert.Greater(t, rb.Rollback.Revision, rollbackRev.Revision)
	c.holds(t, "App_1.0.0.car", v1Bytes)
	assert.Equal(t, 4, deployedCount(t, c.cw, "App_1.0.0"), "the worker's Carbon deployed v1, v1 again, v3, then v1 once more")

	// Bad input changes nothing.
	_, all, code = c.run(t, "rollback", "../x.car", "--to", "1", "--node", c.m.URL)
	assert.Equal(t, 2, code, all)
	_, all, code = c.run(t, "rollback", "App_1.0.0.car", "--node", c.m.URL)
	assert.Equal(t, 2, code, all)
}
