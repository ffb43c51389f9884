package client

import (
	"net/http"
	"testing"

	"github.com/stretchr/testify/assert"
)

// TestFollowComparesAsWorkersDo: where a worker's refusal sends the CLI
// is judged by config.NormalURL, as a worker judges a notice's manager:
// the default port spelled or not, any case, a trailing slash are one
// node; a URL with a path, a query or credentials is none.
func TestFollowComparesAsWorkersDo(t *testing.T) {
	refusal := func(mgr string) error {
		return &APIError{Node: "https://w.example:9780", StatusCode: http.StatusConflict,
			Message: "this node is a worker", Manager: mgr}
	}
	for _, tc := range []struct {
		name, manager, allowed string
		follows                bool
	}{
		{"same spelling", "https://m.example:9780", "https://m.example:9780", true},
		{"default port", "https://M.example", "https://m.example:443/", true},
		{"default port listed bare", "https://m.example:443", "https://m.example", true},
		{"other port", "https://m.example:9781", "https://m.example:9780", false},
		{"path", "https://m.example:9780/x", "https://m.example:9780/x", false},
		{"empty query", "https://m.example:9780?", "https://m.example:9780", false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			c := &Client{opts: Options{FollowManager: true, FollowAllowed: []string{tc.allowed}}}
			got, err := c.follow("https://w.example:9780", refusal(tc.manager))
			if tc.follows {
				assert.NoError(t, err)
				assert.NotEmpty(t, got)
				return
			}
			var me *ManagerNotAllowedError
			assert.ErrorAs(t, err, &me)
			assert.Empty(t, got)
		})
	}
}

// TestClusterNodesCompareAsWorkersDo: --wait and status --cluster poll a
// worker's manager when it is a known node, known by config.NormalURL's
// comparison, and read a node spelled two ways once.
func TestClusterNodesCompareAsWorkersDo(t *testing.T) {
	c := &Client{}
	k := c.newClusterNodes([]string{"https://w.example:9780"}, []string{"https://m.example"}, nil)
	k.add("https://M.example:443/", true)
	k.add("https://W.example:9780/", false)
	k.add("https://evil.example", true)
	k.add("https://p.example:9780/prefix/", false) // no base URL: compared as spelled
	k.add("https://p.example:9780/prefix", false)
	assert.Equal(t, []string{"https://w.example:9780", "https://M.example:443", "https://p.example:9780/prefix"}, k.order)
}
