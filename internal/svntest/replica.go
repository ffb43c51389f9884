package svntest

import (
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"
)

// ExampleSyncUser is the user the master's svnsync writes to a replica as
// (examples/svn/hooks).
const ExampleSyncUser = "depsync-sync"

// ReplicaPair is a master and a write-through replica of one repository,
// each an Apache set up with the files of examples/svn the README's
// "Several sites" tells operators to install: the master serves
// apache-depsync-svn.conf and runs hooks/master-post-commit, which
// svnsyncs each commit to the replica in the background; the replica
// serves apache-depsync-svn-replica.conf (reads from its own copy, writes
// through to the master) with hooks/replica-*; svnsync-init.sh started it.
// Both have the same users and passwords; Replica.URL is where the nodes
// of the replica's site read (and may commit).
type ReplicaPair struct {
	Master, Replica *ExampleServer
	// SyncURL is the replica's repository where svnsync writes to it.
	SyncURL string
	// SyncPassword is ExampleSyncUser's.
	SyncPassword string

	delayFile string
}

// NewExampleReplica starts a ReplicaPair whose replica has all of the
// master's revisions. Missing binaries or Apache modules skip or fail the
// test as described for [Require].
func NewExampleReplica(t testing.TB) *ReplicaPair {
	t.Helper()
	Require(t, "svn", "svnadmin", "svnlook", "svnsync", "apache2", "htpasswd")
	if dir := apacheModulesDir(); dir != "" {
		for _, m := range []string{"mod_proxy.so", "mod_proxy_http.so"} {
			if _, err := os.Stat(filepath.Join(dir, m)); err != nil {
				missing(t, m)
			}
		}
	}
	examples := examplesDir(t)
	p := &ReplicaPair{SyncPassword: randomPassword(t)}
	p.Master = NewExample(t, HTTP)
	uuid := output(t, "svnlook", "uuid", p.Master.RepoPath)
	p.Replica = newExample(t, HTTP, exampleSite{
		file:    "apache-depsync-svn-replica.conf",
		users:   [][2]string{{ExampleSyncUser, p.SyncPassword}},
		like:    p.Master,
		modules: []string{"authz_host", "proxy", "proxy_http"},
		values: map[string]string{
			"@MASTER_URI@": strings.TrimSuffix(p.Master.URL, "/repo"),
			"@MASTER_CA@":  p.Master.CACert,
			"@MASTER_IP@":  "127.0.0.1",
		},
		prepare: func(s *Server) {
			// As the replica's site tells the operator to.
			run(t, nil, "svnadmin", "setuuid", s.RepoPath, uuid)
			for _, h := range []string{"start-commit", "pre-revprop-change"} {
				hook := readFile(t, filepath.Join(examples, "hooks", "replica-"+h))
				check(t, os.WriteFile(filepath.Join(s.RepoPath, "hooks", h), []byte(hook), 0o755))
			}
		},
	})
	p.SyncURL = strings.Replace(p.Replica.URL, "/svn/repo", "/svn-sync/repo", 1)

	// svnsync's own directory on the master's host, as svnsync-init.sh
	// makes it; the replica's CA where Apache's user can read it.
	syncDir := filepath.Join(p.Master.dir, "svnsync")
	conf := filepath.Join(syncDir, "config")
	check(t, os.MkdirAll(syncDir, 0o755))
	ca := filepath.Join(syncDir, "replica-ca.pem")
	check(t, os.WriteFile(ca, []byte(readFile(t, p.Replica.CACert)), 0o644))
	if out, err := runInit(t, p.SyncURL, p.Master.RepoPath, conf, ca, p.SyncPassword); err != nil {
		t.Fatalf("svntest: svnsync-init.sh: %v\n%s", err, out)
	}

	// The master's post-commit hook is the example's, started by a wrapper
	// that first waits as long as SetSyncDelay says: a replica that lags.
	log := filepath.Join(syncDir, "svnsync.log")
	check(t, os.WriteFile(log, nil, 0o644))
	hooks := filepath.Join(p.Master.RepoPath, "hooks")
	hook := render(t, "master post-commit hook", readFile(t, filepath.Join(examples, "hooks", "master-post-commit")), map[string]string{
		"@SYNC_URL@":        strings.TrimSuffix(p.SyncURL, "/repo"),
		"@SYNC_CONFIG_DIR@": conf,
		"@SYNC_LOG@":        log,
	})
	example := filepath.Join(hooks, "post-commit.example")
	check(t, os.WriteFile(example, []byte(hook), 0o755))
	p.delayFile = filepath.Join(syncDir, "delay")
	p.SetSyncDelay(t, 0)
	wrapper := fmt.Sprintf("#!/bin/sh\n# svntest: the example's post-commit hook, after the delay in %[1]s.\nPATH=/usr/bin:/bin\nexport PATH\n"+
		"( sleep \"$(cat %[1]q)\"; exec %[2]q \"$@\" ) </dev/null >/dev/null 2>&1 &\n", p.delayFile, example)
	check(t, os.WriteFile(filepath.Join(hooks, "post-commit"), []byte(wrapper), 0o755))
	if os.Geteuid() == 0 {
		check(t, chownToApache(syncDir))
		check(t, chownToApache(p.Master.RepoPath))
	}
	t.Cleanup(func() {
		if t.Failed() {
			t.Logf("svntest: the master's svnsync log:\n%s", readFile(t, log))
		}
	})
	return p
}

