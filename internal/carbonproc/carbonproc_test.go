package carbonproc

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"runtime"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

const btime = 1_700_000_000

var boot = time.Unix(btime, 0)

// fakeProc is a proc file system in a folder.
type fakeProc struct {
	t    *testing.T
	root string
}

func newFakeProc(t *testing.T) fakeProc {
	root := t.TempDir()
	require.NoError(t, os.WriteFile(filepath.Join(root, "stat"),
		[]byte("cpu  1 2 3 4\nintr 5\nctxt 6\nbtime "+strconv.Itoa(btime)+"\nprocesses 7\n"), 0o644))
	return fakeProc{t, root}
}

// proc adds a process started secs after boot with those arguments.
func (f fakeProc) proc(pid int, comm string, secs int, args ...string) {
	f.procIn("S", pid, comm, secs, args...)
}

// procIn adds a process in a state (S sleeping, Z zombie...).
func (f fakeProc) procIn(state string, pid int, comm string, secs int, args ...string) {
	dir := filepath.Join(f.root, strconv.Itoa(pid))
	require.NoError(f.t, os.MkdirAll(dir, 0o755))
	// Fields 3..21, then starttime (22) in ticks, then more.
	fields := make([]string, 0, 25)
	fields = append(fields, state)
	for i := 4; i <= 21; i++ {
		fields = append(fields, strconv.Itoa(i))
	}
	fields = append(fields, strconv.Itoa(secs*userHZ), "123456", "789")
	stat := fmt.Sprintf("%d (%s) %s\n", pid, comm, strings.Join(fields, " "))
	require.NoError(f.t, os.WriteFile(filepath.Join(dir, "stat"), []byte(stat), 0o644))
	require.NoError(f.t, os.WriteFile(filepath.Join(dir, "cmdline"), []byte(strings.Join(args, "\x00")+"\x00"), 0o644))
}

func TestFind(t *testing.T) {
	home := t.TempDir()
	link := filepath.Join(t.TempDir(), "carbon-link")
	require.NoError(t, os.Symlink(home, link))
	java := func(h string) []string {
		return []string{"/usr/bin/java", "-Xms256m", "-Dcarbon.home=" + h, "-Dcarbon.config.dir.path=" + h + "/repository/conf",
			"org.wso2.carbon.bootstrap.Bootstrap"}
	}
	tests := []struct {
		name    string
		procs   func(f fakeProc)
		pidFile string
		pidAt   int // seconds after boot the pid file was written
		want    []Proc
	}{
		{name: "nothing runs", procs: func(f fakeProc) { f.proc(1, "init", 0, "/sbin/init") }},
		{name: "found by command line", procs: func(f fakeProc) { f.proc(4242, "java", 100, java(home)...) },
			want: []Proc{{PID: 4242, Start: boot.Add(100 * time.Second), Via: ViaCmdline}}},
		{name: "command line through a symlink, quoted, trailing slash", procs: func(f fakeProc) {
			f.proc(7, "java", 5, "java", `-Dcarbon.home="`+link+`/"`)
		}, want: []Proc{{PID: 7, Start: boot.Add(5 * time.Second), Via: ViaCmdline}}},
		{name: "another home", procs: func(f fakeProc) { f.proc(4242, "java", 100, java(home+"-other")...) }},
		{name: "pid file of a stand-in", procs: func(f fakeProc) { f.proc(99, "sl eep) (x", 50, "sleep", "600") },
			pidFile: "99\n", pidAt: 51, want: []Proc{{PID: 99, Start: boot.Add(50 * time.Second), Via: ViaPIDFile}}},
		{name: "pid file names a process that started after it: a reused pid", procs: func(f fakeProc) { f.proc(99, "bash", 80, "bash") },
			pidFile: "99", pidAt: 60},
		{name: "pid file names no process", pidFile: "12345", pidAt: 60},
		{name: "a zombie runs nothing", procs: func(f fakeProc) { f.procIn("Z", 99, "java", 50, java(home)...) }, pidFile: "99", pidAt: 60},
		{name: "pid file is junk", procs: func(f fakeProc) { f.proc(99, "java", 50, java(home)...) }, pidFile: "java", pidAt: 60,
			want: []Proc{{PID: 99, Start: boot.Add(50 * time.Second), Via: ViaCmdline}}},
		{name: "one process found both ways counts once", procs: func(f fakeProc) { f.proc(99, "java", 50, java(home)...) },
			pidFile: "99", pidAt: 55, want: []Proc{{PID: 99, Start: boot.Add(50 * time.Second), Via: ViaPIDFile}}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f := newFakeProc(t)
			if tt.procs != nil {
				tt.procs(f)
			}
			pf := filepath.Join(home, PIDFile)
			_ = os.Remove(pf)
			if tt.pidFile != "" {
				require.NoError(t, os.WriteFile(pf, []byte(tt.pidFile), 0o644))
				at := boot.Add(time.Duration(tt.pidAt) * time.Second)
				require.NoError(t, os.Chtimes(pf, at, at))
			}
			got, err := Find(f.root, home)
			require.NoError(t, err)
			assert.Equal(t, tt.want, got)
		})
	}
}

func TestFindWithoutProc(t *testing.T) {
	_, err := Find(filepath.Join(t.TempDir(), "nope"), t.TempDir())
	assert.True(t, errors.Is(err, ErrNoProc), "%v", err)
}

func TestFindRealProcess(t *testing.T) {
	if runtime.GOOS != "linux" {
		t.Skip("/proc is Linux's")
	}
	// This test's own process, named by a pid file written after it started.
	home := t.TempDir()
	require.NoError(t, os.WriteFile(filepath.Join(home, PIDFile), []byte(strconv.Itoa(os.Getpid())), 0o644))
	got, err := Find("/proc", home)
	require.NoError(t, err)
	require.Len(t, got, 1)
	assert.Equal(t, os.Getpid(), got[0].PID)
	assert.WithinDuration(t, time.Now(), got[0].Start, 10*time.Minute)
	assert.False(t, got[0].Start.After(time.Now()))
}

func TestStartedBefore(t *testing.T) {
	off := boot.Add(time.Hour)
	old := Proc{PID: 1, Start: off.Add(-time.Second)}
	same := Proc{PID: 2, Start: off}
	newer := Proc{PID: 3, Start: off.Add(time.Second)}
	tests := []struct {
		name  string
		procs []Proc
		want  []Proc
	}{
		{"none", nil, nil},
		{"an old JVM holds", []Proc{old, newer}, []Proc{old}},
		{"restarted", []Proc{newer}, nil},
		{"started the moment it was turned off", []Proc{same}, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			assert.Equal(t, tt.want, StartedBefore(tt.procs, off))
		})
	}
}

func TestParseStartTicks(t *testing.T) {
	tests := []struct {
		in   string
		want int64
		err  bool
	}{
		{"1 (init) S 0 1 1 0 -1 4194560 1 2 3 4 5 6 7 8 20 0 1 0 77 1000 10", 77, false},
		{"2 (a) b) (c) S 0 1 1 0 -1 4194560 1 2 3 4 5 6 7 8 20 0 1 0 88 1000 10", 88, false},
		{"3 (short) S 0 1", 0, true},
		{"no parenthesis", 0, true},
	}
	for _, tt := range tests {
		got, err := parseStartTicks([]byte(tt.in))
		if tt.err {
			assert.Error(t, err, tt.in)
			continue
		}
		require.NoError(t, err, tt.in)
		assert.Equal(t, tt.want, got, tt.in)
	}
}
