package worker

import (
	"errors"
	"testing"

	"github.com/stretchr/testify/assert"

	"github.com/depsync/depsync/api"
)

// TestDecideStrays: the stray decision alone, with no svn, no HTTP and no
// Daemon: every answer a manager can give, or not give.
func TestDecideStrays(t *testing.T) {
	strays := []string{"carbonapps/a_1.0.0.car", "carbonapps/b_1.0.0.car"}
	svnMode := func(f strayFacts) strayFacts { f.mode = api.ModeSVN; return f }
	asked := func(holds int) strayFacts {
		return strayFacts{asked: true, canAsk: true, mode: api.ModeSVN, holds: holds}
	}
	listed := func(held map[string]bool, err error) strayFacts {
		f := asked(0)
		f.listed, f.held, f.listErr = true, held, err
		return f
	}
	tests := []struct {
		name string
		f    strayFacts
		want strayVerdict
	}{
		{"direct mode: the manager pushed them", strayFacts{asked: true, canAsk: true, mode: api.ModeDirect},
			strayVerdict{keep: "the manager is in direct mode or its mode cannot be told"}},
		{"mode unknown, nobody to ask", strayFacts{},
			strayVerdict{keep: "the manager is in direct mode or its mode cannot be told"}},
		{"mode unknown, the manager silent", strayFacts{canAsk: true},
			strayVerdict{keep: "the manager is in direct mode or its mode cannot be told"}},
		{"held deletions not known yet", asked(-1),
			strayVerdict{keep: "the manager has not looked at its files since it started", recheck: true}},
		{"the manager holds deletions", asked(3),
			strayVerdict{keep: "the manager holds deletions", recheck: true}},
		{"a notice said it holds deletions, the manager silent", svnMode(strayFacts{canAsk: true, holds: 1}),
			strayVerdict{keep: "the manager holds deletions", recheck: true}},
		{"a notice said svn, nobody to ask: they go", svnMode(strayFacts{}),
			strayVerdict{remove: strays}},
		{"a notice said svn, the manager silent: asked again later", svnMode(strayFacts{canAsk: true}),
			strayVerdict{keep: "the manager cannot be asked whether it holds them", recheck: true, recheckAfter: StrayAskAgain}},
		{"svn mode, nothing held: its C-Apps decide", asked(0),
			strayVerdict{list: true}},
		{"its C-Apps cannot be listed", listed(nil, errors.New("503 Service Unavailable")),
			strayVerdict{keep: "the manager's C-Apps cannot be listed: 503 Service Unavailable", recheck: true}},
		{"it holds none of them: all go", listed(map[string]bool{"c_1.0.0.car": true}, nil),
			strayVerdict{remove: strays}},
		{"it holds one: the other goes", listed(map[string]bool{"b_1.0.0.car": true}, nil),
			strayVerdict{remove: []string{"carbonapps/a_1.0.0.car"}, heldKept: 1}},
		{"it holds both: none goes", listed(map[string]bool{"a_1.0.0.car": true, "b_1.0.0.car": true}, nil),
			strayVerdict{heldKept: 2}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			assert.Equal(t, tt.want, decideStrays(strays, tt.f))
		})
	}
}
