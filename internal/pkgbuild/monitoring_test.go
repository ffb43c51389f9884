package pkgbuild

import (
	"encoding/json"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// The shipped alerting rules are valid and do what their unit tests say.
func TestPrometheusRules(t *testing.T) {
	need(t, "promtool")
	dir := filepath.Join(repoRoot(t), "examples/monitoring")
	for _, args := range [][]string{
		{"check", "rules", "depsync-rules.yml"},
		{"test", "rules", "depsync-rules_test.yml"},
	} {
		cmd := exec.Command("promtool", args...)
		cmd.Dir = dir
		out, err := cmd.CombinedOutput()
		assert.NoError(t, err, "promtool %s: %s", strings.Join(args, " "), out)
	}
}

// metricRe finds depsync's metric names in rules and dashboards.
var metricRe = regexp.MustCompile(`\bdepsync_[a-z_]+`)

// Every metric the rules and the dashboard use is one depsync exports: a
// renamed metric must not leave a silent alert behind.
func TestMonitoringUsesExportedMetrics(t *testing.T) {
	root := repoRoot(t)
	exported := map[string]bool{}
	err := filepath.WalkDir(root, func(p string, d os.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if d.IsDir() && (d.Name() == "testdata" || strings.HasPrefix(d.Name(), ".")) && p != root {
			return filepath.SkipDir
		}
		if d.IsDir() || !strings.HasSuffix(p, ".go") || strings.HasSuffix(p, "_test.go") {
			return nil
		}
		b, err := os.ReadFile(p)
		if err != nil {
			return err
		}
		for _, m := range regexp.MustCompile(`"(depsync_[a-z_]+)"`).FindAllStringSubmatch(string(b), -1) {
			exported[m[1]] = true
		}
		return nil
	})
	require.NoError(t, err)
	require.True(t, exported["depsync_deletions_held"], "the walk found the daemon's metrics")

	dash, err := os.ReadFile(filepath.Join(root, "examples/monitoring/depsync-dashboard.json"))
	require.NoError(t, err)
	var d struct {
		Title  string `json:"title"`
		Panels []struct {
			Title   string `json:"title"`
			Targets []struct {
				Expr string `json:"expr"`
			} `json:"targets"`
		} `json:"panels"`
	}
	require.NoError(t, json.Unmarshal(dash, &d), "the dashboard is JSON Grafana can import")
	require.NotEmpty(t, d.Panels)
	rules, err := os.ReadFile(filepath.Join(root, "examples/monitoring/depsync-rules.yml"))
	require.NoError(t, err)
	used := string(rules)
	for _, p := range d.Panels {
		require.NotEmpty(t, p.Targets, "panel %q has a query", p.Title)
		for _, q := range p.Targets {
			used += "\n" + q.Expr
		}
	}
	names := metricRe.FindAllString(used, -1)
	require.NotEmpty(t, names)
	for _, n := range names {
		base := strings.TrimSuffix(strings.TrimSuffix(strings.TrimSuffix(n, "_bucket"), "_sum"), "_count")
		assert.True(t, exported[base], "%s is used by the monitoring kit but depsync does not export it", n)
	}
	for _, alert := range []string{"DepsyncSVNFallback", "DepsyncNotInStep", "DepsyncRevisionDrift", "DepsyncDeletionsHeld",
		"DepsyncPeerDown", "DepsyncCAppFaulty", "DepsyncSyncFailing", "DepsyncBackupsNearLimit"} {
		assert.Contains(t, string(rules), "alert: "+alert+"\n")
	}
}
