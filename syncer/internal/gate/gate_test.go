package gate

import (
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/depsync/depsync/api"
	"github.com/depsync/depsync/internal/testcapp"
)

const gateDebounce = 100 * time.Millisecond

// recorded is what a gate told its record hook.
type recorded struct {
	rel     string
	oldWhy  string // reason of the rejection replaced or dropped; "" none
	nowWhy  string // reason of the rejection made; "" dropped
	isDrop  bool
	message string
}

// testGate is a gate on dir whose clock stands at now; it keeps what it
// records in *log.
func testGate(dir string, now time.Time, log *[]recorded) *Gate {
	g := New(dir, gateDebounce, time.Second, nil, func(rel string, old, r *api.Rejection) {
		e := recorded{rel: rel, isDrop: r == nil}
		if old != nil {
			e.oldWhy = old.Reason
		}
		if r != nil {
			e.nowWhy, e.message = r.Reason, r.Error
		}
		*log = append(*log, e)
	})
	g.Now = func() time.Time { return now }
	return g
}

func TestGateStable(t *testing.T) {
	now := time.Now()
	sig := func(changed time.Time) Sig { return Sig{Size: 1, MTime: changed, CTime: changed} }
	tests := []struct {
		name   string
		seen   *seenFile
		sig    Sig
		stable bool
	}{
		{"quiet for the debounce", nil, sig(now.Add(-gateDebounce)), true},
		{"quiet for an hour", nil, sig(now.Add(-time.Hour)), true},
		{"just written", nil, sig(now.Add(-gateDebounce / 2)), false},
		{"mtime set back, ctime fresh (cp -p)", nil, Sig{Size: 1, MTime: now.Add(-time.Hour), CTime: now}, false},
		{"future time, first look", nil, sig(now.Add(time.Hour)), false},
		{"future time, unchanged since a look a debounce ago", &seenFile{sig: sig(now.Add(time.Hour)), at: now.Add(-gateDebounce)},
			sig(now.Add(time.Hour)), true},
		{"future time, unchanged since a look just now", &seenFile{sig: sig(now.Add(time.Hour)), at: now.Add(-gateDebounce / 2)},
			sig(now.Add(time.Hour)), false},
		{"future time, changed since the last look", &seenFile{sig: Sig{Size: 2}, at: now.Add(-gateDebounce)},
			sig(now.Add(time.Hour)), false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var log []recorded
			g := testGate(t.TempDir(), now, &log)
			if tt.seen != nil {
				g.seen["f"] = *tt.seen
			}
			next, ok := g.Stable("f", tt.sig, now)
			assert.Equal(t, tt.stable, ok)
			if ok {
				assert.True(t, next.IsZero())
			} else {
				assert.True(t, next.After(now), "a later look is scheduled")
				assert.LessOrEqual(t, next.Sub(now), gateDebounce+10*time.Millisecond)
			}
		})
	}
}

// TestGateStableAging follows files through successive looks as the
// gate's clock moves on.
func TestGateStableAging(t *testing.T) {
	t0 := time.Now()
	at := func(d time.Duration) time.Time { return t0.Add(d) }
	written := Sig{Size: 1, MTime: t0, CTime: t0}
	future := Sig{Size: 1, MTime: at(time.Hour), CTime: at(time.Hour)}
	rewritten := Sig{Size: 2, MTime: at(time.Hour), CTime: at(time.Hour)}
	type look struct {
		at     time.Duration
		sig    Sig
		stable bool
	}
	tests := []struct {
		name  string
		looks []look
	}{
		{"written, then left alone", []look{
			{0, written, false}, {gateDebounce / 2, written, false}, {gateDebounce, written, true}}},
		{"stamped in the future, unchanged across looks", []look{
			{0, future, false}, {gateDebounce / 2, future, false}, {gateDebounce, future, true}}},
		{"stamped in the future, rewritten between looks", []look{
			{0, future, false}, {gateDebounce, rewritten, false}, {3 * gateDebounce / 2, rewritten, false},
			{2 * gateDebounce, rewritten, true}}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var log []recorded
			g := testGate(t.TempDir(), t0, &log)
			for i, l := range tt.looks {
				now := at(l.at)
				next, ok := g.Stable("f", l.sig, now)
				require.Equal(t, l.stable, ok, "look %d at +%v", i, l.at)
				if !ok {
					assert.True(t, next.After(now), "look %d: a later look is scheduled", i)
				}
			}
			g.Passed("f")
			assert.Empty(t, g.seen, "a file that passed is not waited for")
		})
	}
}

