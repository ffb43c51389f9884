package tenantrun

import (
	"context"
	"errors"
	"log/slog"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/testutil"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/depsync/depsync/api"
	"github.com/depsync/depsync/config"
	"github.com/depsync/depsync/svn"
	"github.com/depsync/depsync/syncer/internal/svnbatch"
	"github.com/depsync/depsync/syncer/internal/tenant"
)

// fakeSVN answers the svn calls a runtime makes itself; the others are
// not expected (nil interface: they panic).
type fakeSVN struct {
	svnbatch.SVN
	info      func(pathOrURL string) (*svn.Info, error)
	hasFolder func(url string) (bool, error)
	calls     []string
}

func (f *fakeSVN) Info(_ context.Context, pathOrURL string) (*svn.Info, error) {
	f.calls = append(f.calls, "info "+pathOrURL)
	return f.info(pathOrURL)
}

func (f *fakeSVN) HasFolder(_ context.Context, url string) (bool, error) {
	f.calls = append(f.calls, "list "+url)
	return f.hasFolder(url)
}

// rig is a runtime of tenant id with what it lent the daemon: its
// metrics, its start slots and the svn results it counted for the mode.
type rig struct {
	*Runtime
	reg      *prometheus.Registry
	m        Metrics
	starting chan struct{}
	results  []error
	removed  int
}

func newRig(t *testing.T, id, n int, f *fakeSVN, cfg *config.Config, opts ...func(*Env)) *rig {
	t.Helper()
	if cfg == nil {
		cfg = &config.Config{StateDir: t.TempDir()}
	}
	r := &rig{reg: prometheus.NewRegistry(), starting: make(chan struct{}, 1)}
	g := func(name string, labels ...string) *prometheus.GaugeVec {
		return prometheus.NewGaugeVec(prometheus.GaugeOpts{Name: name}, labels)
	}
	c := func(name string, labels ...string) *prometheus.CounterVec {
		return prometheus.NewCounterVec(prometheus.CounterOpts{Name: name}, labels)
	}
	r.m = Metrics{
		Ops:         c("ops", "tenant", "op", "result"),
		Duration:    prometheus.NewHistogramVec(prometheus.HistogramOpts{Name: "duration"}, []string{"tenant", "op"}),
		LastSuccess: g("last_success", "tenant"),
		Revision:    g("revision", "tenant"),
		ReplicaLag:  g("lag", "tenant"),
		Failures:    g("failures", "tenant"),
		Rejected:    g("rejected", "tenant", "reason"),
		Rejections:  c("rejections", "tenant", "reason"),
		Backups:     c("backups", "tenant"),
	}
	r.reg.MustRegister(r.m.Ops, r.m.Duration, r.m.LastSuccess, r.m.Revision, r.m.ReplicaLag, r.m.Failures,
		r.m.Rejected, r.m.Rejections, r.m.Backups)
	if f == nil {
		f = &fakeSVN{}
	}
	env := Env{Tenant: cfg.TenantOf(id), Config: cfg, Label: Label(id, n), Log: slog.New(slog.DiscardHandler), SVN: f,
		Metrics: r.m, Node: Node{
			Starting:  r.starting,
			OpContext: func(ctx context.Context) (context.Context, context.CancelFunc) { return context.WithCancel(ctx) },
			SVNResult: func(err error) { r.results = append(r.results, err) },
			Remove:    func(*Runtime) { r.removed++ },
		}}
	for _, o := range opts {
		o(&env)
	}
	r.Runtime = New(env)
	return r
}

func TestLabel(t *testing.T) {
	for _, tt := range []struct {
		id, n int
		want  string
	}{
		{config.SuperTenantID, 0, "-1234"},
		{7, 1, "7"},
		{9, MaxLabels - 1, "9"},
		{10, MaxLabels, Other},
		{230, 230, Other},
	} {
		assert.Equal(t, tt.want, Label(tt.id, tt.n), "tenant %d, the %d-th", tt.id, tt.n)
	}
}

