//go:build unix

package procgroup

import (
	"os/exec"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// TestKillReachesTheWholeGroup: the child leads a group of its own, and
// Kill ends its own children too (what a timed-out svn leaves behind).
func TestKillReachesTheWholeGroup(t *testing.T) {
	cmd := exec.Command("sh", "-c", "sleep 60 & echo $!; wait")
	cmd.SysProcAttr = Attr(syscall.SIGKILL)
	out, err := cmd.StdoutPipe()
	require.NoError(t, err)
	require.NoError(t, cmd.Start())
	buf := make([]byte, 32)
	n, err := out.Read(buf)
	require.NoError(t, err)
	grandchild, err := strconv.Atoi(strings.TrimSpace(string(buf[:n])))
	require.NoError(t, err)

	pgid, err := syscall.Getpgid(cmd.Process.Pid)
	require.NoError(t, err)
	assert.Equal(t, cmd.Process.Pid, pgid, "the child leads its own group")
	own, err := syscall.Getpgid(0)
	require.NoError(t, err)
	assert.NotEqual(t, own, pgid, "not the test's group")

	Kill(cmd.Process.Pid)
	_ = cmd.Wait()
	require.Eventually(t, func() bool {
		// Gone, or a zombie waiting for init: either way not running.
		return syscall.Kill(grandchild, 0) != nil || zombie(grandchild)
	}, 10*time.Second, 10*time.Millisecond, "the grandchild is killed with the group")
}

func zombie(pid int) bool {
	out, err := exec.Command("ps", "-o", "stat=", "-p", strconv.Itoa(pid)).Output()
	return err != nil || strings.HasPrefix(strings.TrimSpace(string(out)), "Z")
}
