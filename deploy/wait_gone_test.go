package deploy

import (
	"context"
	"net/http"
	"net/http/httptest"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/depsync/depsync/carbonlog"
	"github.com/depsync/depsync/deploy/cappname"
	"github.com/depsync/depsync/deploy/client"
)

// TestPresence: GET /v1/capps/{file} says whether the node holds the file
// and Carbon's last word on it, by the id given, also once it is gone.
func TestPresence(t *testing.T) {
	t0 := time.Date(2024, 5, 1, 10, 0, 0, 0, time.UTC)
	fc := newFakeCarbon()
	n := newTestNode(t, "manager", withCarbon(fc, nil))
	c := testClient(t)
	pa, _ := waitC(t, "A_1.0.0.car", "A")
	_, err := c.Put(context.Background(), n.url, pa, client.PutRequest{})
	require.NoError(t, err)
	fc.set(carbonlog.CAppState{ID: "A_1.0.0", State: carbonlog.Deployed, Time: t0, Seen: t0})

	p, err := c.Presence(context.Background(), n.url, "A_1.0.0.car", "")
	require.NoError(t, err)
	assert.True(t, p.Present)
	assert.True(t, p.CarbonLog)
	require.NotNil(t, p.Carbon)
	assert.Equal(t, "deployed", p.Carbon.State, "by the id of the file held")

	_, err = c.Delete(context.Background(), n.url, "A_1.0.0.car", false)
	require.NoError(t, err)
	fc.set(carbonlog.CAppState{ID: "A_1.0.0", State: carbonlog.Undeployed, Time: t0.Add(time.Second), Seen: t0.Add(time.Second)})
	p, err = c.Presence(context.Background(), n.url, "A_1.0.0.car", "A_1.0.0")
	require.NoError(t, err)
	assert.False(t, p.Present)
	require.NotNil(t, p.Carbon)
	assert.Equal(t, "undeployed", p.Carbon.State, "by the id given, the file gone")
	p, err = c.Presence(context.Background(), n.url, "A_1.0.0.car", "")
	require.NoError(t, err)
	assert.Nil(t, p.Carbon, "a gone file's id is not known without ?id=")

	_, err = c.Presence(context.Background(), n.url, "../x.car", "")
	assert.ErrorIs(t, err, cappname.ErrBad)
}

// TestWaitGone: the wait ends once no node holds the C-App and each node
// with a Carbon log says it undeployed it; a node without a log counts by
// presence; a deadline reports what is still lacking, with Carbon's word.
func TestWaitGone(t *testing.T) {
	t0 := time.Date(2024, 5, 1, 10, 0, 0, 0, time.UTC)
	fc := newFakeCarbon()
	withLog := newTestNode(t, "manager", withCarbon(fc, nil))
	plain := newTestNode(t, "manager")
	c := testClient(t)
	pa, _ := waitC(t, "A_1.0.0.car", "A")
	for _, n := range []*testNode{withLog, plain} {
		_, err := c.Put(context.Background(), n.url, pa, client.PutRequest{})
		require.NoError(t, err)
	}
	fc.set(carbonlog.CAppState{ID: "A_1.0.0", State: carbonlog.Deployed, Time: t0, Seen: t0})
	o := client.GoneOptions{Nodes: []string{withLog.url, plain.url}, Gone: []client.Gone{{File: "A_1.0.0.car", ID: "A_1.0.0"}},
		Interval: 10 * time.Millisecond}

	ctx, cancel := context.WithTimeout(context.Background(), 200*time.Millisecond)
	res := c.WaitGone(ctx, o)
	cancel()
	assert.False(t, res.OK)
	assert.Len(t, res.Lacking, 2, "both still hold it")

	for _, n := range []*testNode{withLog, plain} {
		_, err := c.Delete(context.Background(), n.url, "A_1.0.0.car", false)
		require.NoError(t, err)
	}
	ctx, cancel = context.WithTimeout(context.Background(), 200*time.Millisecond)
	res = c.WaitGone(ctx, o)
	cancel()
	assert.False(t, res.OK)
	require.Len(t, res.Lacking, 1, "gone everywhere, but Carbon has not undeployed it where it logs")
	assert.Equal(t, withLog.url, res.Lacking[0].Node)
	require.NotNil(t, res.Lacking[0].Carbon)
	assert.Equal(t, "deployed", res.Lacking[0].Carbon.State)
	assert.Equal(t, []string{plain.url}, res.NoCarbonLog)

	done := make(chan *client.WaitResult, 1)
	go func() {
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		done <- c.WaitGone(ctx, o)
	}()
	fc.set(carbonlog.CAppState{ID: "A_1.0.0", State: carbonlog.Undeployed, Time: t0.Add(time.Second), Seen: t0.Add(time.Second)})
	res = <-done
	assert.True(t, res.OK, "%+v", res.Lacking)
}

// TestWaitGoneOlderNode: a node without GET /v1/capps/{file} (405) counts
// by its list.
func TestWaitGoneOlderNode(t *testing.T) {
	var holds atomic.Bool
	holds.Store(true)
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		switch {
		case r.URL.Path == "/v1/capps" && holds.Load():
			_, _ = w.Write([]byte(`[{"file":"A_1.0.0.car","id":"A_1.0.0"}]`))
		case r.URL.Path == "/v1/capps":
			_, _ = w.Write([]byte(`[]`))
		case r.URL.Path == "/v1/status":
			_, _ = w.Write([]byte(`{"role":"manager"}`))
		default:
			w.WriteHeader(http.StatusMethodNotAllowed)
		}
	}))
	defer srv.Close()
	c := testClient(t)
	o := client.GoneOptions{Nodes: []string{srv.URL}, Gone: []client.Gone{{File: "A_1.0.0.car"}}, Interval: 10 * time.Millisecond}
	ctx, cancel := context.WithTimeout(context.Background(), 200*time.Millisecond)
	res := c.WaitGone(ctx, o)
	cancel()
	assert.False(t, res.OK)
	holds.Store(false)
	ctx, cancel = context.WithTimeout(context.Background(), 10*time.Second)
	res = c.WaitGone(ctx, o)
	cancel()
	assert.True(t, res.OK)
	assert.Equal(t, []string{srv.URL}, res.NoCarbonLog)
}
