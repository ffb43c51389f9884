package handover

import (
	"log/slog"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/depsync/depsync/config/carbonxml"
)

func TestPrepareKnowsWhenTheBlockWasTurnedOff(t *testing.T) {
	block := func(enabled string) string {
		return `<Server xmlns="http://wso2.org/projects/carbon/carbon.xml">
    <DeploymentSynchronizer>
        <Enabled>` + enabled + `</Enabled>
        <AutoCommit>true</AutoCommit>
        <AutoCheckout>true</AutoCheckout>
    </DeploymentSynchronizer>
</Server>
`
	}
	const noBlock = `<Server xmlns="http://wso2.org/projects/carbon/carbon.xml"><Name>x</Name></Server>`
	mtime := time.Date(2026, 11, 1, 10, 0, 0, 0, time.UTC)
	tests := []struct {
		name        string
		xml         string
		writeConfig bool
		noSVN       bool
		want        string // "now", "mtime" or "" (nothing to wait for)
	}{
		{"write_config turns an enabled block off: now", block("true"), true, false, "now"},
		{"write_config, block already off: since carbon.xml changed", block("false"), true, false, "mtime"},
		{"write_config, no block before", noBlock, true, false, ""},
		{"block off: since carbon.xml changed", block("false"), false, false, "mtime"},
		{"no block", noBlock, false, false, ""},
		{"no SVN: no working copy to guard", block("true"), true, true, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c := testConfig(t)
			if tt.noSVN {
				c.SVN.URL = ""
			}
			c.Carbon.WriteConfig = tt.writeConfig
			c.Carbon.ConfigFile = filepath.Join(c.Carbon.Home, "repository", "conf", "carbon.xml")
			require.NoError(t, os.MkdirAll(filepath.Dir(c.Carbon.ConfigFile), 0o755))
			require.NoError(t, os.WriteFile(c.Carbon.ConfigFile, []byte(tt.xml), 0o644))
			require.NoError(t, os.Chtimes(c.Carbon.ConfigFile, mtime, mtime))
			before := time.Now()
			h, err := prepare(c, slog.New(slog.DiscardHandler))
			require.NoError(t, err)
			switch tt.want {
			case "":
				assert.True(t, h.off.IsZero(), "%v", h.off)
			case "now":
				assert.False(t, h.off.Before(before), "%v", h.off)
				assert.Equal(t, "depsync turned it off", h.how)
			case "mtime":
				assert.True(t, h.off.Equal(mtime), "%v", h.off)
				assert.Equal(t, "carbon.xml last changed", h.how)
			}
			if !h.off.IsZero() {
				assert.Equal(t, procRoot, h.proc)
				assert.Equal(t, c.Carbon.ConfigFile, h.file)
			}
		})
	}
}

func TestTurnedOff(t *testing.T) {
	changed := time.Date(2026, 11, 1, 10, 0, 0, 0, time.UTC)
	written := changed.Add(time.Hour)
	tests := []struct {
		name    string
		block   *carbonxml.Block
		written time.Time
		want    time.Time
		wantHow string
	}{
		{"no carbon.xml", nil, written, time.Time{}, ""},
		{"no block", &carbonxml.Block{}, written, time.Time{}, ""},
		{"an enabled block depsync turned off", &carbonxml.Block{Present: true, Enabled: true}, written, written, "depsync turned it off"},
		{"a block already off, written", &carbonxml.Block{Present: true}, written, changed, "carbon.xml last changed"},
		{"a block off, left to the operator", &carbonxml.Block{Present: true}, time.Time{}, changed, "carbon.xml last changed"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			off, how := turnedOff(tt.block, changed, tt.written)
			assert.True(t, off.Equal(tt.want), "%v", off)
			assert.Equal(t, tt.wantHow, how)
		})
	}
}
