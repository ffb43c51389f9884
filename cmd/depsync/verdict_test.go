package main

import (
	"archive/zip"
	"bytes"
	"context"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/testutil"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/depsync/depsync/api"
	"github.com/depsync/depsync/carbonlog"
	"github.com/depsync/depsync/config"
	"github.com/depsync/depsync/deploy"
	"github.com/depsync/depsync/internal/carbontest"
	"github.com/depsync/depsync/internal/httpserver"
	"github.com/depsync/depsync/internal/testcapp"
)

// carbonNode is an in-process node whose carbonapps Carbon's stand-in
// deploys, with the node's reader following the stand-in's log.
type carbonNode struct {
	url    string
	reader *carbonlog.Reader
}

func newCarbonNode(t *testing.T) *carbonNode {
	t.Helper()
	home := t.TempDir()
	dir := filepath.Join(home, "repository", "deployment", "server", "carbonapps")
	store, err := deploy.NewStore(dir, 0)
	require.NoError(t, err)
	c, err := carbontest.New(carbontest.Options{Home: home, Interval: 30 * time.Millisecond})
	require.NoError(t, err)
	ctx, cancel := context.WithCancel(context.Background())
	quiet := slog.New(slog.NewTextHandler(io.Discard, nil))
	r := carbonlog.New(c.LogFile(), carbonlog.Options{PollInterval: 30 * time.Millisecond, Logger: quiet})
	done := make(chan struct{}, 2)
	go func() { _ = c.Run(ctx); done <- struct{}{} }()
	go func() { _ = r.Run(ctx); done <- struct{}{} }()
	t.Cleanup(func() { cancel(); <-done; <-done })
	// The node reads its Carbon's log before anything is pushed to it, as
	// a daemon started beside a running Carbon does.
	require.Eventually(t, r.Readable, 10*time.Second, 10*time.Millisecond, "the stand-in's log is never readable")
	a := deploy.NewAPI(deploy.APIOptions{Store: store, Role: config.RoleManager, Token: cliToken, Carbon: r})
	mux := http.NewServeMux()
	mux.Handle("/v1/capps", a)
	mux.Handle("/v1/capps/", a)
	srv := httptest.NewServer(httpserver.New("", mux, config.TLS{}).Handler)
	t.Cleanup(srv.Close)
	return &carbonNode{url: srv.URL, reader: r}
}

// brokenCApp writes a C-App whose API XML is not well-formed: valid to
// depsync, faulty to Carbon.
func brokenCApp(t *testing.T) string {
	t.Helper()
	var buf bytes.Buffer
	zw := zip.NewWriter(&buf)
	for p, s := range map[string]string{
		"artifacts.xml": `<artifacts><artifact name="Broken" version="1.0.0" type="carbon/application">
<dependency artifact="b" version="1.0.0" include="true" serverRole="EnterpriseServiceBus"/></artifact></artifacts>`,
		"b_1.0.0/artifact.xml": `<artifact name="b" version="1.0.0" type="synapse/api" serverRole="EnterpriseServiceBus"><file>b.xml</file></artifact>`,
		"b_1.0.0/b.xml":        `<api xmlns="http://ws.apache.org/ns/synapse" name="b" context="/b"><resource>`,
	} {
		w, err := zw.Create(p)
		require.NoError(t, err)
		_, err = w.Write([]byte(s))
		require.NoError(t, err)
	}
	require.NoError(t, zw.Close())
	p := filepath.Join(t.TempDir(), "Broken_1.0.0.car")
	require.NoError(t, os.WriteFile(p, buf.Bytes(), 0o644))
	return p
}

func TestCappPushWaitsForCarbon(t *testing.T) {
	cfg := noConfig(t)
	n := newCarbonNode(t)
	plain := newPushNode(t, config.RoleManager) // reads no Carbon log

	good := testcapp.Write(t, t.TempDir(), "Good_1.0.0.car", "Good", "1.0.0")
	code, out, errOut := runCLI(t, "--config", cfg, "capp", "push", good, "--node", n.url, "--node", plain.url, "--via", "direct", "--wait", "20s", "-o", "json")
	require.Equal(t, 0, code, "%s\n%s", out, errOut)
	p := parsePush(t, out)
	require.True(t, p.Wait.OK)
	assert.Equal(t, "deployed", p.Wait.Until)
	assert.Equal(t, []string{plain.url}, p.Wait.NoCarbonLog)
	assert.Contains(t, errOut, "reads no Carbon log", "a warning names the node counted by presence")
	assert.Contains(t, errOut, plain.url)
	byNode := map[string]waitState{}
	for _, s := range p.Wait.States {
		byNode[s.Node] = s
	}
	assert.Equal(t, waitState{Node: n.url, File: "Good_1.0.0.car", ID: "Good_1.0.0", Present: true, CarbonLog: true, State: "deployed",
		Current: true, Time: byNode[n.url].Time, Done: true}, byNode[n.url])
	assert.Equal(t, waitState{Node: plain.url, File: "Good_1.0.0.car", ID: "Good_1.0.0", Present: true, Done: true}, byNode[plain.url])

	// capp list shows the state.
	code, out, errOut = runCLI(t, "--config", cfg, "capp", "list", "--node", n.url)
	require.Equal(t, 0, code, errOut)
	assert.Regexp(t, `Good_1\.0\.0\.car\s+Good_1\.0\.0\s+deployed`, out)

	// Faulty: exit 1 at once, naming the node, the id and Carbon's line.
	bad := brokenCApp(t)
	start := time.Now()
	code, out, errOut = runCLI(t, "--config", cfg, "capp", "push", bad, "--node", n.url, "--via", "direct", "--wait", "30s")
	require.Equal(t, 1, code, "%s\n%s", out, errOut)
	assert.Less(t, time.Since(start), 10*time.Second)
	assert.Contains(t, errOut, n.url+": C-App Broken_1.0.0 (Broken_1.0.0.car) is faulty: Deployment of synapse artifact failed")
	assert.Contains(t, out, "FAULTY on "+n.url+": C-App Broken_1.0.0")

	code, out, _ = runCLI(t, "--config", cfg, "capp", "list", "--node", n.url)
	require.Equal(t, 0, code)
	assert.Regexp(t, `Broken_1\.0\.0\.car\s+Broken_1\.0\.0\s+faulty`, out)
	assert.Contains(t, out, "faulty Broken_1.0.0.car: Deployment of synapse artifact failed")

	// --until present does not wait for Carbon.
	code, out, errOut = runCLI(t, "--config", cfg, "capp", "push", bad, "--node", n.url, "--via", "direct", "--wait", "5s", "--until", "present", "-o", "json")
	require.Equal(t, 0, code, "%s\n%s", out, errOut)
	assert.True(t, parsePush(t, out).Wait.OK)
}

