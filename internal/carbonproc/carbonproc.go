// Package carbonproc finds the Carbon JVMs running a Carbon home and when
// each started, from /proc: so that depsync can tell whether a JVM that
// read carbon.xml while Carbon's own Deployment Synchronizer was on is
// still alive (it keeps that synchronizer running until it restarts).
//
// A JVM of a home is the live process named by <home>/wso2carbon.pid
// (Carbon's org.wso2.carbon.server.Main writes it) or any process whose
// command line carries -Dcarbon.home=<home>. Its start time is the
// starttime of /proc/<pid>/stat after the boot time of /proc/stat.
package carbonproc

import (
	"bytes"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"time"
)

// ErrNoProc is returned where there is no /proc (systems other than
// Linux): which processes run, and since when, cannot be told.
var ErrNoProc = errors.New("no /proc: cannot tell which Carbon processes run")

// PIDFile is the name of the file under a Carbon home that holds the
// JVM's process id.
const PIDFile = "wso2carbon.pid"

// Ways a process was found.
const (
	ViaPIDFile = PIDFile
	ViaCmdline = "-Dcarbon.home"
)

// userHZ is the unit of /proc/<pid>/stat's starttime: USER_HZ, 100 on
// every Linux architecture's ABI.
const userHZ = 100

// Proc is a process running a Carbon home.
type Proc struct {
	PID int
	// Start is when it started. Computed from the boot time, which
	// /proc/stat gives in whole seconds, it is up to a second early.
	Start time.Time
	// Via says how it was found: ViaPIDFile or ViaCmdline.
	Via string
}

func (p Proc) String() string {
	return fmt.Sprintf("pid %d (found by %s, started %s)", p.PID, p.Via, p.Start.UTC().Format(time.RFC3339))
}

// Find returns the processes running home, read from the proc file
// system at root ("/proc"), each once. The pid file counts only when its
// process started before the file was written: a process that started
// after has taken the pid of a JVM that is gone. It returns ErrNoProc
// when root is not a proc file system.
func Find(root, home string) ([]Proc, error) {
	btime, err := bootTime(root)
	if err != nil {
		return nil, err
	}
	start := func(pid int) (time.Time, bool) {
		data, err := os.ReadFile(filepath.Join(root, strconv.Itoa(pid), "stat"))
		if err != nil {
			return time.Time{}, false // gone meanwhile
		}
		ticks, err := parseStartTicks(data)
		if err != nil || exited(data) {
			return time.Time{}, false
		}
		return startTime(btime, ticks), true
	}

	var found []Proc
	seen := map[int]bool{}
	pidFile := filepath.Join(home, PIDFile)
	if pid, mtime, ok := readPIDFile(pidFile); ok {
		if at, ok := start(pid); ok && !at.After(mtime) {
			found = append(found, Proc{PID: pid, Start: at, Via: ViaPIDFile})
			seen[pid] = true
		}
	}

	ents, err := os.ReadDir(root)
	if err != nil {
		return nil, fmt.Errorf("%w: %w", ErrNoProc, err)
	}
	homes := sameHomes(home)
	for _, e := range ents {
		pid, err := strconv.Atoi(e.Name())
		if err != nil || pid <= 0 || seen[pid] {
			continue
		}
		cmd, err := os.ReadFile(filepath.Join(root, e.Name(), "cmdline"))
		if err != nil || !CmdlineRuns(cmd, homes) {
			continue
		}
		if at, ok := start(pid); ok {
			found = append(found, Proc{PID: pid, Start: at, Via: ViaCmdline})
			seen[pid] = true
		}
	}
	return found, nil
}

// StartedBefore returns the processes that started before t: those that
// may have read a carbon.xml that t changed.
func StartedBefore(procs []Proc, t time.Time) []Proc {
	var old []Proc
	for _, p := range procs {
		if p.Start.Before(t) {
			old = append(old, p)
		}
	}
	return old
}

