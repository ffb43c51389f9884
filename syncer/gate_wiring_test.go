package syncer

import (
	"os"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
)

// quiet stops the manager's gate clock twice the debounce after the wall
// clock, as if the test had waited that long: every file written so far has
// been left alone long enough to be committed. It returns the clock's time;
// a file stamped with it (stamp) is one being written right now.
func quiet(m *manager) time.Time {
	at := time.Now().Add(2 * m.times.debounce)
	m.gate.Now = func() time.Time { return at }
	return at
}

// stamp sets a file's times to at.
func stamp(t *testing.T, p string, at time.Time) {
	t.Helper()
	require.NoError(t, os.Chtimes(p, at, at))
}
