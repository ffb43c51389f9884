//go:build linux

package tlsconf

import (
	"path/filepath"
	"syscall"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// TestCAPoolRefusesOddFiles: a tls.ca_file that is a FIFO or a device is
// an error naming it, at once.
func TestCAPoolRefusesOddFiles(t *testing.T) {
	fifo := filepath.Join(t.TempDir(), "ca.pem")
	require.NoError(t, syscall.Mkfifo(fifo, 0o644))
	for _, p := range []string{fifo, "/dev/zero"} {
		ch := make(chan error, 1)
		go func() { _, err := CAPool(p); ch <- err }()
		select {
		case err := <-ch:
			require.Error(t, err)
			assert.Contains(t, err.Error(), "tls.ca_file: open "+p+": not a regular file")
		case <-time.After(10 * time.Second):
			t.Fatalf("CAPool(%s) did not return", p)
		}
	}
}

// TestClientRefusesOddKeyFiles: tls.cert_file or tls.key_file naming a
// FIFO or a device is an error naming it, at once.
func TestClientRefusesOddKeyFiles(t *testing.T) {
	fifo := filepath.Join(t.TempDir(), "node.key")
	require.NoError(t, syscall.Mkfifo(fifo, 0o600))
	for _, p := range []string{fifo, "/dev/zero"} {
		ch := make(chan error, 1)
		go func() { _, err := Client(Options{CertFile: p, KeyFile: p}); ch <- err }()
		select {
		case err := <-ch:
			require.Error(t, err)
			assert.Contains(t, err.Error(), "tls.cert_file/tls.key_file: open "+p+": not a regular file")
		case <-time.After(10 * time.Second):
			t.Fatalf("Client with %s did not return", p)
		}
	}
}
