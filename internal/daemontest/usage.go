package daemontest

import (
	"bytes"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"
)

// userHZ is the unit of the clock ticks in /proc/<pid>/stat (USER_HZ,
// 100 on every Linux that matters here).
const userHZ = 100

// Usage is what a process has used up to At, read from /proc.
type Usage struct {
	At time.Time
	// Ticks are the process's own user+system clock ticks.
	Ticks int64
	// WithChildren adds those of its children: the finished ones it has
	// waited for, and those still running in its process group (a daemon
	// started by Node.Start leads its group, and its svn runs are in it).
	WithChildren int64
	// RSSKB is the process's own resident memory in kB.
	RSSKB int64
}

// ProcUsage reads pid's Usage now.
func ProcUsage(pid int) (Usage, error) {
	u := Usage{At: time.Now()}
	f, err := statFields(pid)
	if err != nil {
		return Usage{}, err
	}
	if u.Ticks, err = sumFields(pid, f, 11, 12); err != nil { // utime, stime
		return Usage{}, err
	}
	waited, err := sumFields(pid, f, 13, 14) // cutime, cstime
	if err != nil {
		return Usage{}, err
	}
	u.WithChildren = u.Ticks + waited
	live, err := groupTicks(pid)
	if err != nil {
		return Usage{}, err
	}
	u.WithChildren += live
	status, err := os.ReadFile(fmt.Sprintf("/proc/%d/status", pid))
	if err != nil {
		return Usage{}, err
	}
	for _, l := range strings.Split(string(status), "\n") {
		if strings.HasPrefix(l, "VmRSS:") {
			if u.RSSKB, err = strconv.ParseInt(strings.Fields(l)[1], 10, 64); err != nil {
				return Usage{}, fmt.Errorf("/proc/%d/status VmRSS: %w", pid, err)
			}
		}
	}
	return u, nil
}

// statFields are the fields of /proc/<pid>/stat after the command name
// (which is in parentheses and may hold spaces): index 0 is the state.
func statFields(pid int) ([]string, error) {
	stat, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", pid))
	if err != nil {
		return nil, err
	}
	i := bytes.LastIndexByte(stat, ')')
	if i < 0 || i+2 > len(stat) {
		return nil, fmt.Errorf("/proc/%d/stat: unexpected %q", pid, stat)
	}
	f := strings.Fields(string(stat[i+2:]))
	if len(f) < 15 {
		return nil, fmt.Errorf("/proc/%d/stat: %d fields, want at least 15", pid, len(f))
	}
	return f, nil
}

func sumFields(pid int, f []string, idx ...int) (int64, error) {
	var sum int64
	for _, i := range idx {
		v, err := strconv.ParseInt(f[i], 10, 64)
		if err != nil {
			return 0, fmt.Errorf("/proc/%d/stat field %d: %w", pid, i+3, err)
		}
		sum += v
	}
	return sum, nil
}

// groupTicks sums the user+system ticks, with their waited-for children's,
// of the live processes of process group pgid other than its leader.
func groupTicks(pgid int) (int64, error) {
	dirs, err := filepath.Glob("/proc/[0-9]*")
	if err != nil {
		return 0, err
	}
	var sum int64
	for _, d := range dirs {
		pid, err := strconv.Atoi(filepath.Base(d))
		if err != nil || pid == pgid {
			continue
		}
		f, err := statFields(pid)
		if err != nil || f[2] != strconv.Itoa(pgid) { // gone since the glob, or another group
			continue
		}
		if ticks, err := sumFields(pid, f, 11, 12, 13, 14); err == nil {
			sum += ticks
		}
	}
	return sum, nil
}

// CPUPercent is the share of one core used between two Usages of the same
// process, with its children.
func CPUPercent(before, after Usage) float64 {
	secs := after.At.Sub(before.At).Seconds()
	if secs <= 0 {
		return 0
	}
	return float64(after.WithChildren-before.WithChildren) / userHZ / secs * 100
}

// Idle is one node's cost while nothing changes.
type Idle struct {
	Name string
	// CPU is the percent of a core the daemon used with its svn children;
	// OwnCPU without them.
	CPU, OwnCPU float64
	// RSSMB is the daemon's resident memory at the end of the window.
	RSSMB  float64
	Window time.Duration
}

func (i Idle) String() string {
	return fmt.Sprintf("CPU %.2f%% of a core over %s with its svn children (%.2f%% alone), RSS %.1f MB",
		i.CPU, i.Window, i.OwnCPU, i.RSSMB)
}

// MeasureIdle reads each node's usage, waits window and reads it again.
func MeasureIdle(t testing.TB, window time.Duration, nodes ...*Node) []Idle {
	t.Helper()
	before := make([]Usage, len(nodes))
	for i, n := range nodes {
		u, err := ProcUsage(n.Pid())
		if err != nil {
			t.Fatalf("%s: %v", n.Name, err)
		}
		before[i] = u
	}
	time.Sleep(window)
	out := make([]Idle, len(nodes))
	for i, n := range nodes {
		u, err := ProcUsage(n.Pid())
		if err != nil {
			t.Fatalf("%s: %v", n.Name, err)
		}
		secs := u.At.Sub(before[i].At).Seconds()
		out[i] = Idle{
			Name:   n.Name,
			CPU:    CPUPercent(before[i], u),
			OwnCPU: float64(u.Ticks-before[i].Ticks) / userHZ / secs * 100,
			RSSMB:  float64(u.RSSKB) / 1024,
			Window: window,
		}
	}
	return out
}
