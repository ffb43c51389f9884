package main

import (
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func doctorHomes(t *testing.T) (string, string) {
	t.Helper()
	dir := t.TempDir()
	for _, n := range []string{"node1", "node2"} {
		require.NoError(t, os.CopyFS(filepath.Join(dir, n, "wso2", "analytics"),
			os.DirFS(filepath.Join("..", "..", "doctor", "testdata", "ei-6.1.1", n))))
	}
	return filepath.Join(dir, "node1", "wso2", "analytics"), filepath.Join(dir, "node2", "wso2", "analytics")
}

func TestDoctorTableOK(t *testing.T) {
	h1, h2 := doctorHomes(t)
	code, out, errOut := runCLI(t, "doctor", "--home", h1, "--home", h2)
	assert.Equal(t, 0, code, errOut)
	lines := strings.Split(out, "\n")
	assert.Regexp(t, `^CHECK\s+NODE1\s+NODE2\s+VERDICT\s+FIX$`, lines[0])
	assert.Regexp(t, `^clustering\.local_member_host\s+10\.0\.0\.11\s+10\.0\.0\.12\s+ok\s+-$`, lines[4])
	assert.NotContains(t, out, "\x1b[", "no colour when not a terminal")
}

func TestDoctorJSONAndFailure(t *testing.T) {
	h1, h2 := doctorHomes(t)
	p := filepath.Join(h2, "conf", "analytics", "spark", "spark-defaults.conf")
	b, err := os.ReadFile(p)
	require.NoError(t, err)
	require.NoError(t, os.WriteFile(p, []byte(strings.Replace(string(b), "carbon.spark.master.count  2", "carbon.spark.master.count  1", 1)), 0o644))

	code, out, _ := runCLI(t, "doctor", "--home", h1, "--home", h2, "-o", "json")
	assert.Equal(t, 1, code)
	var rep struct {
		Nodes  []string `json:"nodes"`
		Checks []struct {
			ID     string            `json:"id"`
			Status string            `json:"status"`
			Values map[string]string `json:"values"`
			Detail string            `json:"detail"`
			Fix    string            `json:"fix"`
		} `json:"checks"`
	}
	require.NoError(t, json.Unmarshal([]byte(out), &rep), out)
	assert.Equal(t, []string{"node1", "node2"}, rep.Nodes)
	var failed []string
	for _, c := range rep.Checks {
		if c.Status == "fail" {
			failed = append(failed, c.ID)
			assert.Equal(t, map[string]string{"node1": "2", "node2": "1"}, c.Values)
			assert.Contains(t, c.Fix, "conf/analytics/spark/spark-defaults.conf on node2: set carbon.spark.master.count to 2")
		}
	}
	assert.Equal(t, []string{"spark.master_count"}, failed)

	code, out, _ = runCLI(t, "doctor", "--home", h1, "--home", h2)
	assert.Equal(t, 1, code)
	assert.Contains(t, out, "fail spark.master_count:")
}

func TestDoctorBadUsage(t *testing.T) {
	h1, _ := doctorHomes(t)
	for name, args := range map[string][]string{
		"missing home": {"doctor", "--home", h1, "--home", filepath.Join(t.TempDir(), "nope")},
		"no conf":      {"doctor", "--home", h1, "--home", t.TempDir()},
		"no home":      {"doctor"},
		"unknown flag": {"doctor", "--home", h1, "--bogus"},
		"bad output":   {"doctor", "--home", h1, "-o", "yaml"},
		"argument":     {"doctor", h1},
	} {
		t.Run(name, func(t *testing.T) {
			code, _, errOut := runCLI(t, args...)
			assert.Equal(t, 2, code, errOut)
			assert.NotEmpty(t, errOut)
		})
	}
}

func TestNodeNames(t *testing.T) {
	assert.Equal(t, []string{"node1", "node2"}, nodeNames([]string{"/mnt/node1/wso2/analytics", "/mnt/node2/wso2/analytics"}))
	assert.Equal(t, []string{"a", "b"}, nodeNames([]string{"/x/a", "/x/b"}))
	assert.Equal(t, []string{"analytics"}, nodeNames([]string{"/mnt/node1/wso2/analytics"}))
	assert.Equal(t, []string{"/x/a", "/x/a/"}, nodeNames([]string{"/x/a", "/x/a/"}))
}

// TestDoctorHidesJDBCPasswords: homes whose datasource files carry
// passwords inside their JDBC URLs (doctor/testdata/jdbc-credentials): the
// table and the JSON quote the URLs without any of them.
func TestDoctorHidesJDBCPasswords(t *testing.T) {
	h1, h2 := doctorHomes(t)
	for i, h := range []string{h1, h2} {
		over := filepath.Join("..", "..", "doctor", "testdata", "jdbc-credentials", "node"+string(rune('1'+i)))
		for _, f := range []string{"master-datasources.xml", "analytics-datasources.xml"} {
			b, err := os.ReadFile(filepath.Join(over, "conf", "datasources", f))
			require.NoError(t, err)
			require.Contains(t, string(b), "S3cret", "the fixture holds passwords in its URLs")
			require.NoError(t, os.WriteFile(filepath.Join(h, "conf", "datasources", f), b, 0o644))
		}
	}
	for _, args := range [][]string{{}, {"-o", "json"}} {
		code, out, errOut := runCLI(t, append([]string{"doctor", "--home", h1, "--home", h2}, args...)...)
		assert.Equal(t, 1, code, "the nodes' datasources differ")
		assert.Contains(t, out, "datasources.shared")
		assert.Contains(t, out, "@db.example:1521:orcl", "the URL still names its database")
		assert.NotContains(t, out+errOut, "S3cret", args)
	}
}
