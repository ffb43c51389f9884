package client

import (
	"testing"
	"time"

	"github.com/stretchr/testify/require"
)

func TestJitterBackoff(t *testing.T) {
	for attempt := 0; attempt < 40; attempt++ {
		d := jitterBackoff(100*time.Millisecond, 5*time.Second, attempt, nil)
		require.Greater(t, d, time.Duration(0))
		require.LessOrEqual(t, d, 5*time.Second)
	}
	require.LessOrEqual(t, jitterBackoff(100*time.Millisecond, 5*time.Second, 0, nil), 100*time.Millisecond)
}
