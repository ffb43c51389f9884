//go:build linux

package e2e

import (
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/depsync/depsync/internal/daemontest"
	"github.com/depsync/depsync/internal/svntest"
	"github.com/depsync/depsync/internal/testcapp"
)

// The rows of issue 15: a 5 MB C-App dropped with cp (a copy straight into
// carbonapps, not atomic) and with mv (written elsewhere, renamed in),
// against the raw svn floor and rsync, and a burst of 100 C-Apps dropped at
// once. Default settings; every drop is a C-App of its own id, so none
// replaces another (Carbon, and direct push, hold one file per id).

// dropKind is how a C-App lands in carbonapps.
type dropKind string

const (
	dropCP dropKind = "cp"
	dropMV dropKind = "mv"
)

func (k dropKind) drop(b *testing.B, src, dir, name string) {
	if k == dropMV {
		daemontest.Drop(b, src, dir, name)
		return
	}
	if err := os.MkdirAll(dir, 0o755); err != nil {
		b.Fatal(err)
	}
	if err := daemontest.CopyFile(src, filepath.Join(dir, name)); err != nil {
		b.Fatal(err)
	}
}

// latency adds the rows of issue 15 to t.
func latency(b *testing.B, bin string, t *table, work string, trials int) {
	const group = "issue 15: 5 MB"
	// One C-App per drop, each of its own id.
	srcs := func(prefix string) []string {
		out := make([]string, trials)
		for i := range out {
			out[i] = capp(b, work, fmt.Sprintf("%s%d", prefix, i), 5<<20)
		}
		return out
	}
	floor := t.add(group, "raw floor: svn add + commit, svn update", "", rawSVN(b, srcs("Lraw")[0], trials))
	for _, k := range []dropKind{dropMV, dropCP} {
		srv := svntest.New(b, svntest.HTTP)
		worker := daemontest.NewNode(b, bin, daemontest.Config{Name: "worker", Role: "worker", SVN: srv})
		manager := daemontest.NewNode(b, bin, daemontest.Config{Name: "manager", Role: "manager", SVN: srv, Peers: []string{worker.URL}})
		t.add(group, "depsync over SVN, "+string(k)+" drop", floor, propagateEach(b, manager, worker, srcs("Lsvn"+string(k)), k))
	}
	rs := t.add(group, "raw floor: rsync into the peer's folder", "", rsyncFloor(b, srcs("Lrsync")))
	for _, k := range []dropKind{dropMV, dropCP} {
		worker := daemontest.NewNode(b, bin, daemontest.Config{Name: "worker", Role: "worker"})
		manager := daemontest.NewNode(b, bin, daemontest.Config{Name: "manager", Role: "manager", Peers: []string{worker.URL}})
		t.add(group, "depsync direct push, "+string(k)+" drop", rs, propagateEach(b, manager, worker, srcs("Ldirect"+string(k)), k))
	}
	burst(b, bin, t, work, min(trials, 3))
}

// propagateEach drops each of srcs on the manager in turn and times it
// until the identical file is on the worker.
func propagateEach(b *testing.B, manager, worker *daemontest.Node, srcs []string, k dropKind) stats {
	worker.Start(b)
	manager.Start(b)
	defer manager.Stop(b)
	defer worker.Stop(b)
	daemontest.WaitReady(b, manager, time.Minute)
	daemontest.WaitReady(b, worker, time.Minute)
	var ds []time.Duration
	var lastErr error
	for _, src := range srcs {
		name := filepath.Base(src)
		settle()
		start := time.Now()
		k.drop(b, src, filepath.Join(manager.Dir, "carbonapps"), name)
		d, err := daemontest.WaitIdentical(src, filepath.Join(worker.Dir, "carbonapps", name), start, 2*time.Minute)
		if err != nil {
			lastErr = err
			continue
		}
		ds = append(ds, d)
		time.Sleep(200 * time.Millisecond)
	}
	return summarize(ds, lastErr)
}

// rsyncFloor is the floor for direct push: rsync of the file into a second
// folder on the same host, until it is whole there.
func rsyncFloor(b *testing.B, srcs []string) stats {
	if _, err := exec.LookPath("rsync"); err != nil {
		return stats{err: fmt.Errorf("rsync not installed")}
	}
	dst := b.TempDir()
	var ds []time.Duration
	for _, src := range srcs {
		target := filepath.Join(dst, filepath.Base(src))
		settle()
		start := time.Now()
		if out, err := exec.Command("rsync", src, target).CombinedOutput(); err != nil {
			b.Fatalf("rsync: %v: %s", err, out)
		}
		d, err := daemontest.WaitIdentical(src, target, start, time.Minute)
		if err != nil {
			b.Fatal(err)
		}
		ds = append(ds, d)
	}
	return summarize(ds, nil)
}

// burst drops 100 C-Apps at once (mv) on a manager over SVN, rounds times,
// and times each round until the last of them is on the worker; the row
// says how many commits the rounds took at most.
func burst(b *testing.B, bin string, t *table, work string, rounds int) {
	const n = 100
	srv := svntest.New(b, svntest.HTTP)
	worker := daemontest.NewNode(b, bin, daemontest.Config{Name: "worker", Role: "worker", SVN: srv})
	manager := daemontest.NewNode(b, bin, daemontest.Config{Name: "manager", Role: "manager", SVN: srv, Peers: []string{worker.URL}})
	worker.Start(b)
	manager.Start(b)
	defer manager.Stop(b)
	defer worker.Stop(b)
	daemontest.WaitReady(b, manager, time.Minute)
	daemontest.WaitReady(b, worker, time.Minute)
	head := func() int {
		out := srv.SVN(b, "info", "--show-item", "revision", srv.URL)
		r, err := strconv.Atoi(strings.TrimSpace(out))
		if err != nil {
			b.Fatalf("svn info: %q: %v", out, err)
		}
		return r
	}
	var ds []time.Duration
	var lastErr error
	maxCommits := 0
	for r := 0; r < rounds; r++ {
		srcs := make([]string, n)
		for i := range srcs {
			app := fmt.Sprintf("Burst%d_%03d", r, i)
			srcs[i] = testcapp.Write(b, work, app+"_1.0.0.car", app, "1.0.0", testcapp.Pad(64<<10))
		}
		before := head()
		settle()
		start := time.Now()
		for _, src := range srcs {
			daemontest.Drop(b, src, filepath.Join(manager.Dir, "carbonapps"), filepath.Base(src))
		}
		var last time.Duration
		for _, src := range srcs {
			d, err := daemontest.WaitIdentical(src, filepath.Join(worker.Dir, "carbonapps", filepath.Base(src)), start, 2*time.Minute)
			if err != nil {
				lastErr = err
				break
			}
			last = max(last, d)
		}
		if lastErr != nil {
			break
		}
		ds = append(ds, last)
		// The worker has every file: every commit of the burst is in.
		maxCommits = max(maxCommits, head()-before)
		time.Sleep(time.Second)
	}
	name := fmt.Sprintf("depsync over SVN: the last on the worker (commits, at most: %d)", maxCommits)
	t.add("issue 15: burst of 100 C-Apps dropped at once (mv)", name, "", summarize(ds, lastErr))
	fmt.Printf("burst of %d C-Apps: at most %d commits in %d rounds\n", n, maxCommits, rounds)
}
