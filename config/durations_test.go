package config

import (
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// TestBareNumberIsNotADuration: a duration written without a unit is a
// config error naming the key and an example with a unit, whether it comes
// from the file, a DEPSYNC_* variable or a flag; it is never taken as
// nanoseconds.
func TestBareNumberIsNotADuration(t *testing.T) {
	tests := []struct {
		name      string
		body      string
		env       map[string]string
		overrides map[string]any
		key, hint string
	}{
		{name: "yaml int", body: "svn: {poll_interval: 5}\n", key: "svn.poll_interval", hint: "5s"},
		{name: "yaml backups", body: "backups: {max_age: 30}\n", key: "backups.max_age", hint: "30s"},
		{name: "yaml approval", body: "sync: {approval_ttl: 600}\n", key: "sync.approval_ttl", hint: "600s"},
		{name: "yaml float", body: "sync: {debounce: 0.5}\n", key: "sync.debounce", hint: "0.5s"},
		{name: "yaml quoted", body: "sync: {rescan_interval: '600'}\n", key: "sync.rescan_interval", hint: "600s"},
		{name: "yaml negative", body: "sync: {max_delay: -5}\n", key: "sync.max_delay", hint: "-5s"},
		{name: "env", env: map[string]string{"DEPSYNC_SVN_POLL_INTERVAL": "5"}, key: "svn.poll_interval", hint: "DEPSYNC_SVN_POLL_INTERVAL"},
		{name: "env spaces", env: map[string]string{"DEPSYNC_BACKUPS_MAX_AGE": " 30 "}, key: "backups.max_age", hint: "30s"},
		{name: "flag", overrides: map[string]any{"sync.debounce": 300}, key: "sync.debounce", hint: "300s"},
		{name: "flag string", overrides: map[string]any{"svn.poll_interval": "5"}, key: "svn.poll_interval", hint: "5s"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			for k, v := range tt.env {
				t.Setenv(k, v)
			}
			f := writeFile(t, t.TempDir(), "c.yaml", durBase+tt.body)
			_, err := Load(Options{File: f, Overrides: tt.overrides})
			require.Error(t, err)
			var ve ValidationError
			require.True(t, errors.As(err, &ve), "%v", err)
			assert.Equal(t, tt.key, ve[0].Key)
			assert.Contains(t, err.Error(), "unit")
			assert.Contains(t, err.Error(), tt.hint)
		})
	}
}

// TestDurationsWithUnitsAndZero: units are read as ever; a bare 0 means
// the same in every unit, so it stays allowed (backups.max_age: 0 is "no
// age limit").
func TestDurationsWithUnitsAndZero(t *testing.T) {
	f := writeFile(t, t.TempDir(), "c.yaml", durBase+"svn: {poll_interval: 2s}\nbackups: {max_age: 0}\nsync: {rescan_interval: 1h30m}\n")
	t.Setenv("DEPSYNC_SYNC_DEBOUNCE", "250ms")
	c, err := Load(Options{File: f})
	require.NoError(t, err)
	require.NoError(t, c.Validate())
	assert.Equal(t, 2*time.Second, c.SVN.PollInterval)
	assert.Equal(t, time.Duration(0), c.Backups.MaxAge)
	assert.Equal(t, 90*time.Minute, c.Sync.RescanInterval)
	assert.Equal(t, 250*time.Millisecond, c.Sync.Debounce)
}

// TestDurationMinimums: each duration has a floor; an error names the key,
// the value and the minimum.
func TestDurationMinimums(t *testing.T) {
	tests := []struct {
		body, key, value, min string
	}{
		{"svn: {poll_interval: 1ms}\n", "svn.poll_interval", "1ms", "500ms"},
		{"svn: {poll_interval: 0s}\n", "svn.poll_interval", "0s", "500ms"},
		{"sync: {debounce: 1ms}\n", "sync.debounce", "1ms", "10ms"},
		{"sync: {debounce: 10ms, max_delay: 20ms}\n", "sync.max_delay", "20ms", "100ms"},
		{"sync: {rescan_interval: 5s}\n", "sync.rescan_interval", "5s", "1m"},
		{"backups: {max_age: 30s}\n", "backups.max_age", "30s", "1m"},
		{"backups: {max_age: -1h}\n", "backups.max_age", "-1h", "1m"},
	}
	for _, tt := range tests {
		t.Run(tt.key+"="+tt.value, func(t *testing.T) {
			f := writeFile(t, t.TempDir(), "c.yaml", durBase+tt.body)
			c, err := Load(Options{File: f})
			require.NoError(t, err)
			err = c.Validate()
			require.Error(t, err)
			var ve ValidationError
			require.True(t, errors.As(err, &ve), "%v", err)
			require.Len(t, ve, 1, "%v", err)
			assert.Equal(t, tt.key, ve[0].Key)
			assert.Equal(t, tt.value, ve[0].Value)
			assert.Contains(t, ve[0].Msg, "at least "+tt.min)
		})
	}
}

// durBase is a valid config without the sections the tests above add.
const durBase = "role: manager\ncarbon: {home: /opt/wso2ei/wso2/analytics}\n"

// TestEveryDurationHasAFloor: a duration key added to the schema gets a
// minimum too (durationFloors) and is checked by Validate.
func TestEveryDurationHasAFloor(t *testing.T) {
	keys := durationKeys()
	assert.Contains(t, keys, "svn.poll_interval")
	assert.Contains(t, keys, "backups.max_age")
	floors := durationFloors()
	for _, k := range keys {
		f, ok := floors[k]
		if assert.True(t, ok, "%s has no minimum in durationFloors", k) {
			assert.Positive(t, f.min, k)
		}
	}
	for k := range floors {
		assert.Contains(t, keys, k, "durationFloors names a key the schema lacks")
	}
}

func TestCheckNodeName(t *testing.T) {
	for name, ok := range map[string]bool{
		"node1": true, "node1.example.com": true, "10.0.0.1": true, "n_1-a": true,
		"": false, "node 1": false, "node1\n": false, "node1\r\nX-Evil: 1": false, "a\tb": false,
		"nöde": false, "node\x7f": false, "node\x00": false, strings.Repeat("n", MaxNodeNameLength+1): false,
	} {
		err := CheckNodeName(name)
		assert.Equal(t, ok, err == nil, "%q: %v", name, err)
	}
}
