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