// bootTime reads btime from <root>/stat.
func bootTime(root string) (time.Time, error) {
	data, err := os.ReadFile(filepath.Join(root, "stat"))
	if err != nil {
		if errors.Is(err, fs.ErrNotExist) {
			return time.Time{}, ErrNoProc
		}
		return time.Time{}, fmt.Errorf("%w: %w", ErrNoProc, err)
	}
	secs, err := parseBtime(data)
	if err != nil {
		return time.Time{}, fmt.Errorf("%w: %s/stat: %w", ErrNoProc, root, err)
	}
	return time.Unix(secs, 0), nil
}

// parseBtime reads the "btime <seconds since the epoch>" line of /proc/stat.
func parseBtime(data []byte) (int64, error) {
	for _, line := range strings.Split(string(data), "\n") {
		f := strings.Fields(line)
		if len(f) == 2 && f[0] == "btime" {
			return strconv.ParseInt(f[1], 10, 64)
		}
	}
	return 0, errors.New("no btime line")
}

// parseStartTicks reads starttime (field 22, in clock ticks after boot)
// from a /proc/<pid>/stat line. The command name (field 2) is in
// parentheses and may itself hold spaces and parentheses: the fields are
// counted after its last ')'.
func parseStartTicks(data []byte) (int64, error) {
	i := bytes.LastIndexByte(data, ')')
	if i < 0 {
		return 0, errors.New("malformed stat: no ')'")
	}
	f := strings.Fields(string(data[i+1:]))
	const idx = 22 - 3 // the fields after ')' start at field 3
	if len(f) <= idx {
		return 0, fmt.Errorf("malformed stat: %d fields after the command", len(f))
	}
	return strconv.ParseInt(f[idx], 10, 64)
}

// exited reports whether a /proc/<pid>/stat line is of a process that has
// ended (a zombie its parent has not reaped yet, or dead): it runs
// nothing any more.
func exited(data []byte) bool {
	i := bytes.LastIndexByte(data, ')')
	f := strings.Fields(string(data[i+1:]))
	return len(f) > 0 && (f[0] == "Z" || f[0] == "X")
}

func startTime(btime time.Time, ticks int64) time.Time {
	return btime.Add(time.Duration(ticks) * (time.Second / userHZ))
}

// readPIDFile reads the pid in a pid file and the file's mtime.
func readPIDFile(path string) (int, time.Time, bool) {
	fi, err := os.Stat(path)
	if err != nil || !fi.Mode().IsRegular() || fi.Size() > 64 {
		return 0, time.Time{}, false
	}
	data, err := os.ReadFile(path)
	if err != nil {
		return 0, time.Time{}, false
	}
	pid, err := strconv.Atoi(strings.TrimSpace(string(data)))
	if err != nil || pid <= 0 {
		return 0, time.Time{}, false
	}
	return pid, fi.ModTime(), true
}

// sameHomes returns the spellings of home a command line may use: as
// given, cleaned, and with its symlinks resolved.
func sameHomes(home string) []string {
	homes := []string{filepath.Clean(home)}
	if real, err := filepath.EvalSymlinks(home); err == nil && real != homes[0] {
		homes = append(homes, real)
	}
	return homes
}

// CmdlineRuns reports whether a /proc/<pid>/cmdline (arguments separated
// by NUL) carries -Dcarbon.home= one of homes.
func CmdlineRuns(cmdline []byte, homes []string) bool {
	const prefix = "-Dcarbon.home="
	for _, arg := range bytes.Split(cmdline, []byte{0}) {
		v, ok := strings.CutPrefix(string(arg), prefix)
		if !ok || v == "" {
			continue
		}
		v = filepath.Clean(strings.Trim(v, `"'`))
		for _, h := range homes {
			if v == h {
				return true
			}
		}
		if real, err := filepath.EvalSymlinks(v); err == nil {
			for _, h := range homes {
				if real == h {
					return true
				}
			}
		}
	}
	return false
}