// TestReportsSetTheTenantsSeries: a tenant with its own label has its
// series; one without has a failures series only while it fails; the
// removal of a tenant drops them.
func TestReportsSetTheTenantsSeries(t *testing.T) {
	for _, tt := range []struct {
		name     string
		n        int
		failures string // the label of its failures series
		own      bool   // whether it has its own revision and last success
	}{
		{"its own label", 1, "7", true},
		{"among the others", MaxLabels, "7", false},
	} {
		t.Run(tt.name, func(t *testing.T) {
			r := newRig(t, 7, tt.n, nil, nil)
			r.Failed(errors.New("boom"))
			r.Failed(errors.New("boom"))
			assert.Equal(t, 2.0, testutil.ToFloat64(r.m.Failures.WithLabelValues(tt.failures)))
			r.Succeeded(5, true)
			r.Wanted(8, "")
			if tt.own {
				assert.Equal(t, 0.0, testutil.ToFloat64(r.m.Failures.WithLabelValues("7")))
				assert.Equal(t, 5.0, testutil.ToFloat64(r.m.Revision.WithLabelValues("7")))
				assert.Equal(t, 3.0, testutil.ToFloat64(r.m.ReplicaLag.WithLabelValues("7")))
				assert.Equal(t, 1, testutil.CollectAndCount(r.m.LastSuccess))
			} else {
				assert.Zero(t, testutil.CollectAndCount(r.m.Failures), "no series once it does not fail")
				assert.Zero(t, testutil.CollectAndCount(r.m.Revision))
				assert.Zero(t, testutil.CollectAndCount(r.m.ReplicaLag))
				assert.Zero(t, testutil.CollectAndCount(r.m.LastSuccess))
			}
			assert.Equal(t, []error{errors.New("boom"), errors.New("boom"), nil}, r.results, "each counted for the mode")

			r.ForgetMetrics()
			for _, g := range []*prometheus.GaugeVec{r.m.Failures, r.m.Revision, r.m.LastSuccess} {
				assert.Zero(t, testutil.CollectAndCount(g))
			}
		})
	}
}

func TestRejectedKeepsStatusAndMetricsInStep(t *testing.T) {
	r := newRig(t, config.SuperTenantID, 0, nil, nil)
	bad := &api.Rejection{Path: "carbonapps/Bad_1.0.0.car", Reason: "not_zip"}
	r.Rejected(bad.Path, nil, bad)
	assert.Equal(t, []api.Rejection{*bad}, r.Rejections())
	assert.Equal(t, 1.0, testutil.ToFloat64(r.m.Rejected.WithLabelValues("-1234", "not_zip")))
	partial := &api.Rejection{Path: bad.Path, Reason: "incomplete"}
	r.Rejected(bad.Path, bad, partial)
	r.Rejected(bad.Path, partial, nil)
	assert.Empty(t, r.Rejections())
	assert.Zero(t, testutil.ToFloat64(r.m.Rejected.WithLabelValues("-1234", "not_zip")))
	assert.Zero(t, testutil.ToFloat64(r.m.Rejected.WithLabelValues("-1234", "incomplete")))
	assert.Equal(t, 1.0, testutil.ToFloat64(r.m.Rejections.WithLabelValues("-1234", "incomplete")), "each counted")
}

// TestSignalsNeverGoBack: an older notice or change does not take back a
// newer one; a notice wakes the loop once however many come.
func TestSignalsNeverGoBack(t *testing.T) {
	r := newRig(t, 7, 1, nil, nil)
	r.Notified(8)
	r.Notified(5)
	r.Changed(9)
	r.Changed(3)
	assert.Equal(t, int64(8), r.NotifiedRev().Load())
	assert.Equal(t, int64(9), r.ChangedRev().Load())
	assert.Len(t, r.Wake(), 1)
	r.Tickle()
	r.Tickle()
	assert.Len(t, r.Tick(), 1)
	assert.Equal(t, int64(9), r.Newest())
	r.Succeeded(12, true)
	assert.Equal(t, int64(12), r.Newest())
}

