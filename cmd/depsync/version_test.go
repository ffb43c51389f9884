package main

import (
	"runtime"
	"strings"
	"testing"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/testutil"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// TestBuildInfo: depsync_build_info is 1 with the build's version, commit
// and Go version as labels.
func TestBuildInfo(t *testing.T) {
	reg := prometheus.NewRegistry()
	reg.MustRegister(buildInfo())
	want := `# HELP depsync_build_info Always 1; the labels say which build of depsync runs: its version, commit and Go version.
# TYPE depsync_build_info gauge
depsync_build_info{commit="` + commit + `",go_version="` + runtime.Version() + `",version="` + version + `"} 1
`
	require.NoError(t, testutil.GatherAndCompare(reg, strings.NewReader(want), "depsync_build_info"))
}

// TestVersionFlag: depsync --version prints the version as the version
// command does, and exits 0.
func TestVersionFlag(t *testing.T) {
	code, out, errOut := runCLI(t, "--version")
	assert.Equal(t, 0, code, errOut)
	assert.Contains(t, out, "depsync "+version)
	assert.Contains(t, out, "commit: "+commit)
}
