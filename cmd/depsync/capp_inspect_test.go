package main

import (
	"archive/zip"
	"bytes"
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// writeCApp writes a zip of name → body into dir/file.
func writeCApp(t *testing.T, dir, file string, entries [][2]string) string {
	t.Helper()
	var buf bytes.Buffer
	w := zip.NewWriter(&buf)
	for _, e := range entries {
		fw, err := w.Create(e[0])
		require.NoError(t, err)
		_, err = fw.Write([]byte(e[1]))
		require.NoError(t, err)
	}
	require.NoError(t, w.Close())
	p := filepath.Join(dir, file)
	require.NoError(t, os.WriteFile(p, buf.Bytes(), 0o600))
	return p
}

func helloCApp(role string) [][2]string {
	return [][2]string{
		{"artifacts.xml", `<?xml version="1.0" encoding="UTF-8"?><artifacts>
    <artifact name="HelloApp" version="1.0.0" type="carbon/application">
        <dependency artifact="HelloAPI" version="1.0.0" include="true" ` + role + `/>
    </artifact>
</artifacts>`},
		{"HelloAPI_1.0.0/artifact.xml", `<artifact name="HelloAPI" version="1.0.0" type="synapse/api" serverRole="EnterpriseServiceBus"><file>HelloAPI-1.0.0.xml</file></artifact>`},
		{"HelloAPI_1.0.0/HelloAPI-1.0.0.xml", `<api name="HelloAPI" context="/hello"/>`},
	}
}

func inspectCLI(t *testing.T, args ...string) (int, string, string) {
	t.Helper()
	var out, errb bytes.Buffer
	code := run(context.Background(), append([]string{"capp", "inspect"}, args...), nil, &out, &errb)
	return code, out.String(), errb.String()
}

func TestCappInspect(t *testing.T) {
	dir := t.TempDir()
	ok := writeCApp(t, dir, "HelloApp_1.0.0.car", helloCApp(`serverRole="EnterpriseServiceBus"`))
	renamed := writeCApp(t, dir, "build-42.car", helloCApp(`serverRole="EnterpriseServiceBus"`))
	noRole := writeCApp(t, dir, "NoRole_1.0.0.car", helloCApp(""))
	empty := filepath.Join(dir, "Copying_1.0.0.car")
	require.NoError(t, os.WriteFile(empty, nil, 0o600))
	missing := filepath.Join(dir, "missing.car")

	t.Run("valid, text", func(t *testing.T) {
		code, out, errOut := inspectCLI(t, ok)
		assert.Equal(t, 0, code, errOut)
		assert.Empty(t, errOut)
		assert.Contains(t, out, ok+": HelloApp_1.0.0, ")
		assert.Contains(t, out, "synapse/api")
		assert.Contains(t, out, "sha256 ")
	})

	t.Run("valid, json", func(t *testing.T) {
		code, out, errOut := inspectCLI(t, ok, renamed, "-o", "json")
		assert.Equal(t, 0, code, errOut)
		var got []map[string]any
		require.NoError(t, json.Unmarshal([]byte(out), &got), out)
		require.Len(t, got, 2)
		for _, k := range []string{"file", "name", "version", "id", "sha256", "size", "artifacts", "warnings", "error"} {
			assert.Contains(t, got[0], k)
		}
		assert.Equal(t, ok, got[0]["file"])
		assert.Equal(t, "HelloApp_1.0.0", got[0]["id"])
		assert.Nil(t, got[0]["error"])
		assert.Equal(t, []any{}, got[0]["warnings"])
		assert.Len(t, got[0]["sha256"], 64)
		assert.Equal(t, []any{map[string]any{"name": "HelloAPI", "version": "1.0.0", "type": "synapse/api",
			"server_role": "EnterpriseServiceBus", "files": []any{"HelloAPI-1.0.0.xml"}}}, got[0]["artifacts"])
		// the second file has the same id under another name
		assert.Equal(t, "HelloApp_1.0.0", got[1]["id"])
		warnings := got[1]["warnings"].([]any)
		require.Len(t, warnings, 2)
		assert.Contains(t, warnings[0], `file name "build-42.car" does not match`)
		assert.Contains(t, warnings[1], "same id")
	})

	t.Run("bad files, json", func(t *testing.T) {
		code, out, errOut := inspectCLI(t, "-o", "json", ok, noRole, empty, missing)
		assert.Equal(t, 2, code)
		var got []map[string]any
		require.NoError(t, json.Unmarshal([]byte(out), &got), out)
		require.Len(t, got, 4)
		assert.Nil(t, got[0]["error"])
		assert.Equal(t, "no_server_role", got[1]["error_kind"])
		assert.Contains(t, got[1]["error"], "artifacts.xml:3: dependency \"HelloAPI_1.0.0\" has no serverRole")
		assert.Equal(t, "incomplete", got[2]["error_kind"])
		assert.Contains(t, got[3]["error"], "no such file")
		assert.Equal(t, []any{}, got[1]["artifacts"])

		lines := strings.Split(strings.TrimSpace(errOut), "\n")
		require.Len(t, lines, 3, errOut)
		assert.Contains(t, lines[0], noRole+": artifacts.xml:3:")
		assert.Contains(t, lines[1], empty+": incomplete")
		assert.Contains(t, lines[2], missing+": open: no such file")
		assert.NotContains(t, errOut, ok)
	})

	t.Run("bad file, text", func(t *testing.T) {
		code, out, errOut := inspectCLI(t, empty)
		assert.Equal(t, 2, code)
		assert.Contains(t, out, "INVALID (incomplete)")
		assert.Contains(t, errOut, empty+": incomplete")
		assert.Contains(t, errOut, "still be copying")
	})

	t.Run("usage", func(t *testing.T) {
		code, _, errOut := inspectCLI(t)
		assert.Equal(t, 2, code)
		assert.Contains(t, errOut, "arg")
		code, _, errOut = inspectCLI(t, "-o", "yaml", ok)
		assert.Equal(t, 2, code)
		assert.Contains(t, errOut, "-o \"yaml\"")
	})

	t.Run("help", func(t *testing.T) {
		code, out, _ := inspectCLI(t, "--help")
		assert.Equal(t, 0, code)
		assert.Contains(t, out, "Examples:")
		assert.Contains(t, out, "depsync capp inspect -o json")
	})
}

// The real samples: every valid one exits 0 with the right id, every invalid
// one exits 2 naming the file.
func TestCappInspectSamples(t *testing.T) {
	root := os.Getenv("DEPSYNC_TESTDATA")
	if root == "" {
		t.Skip("DEPSYNC_TESTDATA is not set (e.g. DEPSYNC_TESTDATA=../shared/testdata)")
	}
	valid, err := filepath.Glob(filepath.Join(root, "capps", "valid", "*.car"))
	require.NoError(t, err)
	require.NotEmpty(t, valid)
	code, out, errOut := inspectCLI(t, append([]string{"-o", "json"}, valid...)...)
	assert.Equal(t, 0, code, errOut)
	var got []struct {
		File, ID string
		Error    *string
	}
	require.NoError(t, json.Unmarshal([]byte(out), &got))
	require.Len(t, got, len(valid))
	ids := map[string]string{}
	for _, r := range got {
		assert.Nil(t, r.Error)
		ids[filepath.Base(r.File)] = r.ID
	}
	assert.Equal(t, "testCompositeApplication_1.0.0", ids["CarbonDataSourceTestCase.car"])
	assert.Equal(t, "ESBproject3_1.0.0", ids["ESBproject3-1.0.0.car"])
	assert.Equal(t, "connectors-data-services-pack_1.0.0.car_1.0.0-SNAPSHOT", ids["connectors-data-services-pack_1.0.0.car"])

	invalid, err := filepath.Glob(filepath.Join(root, "capps", "invalid", "*.car"))
	require.NoError(t, err)
	for _, p := range invalid {
		code, _, errOut := inspectCLI(t, "-o", "json", p)
		assert.Equal(t, 2, code, p)
		assert.Contains(t, errOut, p+": ")
	}
}