// runInit runs examples/svn/svnsync-init.sh, the password on stdin.
func runInit(t testing.TB, syncURL, masterRepo, conf, ca, password string) (string, error) {
	t.Helper()
	cmd := exec.Command("sh", filepath.Join(examplesDir(t), "svnsync-init.sh"), syncURL, masterRepo, conf, ca)
	cmd.Stdin = strings.NewReader(password + "\n")
	out, err := cmd.CombinedOutput()
	return string(out), err
}

// SetSyncDelay makes the master's post-commit hook wait d before it runs
// svnsync: the replica then lags the master by d and svnsync's own time.
func (p *ReplicaPair) SetSyncDelay(t testing.TB, d time.Duration) {
	t.Helper()
	check(t, os.WriteFile(p.delayFile, []byte(strconv.FormatFloat(d.Seconds(), 'f', 3, 64)+"\n"), 0o644))
}

// WaitSyncsDone waits until no post-commit hook of the master is waiting
// or running svnsync (no process names the master's repository or the
// replica's sync URL): a test that measures the lag of one commit must not
// have an earlier commit's svnsync, started late or waiting for svnsync's
// lock on the replica, copy it early.
func (p *ReplicaPair) WaitSyncsDone(t testing.TB, within time.Duration) {
	t.Helper()
	needles := []string{p.Master.RepoPath, p.SyncURL}
	for deadline := time.Now().Add(within); ; time.Sleep(20 * time.Millisecond) {
		busy := running(needles)
		if busy == "" {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("svntest: the master's hooks still run after %v: %s", within, busy)
		}
	}
}

// running is the command line of a process naming one of needles, or "".
func running(needles []string) string {
	procs, _ := filepath.Glob("/proc/[0-9]*/cmdline")
	self := fmt.Sprintf("/proc/%d/cmdline", os.Getpid())
	for _, f := range procs {
		if f == self {
			continue
		}
		data, err := os.ReadFile(f)
		if err != nil {
			continue // gone meanwhile
		}
		line := strings.ReplaceAll(string(data), "\x00", " ")
		for _, n := range needles {
			if strings.Contains(line, n) {
				return line
			}
		}
	}
	return ""
}

// Youngest is the newest revision of the server's repository, read on
// disk (svnlook), so whatever the server's state.
func (s *Server) Youngest(t testing.TB) int64 {
	t.Helper()
	out := output(t, "svnlook", "youngest", s.RepoPath)
	n, err := strconv.ParseInt(out, 10, 64)
	check(t, err)
	return n
}

// output runs a setup command and returns its trimmed stdout, failing the
// test on error.
func output(t testing.TB, name string, args ...string) string {
	t.Helper()
	cmd := exec.Command(lookPath(name), args...)
	var stderr strings.Builder
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	if err != nil {
		t.Fatalf("svntest: %s %s: %v\n%s", name, strings.Join(args, " "), err, stderr.String())
	}
	return strings.TrimSpace(string(out))
}
