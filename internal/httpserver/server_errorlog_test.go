package httpserver

import (
	"context"
	"encoding/json"
	"log/slog"
	"net"
	"net/http"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/depsync/depsync/config"
	"github.com/depsync/depsync/internal/testtls"
)

// lockedLog is a slog destination safe for the server's goroutines.
type lockedLog struct {
	mu sync.Mutex
	b  strings.Builder
}

func (l *lockedLog) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.Write(p)
}

func (l *lockedLog) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.String()
}

// TestServerErrorLogGoesThroughSlog: the server's own lines (a failed TLS
// handshake) reach the Options.ErrorLog, here a JSON slog handler,
// rather than the standard logger.
func TestServerErrorLogGoesThroughSlog(t *testing.T) {
	certFile, keyFile := testtls.SelfSigned(t, t.TempDir())
	var out lockedLog
	errLog := slog.NewLogLogger(slog.NewJSONHandler(&out, nil), slog.LevelWarn)
	srv := NewWith("127.0.0.1:0", http.NotFoundHandler(),
		config.TLS{CertFile: certFile, KeyFile: keyFile}, Options{ErrorLog: errLog})
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	ctx, cancel := context.WithCancel(context.Background())
	served := make(chan error, 1)
	go func() { served <- Serve(ctx, srv, ln) }()
	defer func() { cancel(); <-served }()

	conn, err := net.DialTimeout("tcp", ln.Addr().String(), 5*time.Second)
	require.NoError(t, err)
	_, err = conn.Write([]byte("\x16\x03\x01\x00\x05hello-not-tls"))
	require.NoError(t, err)
	require.NoError(t, conn.Close())

	require.Eventually(t, func() bool { return strings.Contains(out.String(), "TLS handshake error") },
		10*time.Second, 20*time.Millisecond, "the handshake error in the slog handler")
	line := strings.SplitN(strings.TrimSpace(out.String()), "\n", 2)[0]
	var rec map[string]any
	require.NoError(t, json.Unmarshal([]byte(line), &rec), "one JSON record per line: %s", line)
	assert.Equal(t, "WARN", rec["level"])
	assert.Contains(t, rec["msg"], "http: TLS handshake error from 127.0.0.1:")
}
