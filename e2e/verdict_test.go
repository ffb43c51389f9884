//go:build linux

package e2e

import (
	"archive/zip"
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/depsync/depsync/carbonapp"
	"github.com/depsync/depsync/internal/carbontest"
	"github.com/depsync/depsync/internal/daemontest"
	"github.com/depsync/depsync/internal/testcapp"
)

// standIn is Carbon's stand-in beside one node: it scans the node's
// carbonapps every 100ms, unless paused, and writes Carbon's lines to the
// node's wso2carbon.log.
type standIn struct {
	*carbontest.Carbon
	paused atomic.Bool
}

func newStandIn(t *testing.T, n *daemontest.Node, layout carbontest.Layout) *standIn {
	t.Helper()
	return newStandInWith(t, carbontest.Options{Home: n.Home, Layout: layout})
}

// newStandInWith is newStandIn with the stand-in's options.
func newStandInWith(t *testing.T, opts carbontest.Options) *standIn {
	t.Helper()
	c, err := carbontest.New(opts)
	require.NoError(t, err)
	require.NoError(t, c.Start())
	s := &standIn{Carbon: c}
	ctx, cancel := context.WithCancel(context.Background())
	var wg sync.WaitGroup
	wg.Go(func() {
		tick := time.NewTicker(100 * time.Millisecond)
		defer tick.Stop()
		for {
			select {
			case <-ctx.Done():
				return
			case <-tick.C:
			}
			if !s.paused.Load() {
				if err := c.Scan(); err != nil {
					t.Errorf("stand-in: %v", err)
					return
				}
			}
		}
	})
	t.Cleanup(func() { cancel(); wg.Wait(); _ = c.Close() })
	return s
}

// pause stops the scans; one in progress is over when it returns.
func (s *standIn) pause() {
	s.paused.Store(true)
	time.Sleep(250 * time.Millisecond)
}

func (s *standIn) log(t *testing.T) string {
	b, err := os.ReadFile(s.LogFile())
	require.NoError(t, err)
	return string(b)
}

// malformedCApp is a C-App whose API XML is not well-formed, like the
// shared invalidSynapseXml-invalidCompositeApplication_1.0.0.car (used
// instead when DEPSYNC_TESTDATA is set): valid to depsync, faulty to
// Carbon. It returns its path and C-App id.
func malformedCApp(t *testing.T) (string, string) {
	t.Helper()
	if root := os.Getenv("DEPSYNC_TESTDATA"); root != "" {
		p := filepath.Join(root, "capps", "valid", "invalidSynapseXml-invalidCompositeApplication_1.0.0.car")
		if _, err := os.Stat(p); err == nil {
			app, err := carbonapp.ParseFile(p) // the file name is not the id
			require.NoError(t, err)
			return p, app.ID
		}
	}
	var buf bytes.Buffer
	zw := zip.NewWriter(&buf)
	add := func(p, s string) {
		w, err := zw.Create(p)
		require.NoError(t, err)
		_, err = w.Write([]byte(s))
		require.NoError(t, err)
	}
	add("artifacts.xml", `<?xml version="1.0" encoding="UTF-8"?><artifacts><artifact name="Broken" version="1.0.0" type="carbon/application">
<dependency artifact="brokenApi" version="1.0.0" include="true" serverRole="EnterpriseServiceBus"/></artifact></artifacts>`)
	add("brokenApi_1.0.0/artifact.xml", `<artifact name="brokenApi" version="1.0.0" type="synapse/api" serverRole="EnterpriseServiceBus"><file>brokenApi-1.0.0.xml</file></artifact>`)
	add("brokenApi_1.0.0/brokenApi-1.0.0.xml", `<api xmlns="http://ws.apache.org/ns/synapse" name="brokenApi" context="/b"><resource methods="GET"><inSequence><respond/></inSequence>
</api>`)
	require.NoError(t, zw.Close())
	p := filepath.Join(t.TempDir(), "Broken_1.0.0.car")
	require.NoError(t, os.WriteFile(p, buf.Bytes(), 0o644))
	return p, "Broken_1.0.0"
}

// pushOut is what `capp push -o json` prints that these tests read.
type pushOut struct {
	Results []struct {
		Node, File, Status, Error string
	} `json:"results"`
	Wait *struct {
		OK     bool   `json:"ok"`
		Until  string `json:"until"`
		Faulty []struct {
			Node, File, ID, State, Error string
		} `json:"faulty"`
		States []struct {
			Node, File, ID, State  string
			Present, Current, Done bool
		} `json:"states"`
	} `json:"wait"`
}

