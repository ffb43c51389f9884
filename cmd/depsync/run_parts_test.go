package main

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/depsync/depsync/config"
	"github.com/depsync/depsync/internal/guard"
	"github.com/depsync/depsync/internal/svntest"
	"github.com/depsync/depsync/svn"
	"github.com/depsync/depsync/syncer"
)

// TestDaemonPartsAreTheNodesOnly: the daemon is built of the parts
// daemonParts makes (syncer.New makes none of its own), and run lends its
// guard and backups keeper to the C-App store and the reconciler, so that a
// node has one of each, their metrics on the node's registry; an approval
// has the reconciler look again.
func TestDaemonPartsAreTheNodesOnly(t *testing.T) {
	svntest.Require(t, "svn")
	home := t.TempDir()
	dir := filepath.Join(home, "repository", "deployment", "server")
	require.NoError(t, os.MkdirAll(filepath.Join(dir, "carbonapps"), 0o755))
	y := "role: manager\nnode_name: node1\nstate_dir: " + filepath.Join(home, "state") +
		"\ncarbon:\n  home: " + home +
		"\nsvn:\n  url: http://svn.invalid/repo\npeers:\n  - http://127.0.0.1:9781\n"
	p := filepath.Join(t.TempDir(), "depsync.yaml")
	require.NoError(t, os.WriteFile(p, []byte(y), 0o600))
	t.Setenv("DEPSYNC_TOKEN", "secret-token-0123456789abcdef0123456789")
	c, err := config.Load(config.Options{File: p})
	require.NoError(t, err)

	reg := prometheus.NewRegistry()
	approved := 0
	deps, err := daemonParts(c, reg, nil, func() { approved++ })
	require.NoError(t, err)
	assert.IsType(t, &svn.Client{}, deps.SVN)
	assert.NotNil(t, deps.HTTPClient)
	_, err = syncer.New(c, deps)
	require.NoError(t, err, "the parts are all New needs")

	push, err := newDirectPush(c, reg, deps.Backups, deps.Guard, nil)
	require.NoError(t, err)
	assert.Same(t, deps.Guard, push.guard, "one guard")
	assert.Same(t, deps.Backups, push.backups, "one backups keeper")
	require.NotNil(t, push.reconciler)

	mfs, err := reg.Gather()
	require.NoError(t, err)
	var names []string
	for _, mf := range mfs {
		names = append(names, mf.GetName())
	}
	for _, m := range []string{"depsync_deletions_held", "depsync_backup_bytes", "depsync_mode"} {
		assert.Contains(t, strings.Join(names, " "), m)
	}

	deps.Guard.Check(guard.Pass{Scope: "tenant -1234", Deleted: []string{"carbonapps/A_1.0.0.car"}, Total: 1,
		Reason: guard.ReasonEmptied})
	require.Len(t, deps.Guard.Approve(), 1)
	assert.Equal(t, 1, approved, "an approval is told")

	// Without svn.url there is no svn client to make.
	c.SVN.URL = ""
	deps, err = daemonParts(c, prometheus.NewRegistry(), nil, nil)
	require.NoError(t, err)
	assert.Nil(t, deps.SVN)
}

// TestDaemonPartsRefuseABadCAFile: a tls.ca_file that cannot be read is
// the operator's to fix (exit 2), as it was when syncer.New made the
// client of notices.
func TestDaemonPartsRefuseABadCAFile(t *testing.T) {
	c := &config.Config{StateDir: t.TempDir(), TLS: config.TLS{CAFile: filepath.Join(t.TempDir(), "missing.pem")}}
	_, err := daemonParts(c, prometheus.NewRegistry(), nil, nil)
	require.Error(t, err)
	assert.True(t, syncer.IsConfigError(err), "%v", err)
}