// TestWaitOverTakesBackOnlyThatWait: what the daemon said of every tenant
// (a Carbon that runs its own synchronizer) goes when it is over, also as
// the last error; anything else the tenant said stays.
func TestWaitOverTakesBackOnlyThatWait(t *testing.T) {
	const why = "Carbon's DeploymentSynchronizer still runs"
	r := newRig(t, 7, 1, nil, nil)
	r.Waiting(errors.New(why))
	assert.Equal(t, why, r.Status().Waiting)
	r.WaitOver(why)
	st := r.Status()
	assert.Empty(t, st.Waiting)
	assert.Empty(t, st.LastError, "the wait was no failure of the tenant's")

	r.Waiting(errors.New("deployment directory missing"))
	r.WaitOver(why)
	assert.Equal(t, "deployment directory missing", r.Status().Waiting)
	r.Waiting(nil)
	r.Failed(errors.New("boom"))
	r.WaitOver(why)
	assert.Equal(t, "boom", r.Status().LastError)
}

// TestProbedKeepsReadinessUnlessBackingOff: a look at the server keeps
// the last success current, except while a worker waits after a failed
// update: its staleness is what /readyz reports.
func TestProbedKeepsReadinessUnlessBackingOff(t *testing.T) {
	r := newRig(t, 7, 1, nil, nil)
	r.Probed()
	first := r.Status().LastSuccess
	require.False(t, first.IsZero())
	r.ProbeFailed(errors.New("down"))
	assert.Equal(t, 1, r.Status().Failures)
	assert.Empty(t, r.results, "a probe is counted for the mode by the hub, once per look")
	r.SetBackingOff(true)
	r.Probed()
	assert.Equal(t, first, r.Status().LastSuccess)
}

func TestFatal(t *testing.T) {
	for _, tt := range []struct {
		err  error
		want bool
	}{
		{errors.New("boom"), false},
		{&svn.Error{Op: "update", Kind: svn.ErrUnreachable}, false},
		{&tenant.ConfigError{Err: errors.New("bad")}, true},
		{&svn.Error{Op: "update", Kind: svn.ErrAuth}, true},
		{svn.ErrNotInstalled, true},
	} {
		assert.Equal(t, tt.want, fatal(tt.err), "%v", tt.err)
	}
}

// TestPrepareWithRetry: a failed start is reported and tried again (at
// once after a notice); a fatal one ends it; the start slot is given back
// every time, and none is taken after ctx is done.
func TestPrepareWithRetry(t *testing.T) {
	ctx := context.Background()
	r := newRig(t, 7, 1, nil, nil)
	calls := 0
	err := r.PrepareWithRetry(ctx, func(context.Context) error {
		calls++
		if calls == 1 {
			r.Notified(3) // the manager is there: no backoff
			return errors.New("down")
		}
		return nil
	})
	require.NoError(t, err)
	assert.Equal(t, 2, calls)
	assert.Empty(t, r.starting, "the slot is given back")
	assert.Equal(t, 1, r.Status().Failures)
	assert.Equal(t, 1.0, testutil.ToFloat64(r.m.Ops.WithLabelValues("7", "prepare", tenant.ResultError)))

	auth := &svn.Error{Op: "checkout", Kind: svn.ErrAuth}
	err = r.PrepareWithRetry(ctx, func(context.Context) error { return auth })
	assert.ErrorIs(t, err, svn.ErrAuth)
	assert.Empty(t, r.starting)

	r.starting <- struct{}{} // every slot taken
	done, cancel := context.WithCancel(ctx)
	cancel()
	assert.NoError(t, r.PrepareWithRetry(done, func(context.Context) error {
		t.Fatal("prepared without a slot")
		return nil
	}))
}