// push runs `depsync capp push FILE --wait 60s -o json` against the
// manager and returns its output, exit code and duration.
func push(t *testing.T, bin string, m *daemontest.Node, file string) (pushOut, string, int, time.Duration) {
	t.Helper()
	cmd := exec.Command(bin, "--config", m.ConfigFile, "capp", "push", file, "--node", m.URL, "--via", "direct", "--wait", "60s", "-o", "json")
	cmd.Env = m.Env()
	var stderr strings.Builder
	cmd.Stderr = &stderr
	start := time.Now()
	out, err := cmd.Output()
	took := time.Since(start)
	code := 0
	var ee *exec.ExitError
	if errors.As(err, &ee) {
		code = ee.ExitCode()
	} else {
		require.NoError(t, err)
	}
	var p pushOut
	require.NoError(t, json.Unmarshal(out, &p), "%s\n%s", out, stderr.String())
	return p, string(out) + stderr.String(), code, took
}

// pushAsync runs push in the background.
func pushAsync(t *testing.T, bin string, m *daemontest.Node, file string) <-chan int {
	done := make(chan int, 1)
	go func() {
		cmd := exec.Command(bin, "--config", m.ConfigFile, "capp", "push", file, "--node", m.URL, "--via", "direct", "--wait", "60s")
		cmd.Env = m.Env()
		out, err := cmd.CombinedOutput()
		var ee *exec.ExitError
		switch {
		case err == nil:
			done <- 0
		case errors.As(err, &ee):
			t.Logf("capp push: %s", out)
			done <- ee.ExitCode()
		default:
			t.Logf("capp push: %v", err)
			done <- -1
		}
	}()
	return done
}

func hasFile(n *daemontest.Node, file string, want []byte) func() bool {
	return func() bool {
		b, err := os.ReadFile(filepath.Join(n.Dir, "carbonapps", file))
		return err == nil && bytes.Equal(b, want)
	}
}