func TestGateValidCApp(t *testing.T) {
	valid := testcapp.Build(t, "App", "1.0.0")
	tests := []struct {
		name   string
		data   []byte // nil: no file
		age    time.Duration
		ok     bool
		wait   bool   // a later look is asked for
		reason string // rejected with this reason
	}{
		{"valid", valid, time.Second, true, false, ""},
		{"not a zip", []byte("not a zip"), time.Second, false, false, "not_zip"},
		{"truncated, changed just now: still being copied", valid[:len(valid)/2], time.Second, false, true, ""},
		{"truncated, unchanged for longer than the grace", valid[:len(valid)/2], time.Minute, false, false, "incomplete"},
		{"empty, changed just now", []byte{}, 0, false, true, ""},
		{"gone since the look", nil, time.Second, false, true, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			dir := t.TempDir()
			abs := filepath.Join(dir, "App_1.0.0.car")
			sig := Sig{Size: 1}
			if tt.data != nil {
				require.NoError(t, os.WriteFile(abs, tt.data, 0o644))
				var err error
				sig, err = Stat(abs)
				require.NoError(t, err)
			}
			now := sig.Changed().Add(tt.age)
			var log []recorded
			g := testGate(dir, now, &log)
			ok, next, err := g.ValidCApp("App_1.0.0.car", abs, sig, now)
			require.NoError(t, err)
			assert.Equal(t, tt.ok, ok)
			assert.Equal(t, tt.wait, !next.IsZero(), "a later look: %v", next)
			if tt.wait {
				assert.Equal(t, now.Add(gateDebounce), next)
			}
			if tt.reason == "" {
				assert.Empty(t, g.rejected)
				assert.Empty(t, log)
				return
			}
			require.Contains(t, g.rejected, "App_1.0.0.car")
			assert.Equal(t, tt.reason, g.rejected["App_1.0.0.car"].Reason)
			require.Len(t, log, 1)
			assert.Equal(t, recorded{rel: "App_1.0.0.car", nowWhy: tt.reason, message: log[0].message}, log[0])
			assert.NotEmpty(t, log[0].message, "the rejection says what is wrong")
		})
	}
}