func TestCappPushUntilIsChecked(t *testing.T) {
	cfg := noConfig(t)
	code, _, errOut := runCLI(t, "--config", cfg, "capp", "push", "x.car", "--until", "running")
	assert.Equal(t, 2, code)
	assert.Contains(t, errOut, "--until")
}

func TestCarbonStatusAndGauge(t *testing.T) {
	dir := t.TempDir()
	logFile := filepath.Join(dir, "wso2carbon.log")
	now := time.Date(2024, 5, 1, 10, 0, 0, 0, time.Local)
	var b strings.Builder
	rec := func(level, msg string, trace ...string) {
		b.WriteString(carbontest.Format(carbontest.LayoutEI61, -1234, "", carbontest.Record{Time: now, Level: level,
			Logger: carbontest.LoggerAppManager, Msg: msg, Trace: trace}))
	}
	rec("INFO", "Deploying Carbon Application : A_1.0.0.car...")
	rec("INFO", "Successfully Deployed Carbon Application : A_1.0.0 {super-tenant}")
	rec("INFO", "Deploying Carbon Application : B_1.0.0.car...")
	rec("ERROR", "Error occurred while deploying Carbon Application", "org.apache.axis2.deployment.DeploymentException: boom")
	rec("INFO", "Reverting successfully deployed artifcats in this CApp : B_1.0.0")
	require.NoError(t, os.WriteFile(logFile, []byte(b.String()), 0o644))

	cfg := &config.Config{Carbon: config.Carbon{LogFile: logFile}}
	reg := prometheus.NewRegistry()
	r := newCarbonLog(cfg, reg, slog.New(slog.DiscardHandler))
	require.NotNil(t, r)
	r.Poll()

	var st api.Status
	carbonStatus(r)(&st)
	require.Equal(t, &api.CarbonLog{Path: logFile, Readable: true}, st.CarbonLog)
	require.Len(t, st.FaultyCApps, 1)
	assert.Equal(t, "B_1.0.0", st.FaultyCApps[0].ID)
	assert.Equal(t, "faulty", st.FaultyCApps[0].State)
	assert.Equal(t, "org.apache.axis2.deployment.DeploymentException: boom", st.FaultyCApps[0].Error)

	var out strings.Builder
	printStatus(&out, "http://127.0.0.1:9780", &st, now)
	assert.Contains(t, out.String(), "carbon log: "+logFile+": 1 faulty C-App(s)")
	assert.Contains(t, out.String(), "FAULTY: B_1.0.0 (B_1.0.0.car) since 2024-05-01 10:00:00: org.apache.axis2.deployment.DeploymentException: boom")

	n, err := testutil.GatherAndCount(reg, "depsync_capps")
	require.NoError(t, err)
	assert.Equal(t, len(carbonlog.States), n)
	require.NoError(t, testutil.GatherAndCompare(reg, strings.NewReader(`
# HELP depsync_capps C-Apps by the state Carbon's log gives them (deploying, deployed, faulty, undeployed, unknown), since Carbon's last start.
# TYPE depsync_capps gauge
depsync_capps{state="deployed"} 1
depsync_capps{state="deploying"} 0
depsync_capps{state="faulty"} 1
depsync_capps{state="undeployed"} 0
depsync_capps{state="unknown"} 0
`), "depsync_capps"))

	// No log path at all: no reader, nothing added.
	assert.Nil(t, newCarbonLog(&config.Config{}, prometheus.NewRegistry(), slog.New(slog.DiscardHandler)))
	assert.Nil(t, carbonStatus(nil))

	// A log that is not there: not readable, said in status.
	missing := carbonlog.New(filepath.Join(dir, "none.log"), carbonlog.Options{Logger: slog.New(slog.DiscardHandler)})
	missing.Poll()
	st = api.Status{}
	carbonStatus(missing)(&st)
	assert.False(t, st.CarbonLog.Readable)
	out.Reset()
	printStatus(&out, "http://127.0.0.1:9780", &st, now)
	assert.Contains(t, out.String(), "not readable")
}