func TestHasFolder(t *testing.T) {
	notFound := &svn.Error{Op: "info", Kind: svn.ErrNotFound}
	for _, tt := range []struct {
		name      string
		appendID  bool
		listed    error // HasFolder's error (nil: it answers true)
		info      *svn.Info
		infoErr   error
		want      bool
		wantErr   string
		config    bool // a ConfigError
		wantCalls int
	}{
		{name: "one list answers", appendID: true, want: true, wantCalls: 1},
		{name: "a failed list asks svn info", appendID: true, listed: errors.New("E170013"),
			info: &svn.Info{Kind: "dir"}, want: true, wantCalls: 2},
		{name: "a fatal list is the answer", appendID: true, listed: &svn.Error{Op: "list", Kind: svn.ErrAuth},
			wantErr: "list", wantCalls: 1},
		{name: "without the id, svn info", info: &svn.Info{Kind: "dir"}, want: true, wantCalls: 1},
		{name: "not there", infoErr: notFound, wantCalls: 1},
		{name: "a file", info: &svn.Info{Kind: "file"}, wantErr: "is a file in the repository, not a folder",
			config: true, wantCalls: 1},
		{name: "unreachable", infoErr: errors.New("E170013"), wantErr: "svn info", wantCalls: 1},
	} {
		t.Run(tt.name, func(t *testing.T) {
			f := &fakeSVN{
				hasFolder: func(string) (bool, error) { return tt.listed == nil, tt.listed },
				info:      func(string) (*svn.Info, error) { return tt.info, tt.infoErr },
			}
			cfg := &config.Config{StateDir: t.TempDir()}
			cfg.SVN.URL, cfg.SVN.AppendTenantID = "http://svn.example/repo", tt.appendID
			r := newRig(t, 7, 1, f, cfg)
			got, err := r.HasFolder(context.Background())
			if tt.wantErr != "" {
				require.Error(t, err)
				assert.Contains(t, err.Error(), tt.wantErr)
				var ce *tenant.ConfigError
				assert.Equal(t, tt.config, errors.As(err, &ce))
			} else {
				require.NoError(t, err)
			}
			assert.Equal(t, tt.want, got)
			assert.Len(t, f.calls, tt.wantCalls, "%v", f.calls)
		})
	}
}

func TestCheckWorkingCopy(t *testing.T) {
	cfg := &config.Config{StateDir: t.TempDir()}
	cfg.SVN.URL, cfg.SVN.AppendTenantID = "http://svn.example/repo", true
	var at string
	f := &fakeSVN{info: func(string) (*svn.Info, error) { return &svn.Info{URL: at, Revision: 4}, nil }}
	r := newRig(t, 7, 1, f, cfg)

	at = "http://svn.example:80/repo/7"
	info, err := r.CheckWorkingCopy(context.Background())
	require.NoError(t, err, "the same folder, however written")
	assert.Equal(t, int64(4), info.Revision)

	at = "http://svn.example/repo/8"
	_, err = r.CheckWorkingCopy(context.Background())
	var ce *tenant.ConfigError
	require.ErrorAs(t, err, &ce, "never committed to or updated from another folder")
	assert.Contains(t, err.Error(), "is a working copy of http://svn.example/repo/8, not of http://svn.example/repo/7")
}

func TestIgnoredAndRemovable(t *testing.T) {
	cfg := &config.Config{StateDir: t.TempDir()}
	cfg.Sync.Ignore = []string{"*.log"}
	r := newRig(t, 7, 1, nil, cfg)
	for rel, want := range map[string]bool{
		"carbonapps/A_1.0.0.car": false,
		"./carbonapps/a.log":     true,
		"api/.svn/entries":       true,
		"logs.d/x.xml":           false,
	} {
		assert.Equal(t, want, r.Ignored(rel), rel)
	}

	for _, tt := range []struct {
		all, appendID bool
		id            int
		want          bool
	}{
		{true, true, 7, true},
		{true, true, config.SuperTenantID, false},
		{false, true, 7, false},
		{true, false, 7, false},
	} {
		cfg := &config.Config{StateDir: t.TempDir()}
		cfg.Carbon.AllTenants, cfg.SVN.AppendTenantID = tt.all, tt.appendID
		assert.Equal(t, tt.want, newRig(t, tt.id, 1, nil, cfg).Removable(), "%+v", tt)
	}
}

// TestClockAndRemoval: the reports take their time from Env.Now; the
// tenant's removal is the daemon's (Node.Remove).
func TestClockAndRemoval(t *testing.T) {
	then := time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)
	r := newRig(t, 7, 1, nil, nil, func(e *Env) { e.Now = func() time.Time { return then } })
	r.SetReady()
	assert.True(t, r.Status().Ready)
	assert.Equal(t, then, r.Status().LastSuccess)
	r.Succeeded(3, true)
	assert.Equal(t, then, r.Status().LastSync)
	assert.Equal(t, float64(then.Unix()), testutil.ToFloat64(r.m.LastSuccess.WithLabelValues("7")))

	r.Removed()
	assert.Equal(t, 1, r.removed)
}
