package httpapi

import (
	"fmt"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
)

// TestNoticePeer: a notice's manager URL is taken when it is one of the
// peers (as configured, compared as config.NormalURL compares them), or
// any base URL with no peers to compare with.
func TestNoticePeer(t *testing.T) {
	peers := []string{"https://manager.example:9780/", "http://other:9780"}
	for _, tc := range []struct {
		raw     string
		peers   []string
		want    string
		wantErr string
	}{
		{"https://manager.example:9780", peers, "https://manager.example:9780/", ""},
		{"HTTPS://Manager.Example:9780/", peers, "https://manager.example:9780/", ""},
		{"http://other:9780/", peers, "http://other:9780", ""},
		{"http://stranger:9780", peers, "", "not one of this worker's peers"},
		{"http://stranger:9780", nil, "", ""},
		{"ftp://manager.example", peers, "", "http"},
		{"http://m/" + strings.Repeat("a", maxNoticeURL), nil, "", fmt.Sprintf("longer than %d bytes", maxNoticeURL)},
	} {
		got, err := noticePeer(tc.raw, tc.peers)
		if tc.wantErr != "" {
			if assert.Error(t, err, tc.raw) {
				assert.Contains(t, err.Error(), tc.wantErr, tc.raw)
			}
		} else {
			assert.NoError(t, err, tc.raw)
		}
		assert.Equal(t, tc.want, got, tc.raw)
	}
}

// TestRefusalsFirst: each URL is logged once, and past maxRefusalsLogged
// different ones none more is.
func TestRefusalsFirst(t *testing.T) {
	var r Refusals
	assert.True(t, r.First("a"))
	assert.False(t, r.First("a"))
	for i := 1; i < maxRefusalsLogged; i++ {
		assert.True(t, r.First(fmt.Sprint(i)))
	}
	assert.False(t, r.First("one too many"))
	assert.False(t, r.First("a"))
}
