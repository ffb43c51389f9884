package main

import (
	"encoding/json"
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/depsync/depsync/config"
	"github.com/depsync/depsync/internal/testcapp"
)

// TestCappRmByID: capp rm takes a C-App id as well as a file name; the id
// is looked up in the node's list, whatever the file is called.
func TestCappRmByID(t *testing.T) {
	cfg := noConfig(t)
	n := newPushNode(t, config.RoleManager)
	testcapp.Write(t, n.dir, "HelloWorld_1.0.0.car", "HelloWorld", "1.0.0")
	testcapp.Write(t, n.dir, "hw-build7.car", "HW", "2.0.0")
	testcapp.Write(t, n.dir, "Keep_1.0.0.car", "Keep", "1.0.0")

	code, out, errOut := runCLI(t, "--config", cfg, "capp", "rm", "HelloWorld_1.0.0", "--node", n.url, "-o", "json")
	require.Equal(t, 0, code, out+errOut)
	var res struct {
		Results []rmResult `json:"results"`
	}
	require.NoError(t, json.Unmarshal([]byte(out), &res), out)
	require.Len(t, res.Results, 1)
	assert.Equal(t, "HelloWorld_1.0.0.car", res.Results[0].File)
	assert.Equal(t, "HelloWorld_1.0.0", res.Results[0].ID)
	assert.Equal(t, "deleted", res.Results[0].Status)
	assert.NoFileExists(t, filepath.Join(n.dir, "HelloWorld_1.0.0.car"))

	code, out, errOut = runCLI(t, "--config", cfg, "capp", "rm", "HW_2.0.0", "--node", n.url)
	require.Equal(t, 0, code, out+errOut)
	assert.Contains(t, out, "hw-build7.car (HW_2.0.0)")
	assert.NoFileExists(t, filepath.Join(n.dir, "hw-build7.car"))

	code, out, _ = runCLI(t, "--config", cfg, "capp", "rm", "Nope_1.0.0", "--node", n.url)
	assert.Equal(t, 1, code, out)
	assert.Contains(t, out, "not_found")
	assert.FileExists(t, filepath.Join(n.dir, "Keep_1.0.0.car"))

	code, _, errOut = runCLI(t, "--config", cfg, "capp", "rm", "../Keep_1.0.0", "--node", n.url)
	assert.Equal(t, 2, code, errOut)
	assert.Contains(t, errOut, "nor a C-App id")
	assert.FileExists(t, filepath.Join(n.dir, "Keep_1.0.0.car"))
}

func TestValidID(t *testing.T) {
	for s, want := range map[string]bool{
		"HelloWorld_1.0.0": true, "a": true, "My-App_1.0.0-SNAPSHOT": true,
		"HelloWorld_1.0.0.car": false, "X.CAR": false, "": false, "../x": false, "a/b": false, "_x": false, "a..b": false,
	} {
		assert.Equal(t, want, validID(s), s)
	}
}

// TestCappRmWait: --wait polls the cluster (the nodes removed from and the
// peers they list) until none holds the C-App; a node without a Carbon log
// counts by presence. A peer that still holds it is named when the wait
// runs out, exit 1.
func TestCappRmWait(t *testing.T) {
	cfg := noConfig(t)
	n1 := newPushNode(t, config.RoleManager)
	n2 := newPushNode(t, config.RoleManager)
	n1.peers = []string{n2.url}
	for _, n := range []*pushNode{n1, n2} {
		testcapp.Write(t, n.dir, "HelloWorld_1.0.0.car", "HelloWorld", "1.0.0")
	}

	code, out, errOut := runCLI(t, "--config", cfg, "capp", "rm", "HelloWorld_1.0.0", "--node", n1.url, "--wait", "300ms")
	assert.Equal(t, 1, code, out)
	assert.Contains(t, out, n2.url+" still holds HelloWorld_1.0.0.car")
	assert.Contains(t, errOut, "--wait 300ms: not every node is rid of the C-Apps")

	code, out, errOut = runCLI(t, "--config", cfg, "capp", "rm", "HelloWorld_1.0.0.car", "--node", n2.url,
		"--wait", "10s", "-o", "json")
	require.Equal(t, 0, code, out+errOut)
	var res struct {
		Wait rmWaitReport `json:"wait"`
	}
	require.NoError(t, json.Unmarshal([]byte(out), &res), out)
	assert.True(t, res.Wait.OK)
	assert.ElementsMatch(t, []string{n2.url}, res.Wait.Nodes)
	assert.Equal(t, []string{n2.url}, res.Wait.NoCarbonLog)

	code, _, errOut = runCLI(t, "--config", cfg, "capp", "rm", "X_1.0.0", "--node", n1.url, "--wait", "-1s")
	assert.Equal(t, 2, code, errOut)
}
