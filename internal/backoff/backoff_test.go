package backoff

import (
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
)

func TestExponential(t *testing.T) {
	for _, tc := range []struct {
		attempt int
		want    time.Duration
	}{
		{-1, time.Second},
		{0, time.Second},
		{1, 2 * time.Second},
		{3, 8 * time.Second},
		{6, time.Minute}, // 64s capped
		{62, time.Minute},
		{1 << 20, time.Minute}, // no overflow
	} {
		assert.Equal(t, tc.want, Exponential(time.Second, time.Minute, tc.attempt), "attempt %d", tc.attempt)
	}
}

func TestSpread(t *testing.T) {
	lo, hi := time.Duration(1<<62), time.Duration(0)
	for range 1000 {
		d := Spread(10*time.Second, 0.2)
		assert.GreaterOrEqual(t, d, 8*time.Second)
		assert.LessOrEqual(t, d, 12*time.Second)
		lo, hi = min(lo, d), max(hi, d)
	}
	assert.Less(t, lo, 9*time.Second, "spread downwards")
	assert.Greater(t, hi, 11*time.Second, "spread upwards")
	assert.Equal(t, time.Duration(0), Spread(0, 0.2))
}

func TestEqual(t *testing.T) {
	lo, hi := time.Duration(1<<62), time.Duration(0)
	for range 1000 {
		d := Equal(10 * time.Second)
		assert.GreaterOrEqual(t, d, 5*time.Second)
		assert.LessOrEqual(t, d, 10*time.Second)
		lo, hi = min(lo, d), max(hi, d)
	}
	assert.Less(t, lo, 6*time.Second)
	assert.Greater(t, hi, 9*time.Second)
	assert.Equal(t, time.Duration(0), Equal(0))
}