// TestPushWaitsForCarbonsVerdict: two nodes, each beside Carbon's
// stand-in. capp push --wait means "Carbon deployed it on every node":
// exit 0 once both logs say deployed, exit 1 within seconds when Carbon
// finds a C-App faulty, new bytes wait for their own "deployed" line, and a
// roll-over of the log loses no verdict.
func TestPushWaitsForCarbonsVerdict(t *testing.T) {
	bin := daemontest.Binary(t)
	w := daemontest.NewNode(t, bin, daemontest.Config{Name: "w", Role: "worker", Settings: fast})
	m := daemontest.NewNode(t, bin, daemontest.Config{Name: "m", Role: "manager", Peers: []string{w.URL}, Settings: fast})
	w.SetPeers(t, m.URL)
	require.NoError(t, os.MkdirAll(filepath.Join(m.Dir, "carbonapps"), 0o755))
	cm := newStandIn(t, m, carbontest.LayoutEI61)
	cw := newStandIn(t, w, carbontest.LayoutEI64)
	w.Start(t)
	m.Start(t)
	daemontest.Eventually(t, 10*time.Second, "the manager's status to show its peer up", func() bool { return peersUp(m) })

	src := t.TempDir()
	t.Run("deployed", func(t *testing.T) {
		good := testcapp.Write(t, src, "Good_1.0.0.car", "Good", "1.0.0")
		p, out, code, _ := push(t, bin, m, good)
		require.Equal(t, 0, code, out)
		require.NotNil(t, p.Wait, out)
		assert.True(t, p.Wait.OK, out)
		assert.Equal(t, "deployed", p.Wait.Until)
		nodes := map[string]bool{}
		for _, s := range p.Wait.States {
			assert.Equal(t, "deployed", s.State, "%+v", s)
			assert.True(t, s.Current && s.Done && s.Present, "%+v", s)
			nodes[s.Node] = true
		}
		assert.Len(t, nodes, 2, "both nodes report: %s", out)
		for _, c := range []*standIn{cm, cw} {
			assert.Contains(t, c.log(t), "Successfully Deployed Carbon Application : Good_1.0.0 {super-tenant}")
		}

		// capp list shows Carbon's state.
		cmd := exec.Command(bin, "--config", w.ConfigFile, "capp", "list", "--node", w.URL)
		cmd.Env = w.Env()
		list, err := cmd.CombinedOutput()
		require.NoError(t, err, "%s", list)
		assert.Regexp(t, `Good_1\.0\.0\.car\s+Good_1\.0\.0\s+deployed`, string(list))
	})

	t.Run("new bytes wait for their own deployed line", func(t *testing.T) {
		// Carbon is slow: the old "deployed" must not end the wait.
		cm.pause()
		cw.pause()
		good := testcapp.Write(t, src, "Good_1.0.0.car", "Good", "1.0.0", testcapp.Extra(map[string][]byte{"notes.txt": []byte("build 2")}))
		want, err := os.ReadFile(good)
		require.NoError(t, err)
		done := pushAsync(t, bin, m, good)
		daemontest.Eventually(t, 30*time.Second, "both nodes to hold the new bytes", func() bool {
			return hasFile(m, "Good_1.0.0.car", want)() && hasFile(w, "Good_1.0.0.car", want)()
		})
		select {
		case code := <-done:
			t.Fatalf("capp push --wait ended (exit %d) before Carbon deployed the new bytes", code)
		case <-time.After(2 * time.Second):
		}
		cm.paused.Store(false)
		cw.paused.Store(false)
		select {
		case code := <-done:
			require.Equal(t, 0, code)
		case <-time.After(60 * time.Second):
			t.Fatal("capp push --wait did not end after Carbon redeployed")
		}
		for _, c := range []*standIn{cm, cw} {
			assert.Equal(t, 2, strings.Count(c.log(t), "Successfully Deployed Carbon Application : Good_1.0.0 {super-tenant}"))
		}
	})

	t.Run("roll-over loses no verdict", func(t *testing.T) {
		cm.pause()
		cw.pause()
		roll := testcapp.Write(t, src, "Roll_1.0.0.car", "Roll", "1.0.0")
		want, err := os.ReadFile(roll)
		require.NoError(t, err)
		done := pushAsync(t, bin, m, roll)
		daemontest.Eventually(t, 30*time.Second, "both nodes to hold Roll", func() bool {
			return hasFile(m, "Roll_1.0.0.car", want)() && hasFile(w, "Roll_1.0.0.car", want)()
		})
		// The verdict goes into the old file, which is renamed at once:
		// the reader must drain it before it follows the new one.
		for _, c := range []*standIn{cm, cw} {
			require.NoError(t, c.Scan())
			_, err := c.RollOver()
			require.NoError(t, err)
		}
		select {
		case code := <-done:
			require.Equal(t, 0, code)
		case <-time.After(60 * time.Second):
			t.Fatal("capp push --wait missed the verdict written just before the roll-over")
		}
		cm.paused.Store(false)
		cw.paused.Store(false)
	})

	t.Run("faulty", func(t *testing.T) {
		bad, id := malformedCApp(t)
		p, out, code, took := push(t, bin, m, bad)
		require.Equal(t, 1, code, out)
		assert.Less(t, took, 15*time.Second, "a faulty C-App fails the wait at once, not at its deadline")
		require.NotNil(t, p.Wait, out)
		require.NotEmpty(t, p.Wait.Faulty, out)
		f := p.Wait.Faulty[0]
		assert.Equal(t, id, f.ID)
		assert.Equal(t, "faulty", f.State)
		assert.Contains(t, f.Error, "Deployment of synapse artifact failed")
		assert.Contains(t, out, "is faulty: Deployment of synapse artifact failed", "the error names node, id and Carbon's line")
		assert.Contains(t, out, f.Node)

		for _, n := range []*daemontest.Node{m, w} {
			var st struct {
				CarbonLog *struct {
					Path     string `json:"path"`
					Readable bool   `json:"readable"`
				} `json:"carbon_log"`
				Faulty []struct {
					ID, State, Error string
				} `json:"faulty_capps"`
			}
			daemontest.Eventually(t, 10*time.Second, n.Name+"'s /v1/status to show the faulty C-App", func() bool {
				_, err := n.Get("/v1/status", &st)
				return err == nil && len(st.Faulty) > 0
			})
			require.NotNil(t, st.CarbonLog)
			assert.True(t, st.CarbonLog.Readable)
			assert.Equal(t, filepath.Join(n.Home, "repository", "logs", "wso2carbon.log"), st.CarbonLog.Path)
			assert.Equal(t, id, st.Faulty[0].ID)
			assert.Contains(t, st.Faulty[0].Error, "Deployment of synapse artifact failed")

			cmd := exec.Command(bin, "--config", n.ConfigFile, "status", "--node", n.URL)
			cmd.Env = n.Env()
			text, err := cmd.CombinedOutput()
			require.NoError(t, err, "%s", text)
			assert.Contains(t, string(text), "FAULTY: "+id)
			assert.Contains(t, string(text), "Deployment of synapse artifact failed")
		}
	})
}
