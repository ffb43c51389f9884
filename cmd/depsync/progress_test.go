package main

import (
	"bytes"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/depsync/depsync/carbonapp"
)

func sized(sizes ...int64) []*localCApp {
	out := make([]*localCApp, len(sizes))
	for i, s := range sizes {
		out[i] = &localCApp{app: &carbonapp.App{Size: s}}
	}
	return out
}

// TestProgressOnlyOnATerminal: a pipe, a file or a buffer never gets a
// bar, whatever the size; nor does a push of small C-Apps.
func TestProgressOnlyOnATerminal(t *testing.T) {
	f, err := os.Create(filepath.Join(t.TempDir(), "log"))
	require.NoError(t, err)
	t.Cleanup(func() { f.Close() })
	r, w, err := os.Pipe()
	require.NoError(t, err)
	t.Cleanup(func() { r.Close(); w.Close() })
	for name, out := range map[string]io.Writer{"file": f, "pipe": w, "buffer": &bytes.Buffer{}} {
		t.Run(name, func(t *testing.T) {
			assert.Nil(t, newProgress(out, sized(8<<20), 2))
		})
	}
	var buf bytes.Buffer
	assert.Nil(t, startProgress(&buf, sized(100<<10, progressMin), 3), "no C-App over 1 MB")

	// A nil bar takes every call.
	var p *progress
	assert.Nil(t, p.tracker(0))
	p.done(0, 1)
	p.stop()
}

// TestProgressCounts: the bar adds up every upload, takes back the bytes
// of an upload a retry starts over, fills up and ends its line.
func TestProgressCounts(t *testing.T) {
	var buf bytes.Buffer
	capps := sized(2<<20, 100<<10)
	p := startProgress(&buf, capps, 2)
	require.NotNil(t, p)
	total := int64(2 * (2<<20 + 100<<10))
	require.Equal(t, total, p.bar.GetMax64())

	p.tracker(0)(1 << 20)
	p.tracker(0)(0) // a retry starts over
	p.tracker(2)(1 << 20)
	assert.InDelta(t, float64(1<<20), p.bar.State().CurrentBytes, 0)
	for k, size := range []int64{2 << 20, 100 << 10, 2 << 20, 100 << 10} {
		p.done(k, size)
	}
	assert.True(t, p.bar.IsFinished())
	p.stop()
	out := buf.String()
	assert.Contains(t, out, "pushing")
	assert.Contains(t, out, "100%")
	assert.True(t, strings.HasSuffix(out, "\n"), "the bar's line ends: %q", out)
}
