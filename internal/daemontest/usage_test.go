package daemontest

import (
	"os"
	"os/exec"
	"runtime"
	"strconv"
	"syscall"
	"testing"
	"time"
)

// A process group leader that runs a busy child, first while the child
// runs and then once it has finished: the child's CPU counts in
// WithChildren both times, and not in the leader's own Ticks.
func TestProcUsageCountsChildren(t *testing.T) {
	if runtime.GOOS != "linux" {
		t.Skip("reads /proc")
	}
	if _, err := exec.LookPath("sh"); err != nil {
		t.Skip("no sh")
	}
	// The child spins until the file named by $1 is gone; the leader then
	// waits for it and sleeps.
	stop := t.TempDir() + "/spin"
	if err := os.WriteFile(stop, nil, 0o644); err != nil {
		t.Fatal(err)
	}
	cmd := exec.Command("sh", "-c", `sh -c 'while [ -e "$1" ]; do :; done' spin "$1"; exec sleep 60`, "leader", stop)
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		_ = syscall.Kill(-cmd.Process.Pid, syscall.SIGKILL)
		_ = cmd.Wait()
	})
	pid := cmd.Process.Pid
	before, err := ProcUsage(pid)
	if err != nil {
		t.Fatal(err)
	}
	// The child's ticks count while it runs. Waited for rather than
	// measured over a second: on a loaded machine the child's share of a
	// core is anyone's guess, but its ticks do come.
	var running Usage
	Eventually(t, 30*time.Second, "the spinning child's CPU to count for the leader", func() bool {
		running, err = ProcUsage(pid)
		return err == nil && running.WithChildren-before.WithChildren >= 20
	})
	if cpu := CPUPercent(before, running); cpu <= 0 {
		t.Errorf("with the child spinning: %.1f%% of a core, want more than 0", cpu)
	}
	if err := os.Remove(stop); err != nil {
		t.Fatal(err)
	}
	// The leader has waited for the child once it execs sleep.
	var done Usage
	Eventually(t, 10*time.Second, "the leader to exec sleep", func() bool {
		data, err := os.ReadFile("/proc/" + strconv.Itoa(pid) + "/comm")
		if err != nil || string(data) != "sleep\n" {
			return false
		}
		done, err = ProcUsage(pid)
		return err == nil
	})
	if done.WithChildren < running.WithChildren {
		t.Errorf("after the child finished: %d ticks with children, want at least the %d seen while it ran",
			done.WithChildren, running.WithChildren)
	}
	if own := done.Ticks - before.Ticks; own*2 > done.WithChildren-before.WithChildren {
		t.Errorf("the leader's own ticks %d are most of the %d with children: the child is not counted apart",
			own, done.WithChildren-before.WithChildren)
	}
	if done.RSSKB <= 0 {
		t.Errorf("RSS %d kB, want > 0", done.RSSKB)
	}
}