// TestGateRejectionIsJudgedOnce: a rejected C-App is not read again while
// it stays as it was judged; once it changes and is valid, the rejection
// goes.
func TestGateRejectionIsJudgedOnce(t *testing.T) {
	dir := t.TempDir()
	abs := filepath.Join(dir, "App_1.0.0.car")
	require.NoError(t, os.WriteFile(abs, []byte("not a zip"), 0o644))
	bad, err := Stat(abs)
	require.NoError(t, err)
	now := bad.Changed().Add(time.Second)
	var log []recorded
	g := testGate(dir, now, &log)

	ok, next, err := g.ValidCApp("App_1.0.0.car", abs, bad, now)
	require.NoError(t, err)
	require.False(t, ok)
	require.True(t, next.IsZero())
	require.Len(t, log, 1)

	// Fixed on disk, but asked about with the signature it was judged in:
	// the file is not read again, the judgement stands.
	testcapp.Write(t, dir, "App_1.0.0.car", "App", "1.0.0")
	ok, next, err = g.ValidCApp("App_1.0.0.car", abs, bad, now)
	require.NoError(t, err)
	assert.False(t, ok)
	assert.True(t, next.IsZero())
	assert.Len(t, log, 1, "nothing recorded again")

	// Its new signature brings it back: valid, and no longer rejected.
	fixed, err := Stat(abs)
	require.NoError(t, err)
	require.NotEqual(t, bad, fixed)
	ok, _, err = g.ValidCApp("App_1.0.0.car", abs, fixed, now)
	require.NoError(t, err)
	assert.True(t, ok)
	assert.Empty(t, g.rejected)
	require.Len(t, log, 2)
	assert.Equal(t, recorded{rel: "App_1.0.0.car", oldWhy: "not_zip", isDrop: true}, log[1])

	// Rejected for one reason, then for another: the replaced rejection is
	// told, so that its gauge goes down.
	g.Reject("App_1.0.0.car", bad, "not_zip", "invalid", assert.AnError)
	g.Reject("App_1.0.0.car", fixed, "malformed_xml", "invalid", assert.AnError)
	require.Len(t, log, 4)
	assert.Equal(t, recorded{rel: "App_1.0.0.car", oldWhy: "not_zip", nowWhy: "malformed_xml", message: assert.AnError.Error()}, log[3])
	assert.Equal(t, "malformed_xml", g.rejected["App_1.0.0.car"].Reason)
}

func TestGateForget(t *testing.T) {
	tests := []struct {
		name    string
		onDisk  bool
		pending bool
		full    bool
		current bool // the pass found it changed
		kept    bool
	}{
		{"still changed in a full pass", true, false, true, true, true},
		{"still changed, looked at", true, true, false, true, true},
		{"not looked at, still there", true, false, false, false, true},
		{"not looked at, gone", false, false, false, false, false},
		{"full pass, no longer differs", true, false, true, false, false},
		{"looked at, no longer differs", true, true, false, false, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			dir := t.TempDir()
			for _, f := range []string{"App_1.0.0.car", "waiting.xml"} {
				if tt.onDisk {
					require.NoError(t, os.WriteFile(filepath.Join(dir, f), []byte("x"), 0o644))
				}
			}
			var log []recorded
			g := testGate(dir, time.Now(), &log)
			g.Reject("App_1.0.0.car", Sig{Size: 1}, "not_zip", "invalid", assert.AnError)
			g.seen["waiting.xml"] = seenFile{sig: Sig{Size: 1}}
			pending := map[string]struct{}{}
			if tt.pending {
				pending["App_1.0.0.car"] = struct{}{}
			}
			g.Forget(pending, tt.full, map[string]bool{"App_1.0.0.car": tt.current})
			_, kept := g.rejected["App_1.0.0.car"]
			assert.Equal(t, tt.kept, kept)
			if tt.kept {
				assert.Len(t, log, 1)
			} else {
				require.Len(t, log, 2)
				assert.Equal(t, recorded{rel: "App_1.0.0.car", oldWhy: "not_zip", isDrop: true}, log[1])
			}
			_, waiting := g.seen["waiting.xml"]
			assert.Equal(t, tt.onDisk, waiting, "a file waited for is forgotten once gone")
		})
	}
}

func TestGateIncompleteGrace(t *testing.T) {
	tests := []struct {
		debounce, maxDelay, want time.Duration
	}{
		{50 * time.Millisecond, time.Second, 5 * time.Second},
		{time.Second, 2 * time.Second, 10 * time.Second},
		{time.Second, time.Minute, time.Minute},
	}
	for _, tt := range tests {
		g := New(t.TempDir(), tt.debounce, tt.maxDelay, nil, nil)
		assert.Equal(t, tt.want, g.incompleteGrace(), "debounce %v, max_delay %v", tt.debounce, tt.maxDelay)
	}
}

// stamp sets a file's times to at.
func stamp(t *testing.T, p string, at time.Time) {
	t.Helper()
	require.NoError(t, os.Chtimes(p, at, at))
}
