package deploy

import (
	"io"
	"os"
	"os/exec"
	"syscall"
	"testing"
	"time"

	"github.com/depsync/depsync/deploy/client"
	"github.com/stretchr/testify/require"
)

// child is a copy of the test binary running one test as a subprocess.
type child struct {
	cmd   *exec.Cmd
	stdin io.WriteCloser
}

func crashChild(t *testing.T, test, dir string) *child {
	t.Helper()
	cmd := exec.Command(os.Args[0], "-test.run=^"+test+"$", "-test.count=1")
	cmd.Env = append(os.Environ(), "DEPSYNC_TEST_CRASH_CHILD=1", "DEPSYNC_TEST_CRASH_DIR="+dir)
	in, err := cmd.StdinPipe()
	require.NoError(t, err)
	cmd.Stdout, cmd.Stderr = os.Stderr, os.Stderr
	require.NoError(t, cmd.Start())
	return &child{cmd: cmd, stdin: in}
}

func (c *child) feed(t *testing.T, b []byte) {
	_, err := c.stdin.Write(b)
	require.NoError(t, err)
}

func (c *child) kill() {
	if c.cmd.ProcessState == nil {
		_ = c.cmd.Process.Signal(syscall.SIGKILL)
		_ = c.cmd.Wait()
	}
}

// waitFor polls cond for up to 20 s.
func waitFor(t testing.TB, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(20 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatal("condition not met within 20s")
		}
		time.Sleep(20 * time.Millisecond)
	}
}

func testClient(t testing.TB, opts ...func(*client.Options)) *client.Client {
	t.Helper()
	o := client.Options{Token: testToken, RetryMax: 2, RetryWaitMin: 10 * time.Millisecond, RetryWaitMax: 50 * time.Millisecond}
	for _, f := range opts {
		f(&o)
	}
	c, err := client.New(o)
	require.NoError(t, err)
	return c
}

// manifest maps file -> sha256 of a directory's C-Apps.
func manifest(t testing.TB, dir string) map[string]string {
	t.Helper()
	s, err := NewStore(dir, 0)
	require.NoError(t, err)
	l, err := s.List()
	require.NoError(t, err)
	out := map[string]string{}
	for _, e := range l {
		out[e.File] = e.SHA256
	}
	return out
}
