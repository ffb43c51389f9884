package carbonlog

import (
	"fmt"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// manyNames feeds tr n distinct C-App names, one line each, as a log of a
// server that saw them all would: half by the super tenant, half by one of
// 100,000 tenants (each its own %T), each left deploying. Then one more is
// deployed; its id and file are returned.
func manyNames(tr *tracker, n int) (string, string) {
	for i := range n {
		ts := base.Add(time.Duration(i) * time.Millisecond).Format(tsLayout)
		tenant := su
		if i%2 == 1 {
			tenant = 1 + i%100000
		}
		tr.line([]byte(line(layoutBracket, tenant, ts, "INFO", am, fmt.Sprintf("Deploying Carbon Application : c%d.car...", i))), time.UTC)
	}
	ts := base.Add(time.Duration(n) * time.Millisecond).Format(tsLayout)
	tr.line([]byte(line(layoutBracket, su, ts, "INFO", am, "Deploying Carbon Application : last.car...")), time.UTC)
	tr.line([]byte(line(layoutBracket, su, ts, "INFO", am, "Successfully Deployed Carbon Application : Last_1.0.0 {super-tenant}")), time.UTC)
	return "Last_1.0.0", "last.car"
}

// TestTrackerBoundedByManyNames: a log naming a million distinct C-Apps
// keeps the C-Apps present on disk and a bounded set of the most recent
// ones, whatever the number of names.
func TestTrackerBoundedByManyNames(t *testing.T) {
	n := 1_000_000
	if testing.Short() || raceEnabled {
		n = 200_000
	}
	tr := newTracker(func() time.Time { return base })
	tr.onDisk = func(tenant int) map[string]bool {
		if tenant == su {
			return map[string]bool{"keep.car": true}
		}
		return nil
	}
	tr.line([]byte(line(layoutBracket, su, base.Format(tsLayout), "INFO", am, "Deploying Carbon Application : keep.car...")), time.UTC)
	tr.line([]byte(line(layoutBracket, su, base.Format(tsLayout), "INFO", am, "Successfully Deployed Carbon Application : Keep_1.0.0 {super-tenant}")), time.UTC)
	lastID, lastFile := manyNames(tr, n)

	bound := 1 + 2*maxRecent
	assert.LessOrEqual(t, len(tr.states), bound, "states")
	assert.LessOrEqual(t, len(tr.files), bound, "file names")
	assert.LessOrEqual(t, len(tr.open), maxOpen, "open deploys")
	assert.LessOrEqual(t, len(tr.list()), bound)

	s, ok := tr.lookup(su, "Keep_1.0.0")
	require.True(t, ok, "a C-App on disk stays known however old its line")
	assert.Equal(t, Deployed, s.State)
	s, ok = tr.lookupFile(su, "keep.car")
	require.True(t, ok)
	assert.Equal(t, "Keep_1.0.0", s.ID)
	s, ok = tr.lookupFile(su, lastFile)
	require.True(t, ok, "the most recent C-Apps stay known")
	assert.Equal(t, lastID, s.ID)
	assert.Equal(t, Deployed, s.State)
}
