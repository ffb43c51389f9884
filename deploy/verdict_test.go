package deploy

import (
	"context"
	"net/http"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/depsync/depsync/api"
	"github.com/depsync/depsync/carbonlog"
	"github.com/depsync/depsync/deploy/client"
)

// fakeCarbon is a Carbon log reader whose states the test sets.
type fakeCarbon struct {
	mu       sync.Mutex
	readable bool
	byID     map[string]carbonlog.CAppState
	byFile   map[string]carbonlog.CAppState
}

func newFakeCarbon() *fakeCarbon {
	return &fakeCarbon{readable: true, byID: map[string]carbonlog.CAppState{}, byFile: map[string]carbonlog.CAppState{}}
}

func (f *fakeCarbon) Readable() bool { f.mu.Lock(); defer f.mu.Unlock(); return f.readable }

func (f *fakeCarbon) State(tenant int, id string) (carbonlog.CAppState, bool) {
	f.mu.Lock()
	defer f.mu.Unlock()
	s, ok := f.byID[id]
	return s, ok && tenant == carbonlog.SuperTenant
}

func (f *fakeCarbon) StateOfFile(tenant int, file string) (carbonlog.CAppState, bool) {
	f.mu.Lock()
	defer f.mu.Unlock()
	s, ok := f.byFile[file]
	return s, ok && tenant == carbonlog.SuperTenant
}

// set records s under its id (when set) and its file.
func (f *fakeCarbon) set(s carbonlog.CAppState) {
	f.mu.Lock()
	defer f.mu.Unlock()
	s.Tenant = carbonlog.SuperTenant
	if s.ID != "" {
		f.byID[s.ID] = s
	}
	if s.File != "" {
		f.byFile[s.File] = s
	}
}

// fixedClock is a clock the test moves.
type fixedClock struct {
	mu sync.Mutex
	t  time.Time
}

func (c *fixedClock) now() time.Time { c.mu.Lock(); defer c.mu.Unlock(); return c.t }
func (c *fixedClock) set(t time.Time) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.t = t
}

func withCarbon(f *fakeCarbon, clock *fixedClock) nodeOpt {
	return func(o *APIOptions) {
		o.Carbon = f
		if clock != nil {
			o.Now = clock.now
		}
	}
}

func TestAPIListCarbon(t *testing.T) {
	t0 := time.Date(2024, 5, 1, 10, 0, 0, 0, time.UTC)
	c := testClient(t)
	pa, _ := waitC(t, "A_1.0.0.car", "A")
	pb, _ := waitC(t, "B_1.0.0.car", "B")

	// A node without a Carbon log: no header, no states.
	plain := newTestNode(t, "manager")
	_, err := c.Put(context.Background(), plain.url, pa, client.PutRequest{})
	require.NoError(t, err)
	l, err := c.ListCarbon(context.Background(), plain.url)
	require.NoError(t, err)
	assert.Empty(t, l.CarbonLog)
	assert.False(t, l.CarbonReadable())
	require.Len(t, l.Entries, 1)
	assert.Nil(t, l.Entries[0].Carbon)

	fc := newFakeCarbon()
	n := newTestNode(t, "manager", withCarbon(fc, nil))
	for _, p := range []string{pa, pb} {
		_, err := c.Put(context.Background(), n.url, p, client.PutRequest{})
		require.NoError(t, err)
	}
	// By id; B only by its file name (Carbon never logged its id).
	fc.set(carbonlog.CAppState{ID: "A_1.0.0", State: carbonlog.Deployed, Time: t0, Seen: t0})
	fc.set(carbonlog.CAppState{File: "B_1.0.0.car", State: carbonlog.Faulty, Time: t0, Seen: t0, Error: "Error reading x"})
	l, err = c.ListCarbon(context.Background(), n.url)
	require.NoError(t, err)
	assert.Equal(t, api.CarbonLogReadable, l.CarbonLog)
	require.Len(t, l.Entries, 2)
	assert.Equal(t, &api.CarbonState{State: "deployed", Time: t0, Seen: t0}, l.Entries[0].Carbon)
	assert.Equal(t, &api.CarbonState{State: "faulty", Time: t0, Seen: t0, Error: "Error reading x"}, l.Entries[1].Carbon)

	// When the id and the file name disagree, the later line wins.
	fc.set(carbonlog.CAppState{File: "A_1.0.0.car", State: carbonlog.Deploying, Time: t0.Add(time.Second), Seen: t0.Add(time.Second)})
	l, err = c.ListCarbon(context.Background(), n.url)
	require.NoError(t, err)
	assert.Equal(t, "deploying", l.Entries[0].Carbon.State)

	// The ETag follows the states and the log's readability.
	etag := func() string {
		req, _ := http.NewRequest(http.MethodGet, n.url+"/v1/capps", nil)
		req.Header.Set("Authorization", "Bearer "+testToken)
		resp, err := http.DefaultClient.Do(req)
		require.NoError(t, err)
		resp.Body.Close()
		return resp.Header.Get("ETag")
	}
	e1 := etag()
	fc.mu.Lock()
	fc.readable = false
	fc.mu.Unlock()
	e2 := etag()
	assert.NotEqual(t, e1, e2)
	l, err = c.ListCarbon(context.Background(), n.url)
	require.NoError(t, err)
	assert.Equal(t, api.CarbonLogUnreadable, l.CarbonLog)
}

func TestAPIPutReceived(t *testing.T) {
	clock := &fixedClock{t: time.Date(2024, 5, 1, 10, 0, 0, 0, time.UTC)}
	n := newTestNode(t, "manager", withCarbon(newFakeCarbon(), clock))
	c := testClient(t)
	pa, _ := waitC(t, "A_1.0.0.car", "A")
	r, err := c.Put(context.Background(), n.url, pa, client.PutRequest{})
	require.NoError(t, err)
	require.Equal(t, StatusCreated, r.Status)
	require.NotNil(t, r.Received)
	assert.True(t, clock.now().Equal(*r.Received), "the node's own clock, after the file is in place")

	// The same bytes again: Carbon redeploys nothing, so no new time.
	r, err = c.Put(context.Background(), n.url, pa, client.PutRequest{})
	require.NoError(t, err)
	assert.Equal(t, StatusUnchanged, r.Status)
	assert.Nil(t, r.Received)
}

// TestWaitForClusterCarbon: with client.UntilDeployed a node counts once its
// Carbon log says "deployed" in a line Carbon wrote at or after the bytes
// landed, or that the node read live at or after it; an older verdict does
// not count, not even re-read from the log's history with a fresh Seen
// after a restart; a new "faulty" ends the wait at once, and a node without
// a readable log counts by presence.
func TestWaitForClusterCarbon(t *testing.T) {
	t0 := time.Date(2024, 5, 1, 10, 0, 0, 0, time.UTC)
	before, after := t0.Add(-time.Second), t0.Add(time.Second)
	hourAgo, inAnHour := time.Now().Add(-time.Hour), time.Now().Add(time.Hour)
	cases := []struct {
		name     string
		until    string
		readable bool
		state    *carbonlog.CAppState // set after the push
		noPut    bool                 // the file's mtime, not the PUT's time, is the mark
		ok       bool
		faulty   bool
		noLog    bool
	}{
		{name: "deployed after the push", readable: true, state: &carbonlog.CAppState{State: carbonlog.Deployed, Time: after, Seen: after, Live: true}, ok: true},
		{name: "deployed at the push", readable: true, state: &carbonlog.CAppState{State: carbonlog.Deployed, Time: t0, Seen: t0, Live: true}, ok: true},
		{name: "written at the push, to the millisecond", readable: true, state: &carbonlog.CAppState{State: carbonlog.Deployed, Time: t0.Truncate(time.Millisecond), Seen: after}, ok: true},
		{name: "deployed before the push: earlier bytes", readable: true, state: &carbonlog.CAppState{State: carbonlog.Deployed, Time: before, Seen: before, Live: true}},
		{name: "re-read from history after a restart: earlier bytes", readable: true, state: &carbonlog.CAppState{State: carbonlog.Deployed, Time: before, Seen: after}},
		{name: "re-read from history, written after the push", readable: true, state: &carbonlog.CAppState{State: carbonlog.Deployed, Time: after, Seen: after}, ok: true},
		{name: "read live after the push, Carbon's clock behind", readable: true, state: &carbonlog.CAppState{State: carbonlog.Deployed, Time: before, Seen: after, Live: true}, ok: true},
		{name: "still deploying", readable: true, state: &carbonlog.CAppState{State: carbonlog.Deploying, Time: after, Seen: after, Live: true}},
		{name: "no word from Carbon", readable: true},
		{name: "faulty after the push", readable: true, state: &carbonlog.CAppState{State: carbonlog.Faulty, Time: after, Seen: after, Live: true, Error: "Error reading x"}, faulty: true},
		{name: "faulty before the push: earlier bytes", readable: true, state: &carbonlog.CAppState{State: carbonlog.Faulty, Time: before, Seen: before, Live: true, Error: "old"}},
		{name: "faulty re-read from history: earlier bytes", readable: true, state: &carbonlog.CAppState{State: carbonlog.Faulty, Time: before, Seen: after, Error: "old"}},
		{name: "no readable log: by presence", readable: false, ok: true, noLog: true},
		{name: "until present", until: client.UntilPresent, readable: true, state: &carbonlog.CAppState{State: carbonlog.Deploying, Time: after, Seen: after, Live: true}, ok: true},
		{name: "no PUT time: the mtime marks the bytes", readable: true, noPut: true,
			state: &carbonlog.CAppState{State: carbonlog.Deployed, Time: hourAgo, Seen: inAnHour, Live: true}, ok: true},
		{name: "no PUT time: a verdict before the mtime is old", readable: true, noPut: true,
			state: &carbonlog.CAppState{State: carbonlog.Deployed, Time: hourAgo, Seen: hourAgo, Live: true}},
		{name: "no PUT time: history before the mtime is old", readable: true, noPut: true,
			state: &carbonlog.CAppState{State: carbonlog.Deployed, Time: hourAgo, Seen: inAnHour}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			fc := newFakeCarbon()
			fc.readable = tc.readable
			n := newTestNode(t, "manager", withCarbon(fc, &fixedClock{t: t0}))
			c := testClient(t)
			p, want := waitC(t, "A_1.0.0.car", "A")
			r, err := c.Put(context.Background(), n.url, p, client.PutRequest{})
			require.NoError(t, err)
			if tc.state != nil {
				s := *tc.state
				s.ID, s.File = "A_1.0.0", "A_1.0.0.car"
				fc.set(s)
			}
			o := client.WaitOptions{Nodes: []string{n.url}, Want: []client.Want{want}, Until: tc.until, Interval: 10 * time.Millisecond}
			if !tc.noPut {
				o.Received = map[string]map[string]time.Time{n.url: {"A_1.0.0.car": *r.Received}}
			}
			var warned []string
			o.OnNoCarbonLog = func(node string) { warned = append(warned, node) }
			ctx, cancel := context.WithTimeout(context.Background(), time.Second)
			defer cancel()
			start := time.Now()
			res := c.WaitForCluster(ctx, o)
			assert.Equal(t, tc.ok, res.OK, "%+v", res)
			require.Len(t, res.States, 1)
			if tc.faulty {
				require.Len(t, res.Faulty, 1)
				assert.Equal(t, n.url, res.Faulty[0].Node)
				assert.Equal(t, "Error reading x", res.Faulty[0].Carbon.Error)
				assert.Less(t, time.Since(start), 900*time.Millisecond, "faulty ends the wait at once")
			} else {
				assert.Empty(t, res.Faulty)
			}
			if !tc.ok && !tc.faulty {
				require.Len(t, res.Lacking, 1)
				assert.Equal(t, "A_1.0.0.car", res.Lacking[0].File)
				if tc.state != nil {
					assert.Equal(t, string(tc.state.State), res.Lacking[0].Carbon.State)
				}
			}
			if tc.noLog {
				assert.Equal(t, []string{n.url}, res.NoCarbonLog)
				assert.Equal(t, []string{n.url}, warned, "warned once, naming the node")
			} else {
				assert.Empty(t, res.NoCarbonLog)
				assert.Empty(t, warned)
			}
		})
	}
}
