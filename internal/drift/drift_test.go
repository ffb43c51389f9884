package drift

import (
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
)

func TestJudge(t *testing.T) {
	for _, tc := range []struct {
		name  string
		f     Facts
		want  Change
		drift bool
	}{
		{"clean", Facts{}, "", false},
		{"normal", Facts{Item: "normal"}, "", false},
		{"a file copied in", Facts{Item: "unversioned"}, Added, true},
		{"a file edited", Facts{Item: "modified"}, Changed, true},
		{"a file removed", Facts{Item: "missing"}, Removed, true},
		{"a file svn deleted", Facts{Item: "deleted"}, Removed, true},
		{"a file scheduled for addition", Facts{Item: "added"}, Changed, true},
		{"a file replaced", Facts{Item: "replaced"}, Changed, true},
		{"a folder where a file was", Facts{Item: "obstructed"}, Changed, true},
		{"properties edited", Facts{Item: "normal", Props: "modified"}, Changed, true},
		{"a tree conflict", Facts{Item: "normal", TreeConflict: true}, Changed, true},
		{"svn's own state", Facts{Item: "incomplete"}, "", false},
		{"an external", Facts{Item: "external"}, "", false},
		{"what svn ignores", Facts{Item: "ignored"}, "", false},
		{"a name sync.ignore leaves out", Facts{Item: "unversioned", Ignored: true}, "", false},
		{"a C-App pushed through the API", Facts{Item: "unversioned", FromAPI: true}, "", false},
		{"a C-App the API replaced", Facts{Item: "modified", FromAPI: true}, "", false},
		{"a C-App the API deleted", Facts{Item: "missing", FromAPI: true}, "", false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got, drift := Judge(tc.f)
			assert.Equal(t, tc.drift, drift)
			assert.Equal(t, tc.want, got)
		})
	}
}

func TestUndo(t *testing.T) {
	for _, tc := range []struct {
		item   string
		want   Action
		copied bool
	}{
		{"unversioned", Remove, true},
		{"added", RevertRemove, true},
		{"modified", Revert, true},
		{"replaced", Revert, true},
		{"conflicted", Revert, true},
		{"obstructed", Revert, true},
		{"normal", Revert, true}, // properties or a tree conflict
		{"missing", Revert, false},
		{"deleted", Revert, false},
	} {
		t.Run(tc.item, func(t *testing.T) {
			assert.Equal(t, tc.want, Undo(tc.item))
			assert.Equal(t, tc.copied, Copied(tc.item))
		})
	}
}

func TestSetUpdate(t *testing.T) {
	t0 := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	t1 := t0.Add(time.Second)
	old := Set{
		"a.xml":            {Path: "a.xml", Change: Changed, Item: "modified", Since: t0},
		"carbonapps/x.car": {Path: "carbonapps/x.car", Change: Added, Item: "unversioned", Since: t0},
	}
	for _, tc := range []struct {
		name      string
		looked    []string
		found     map[string]Change
		items     map[string]string
		want      Set
		wantNewly []string
	}{
		{
			name:   "a path looked at and clean leaves",
			looked: []string{"a.xml"},
			want:   Set{"carbonapps/x.car": old["carbonapps/x.car"]},
		},
		{
			name:   "a path not looked at stays; a folder looked at is not its files",
			looked: []string{"carbonapps", "b.xml"},
			found:  map[string]Change{"b.xml": Removed},
			items:  map[string]string{"b.xml": "missing"},
			want: Set{"a.xml": old["a.xml"], "carbonapps/x.car": old["carbonapps/x.car"],
				"b.xml": {Path: "b.xml", Change: Removed, Item: "missing", Since: t1}},
			wantNewly: []string{"b.xml"},
		},
		{
			name:   "still drifted the same way: seen since the first time, logged once",
			looked: []string{"a.xml"},
			found:  map[string]Change{"a.xml": Changed},
			items:  map[string]string{"a.xml": "conflicted"},
			want: Set{"a.xml": {Path: "a.xml", Change: Changed, Item: "conflicted", Since: t0},
				"carbonapps/x.car": old["carbonapps/x.car"]},
		},
		{
			name:   "drifted another way: new",
			looked: []string{"a.xml"},
			found:  map[string]Change{"a.xml": Removed},
			items:  map[string]string{"a.xml": "missing"},
			want: Set{"a.xml": {Path: "a.xml", Change: Removed, Item: "missing", Since: t1},
				"carbonapps/x.car": old["carbonapps/x.car"]},
			wantNewly: []string{"a.xml"},
		},
		{
			name:      "the whole tree looked at",
			looked:    []string{"."},
			found:     map[string]Change{"c.xml": Changed},
			items:     map[string]string{"c.xml": "modified"},
			want:      Set{"c.xml": {Path: "c.xml", Change: Changed, Item: "modified", Since: t1}},
			wantNewly: []string{"c.xml"},
		},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got, newly := old.Update(tc.looked, tc.found, tc.items, t1)
			assert.Equal(t, tc.want, got)
			var names []string
			for _, p := range newly {
				names = append(names, p.Path)
			}
			assert.Equal(t, tc.wantNewly, names)
		})
	}
	assert.Len(t, old, 2, "Update leaves the set it was called on as it was")
}

func TestSetDueAndFirst(t *testing.T) {
	t0 := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	s := Set{
		"b": {Path: "b", Change: Added, Since: t0},
		"a": {Path: "a", Change: Changed, Since: t0.Add(500 * time.Millisecond)},
		"c": {Path: "c", Change: Removed, Since: t0.Add(2 * time.Second)},
	}
	due := func(now time.Duration) []string {
		var out []string
		for _, p := range s.Due(t0.Add(now), time.Second) {
			out = append(out, p.Path)
		}
		return out
	}
	assert.Nil(t, due(900*time.Millisecond), "nothing seen for the wait yet")
	assert.Equal(t, []string{"b"}, due(time.Second))
	assert.Equal(t, []string{"a", "b"}, due(1500*time.Millisecond))
	assert.Equal(t, []string{"a", "b", "c"}, due(time.Hour))

	n, first := s.First(2)
	assert.Equal(t, 3, n)
	assert.Equal(t, []Path{s["a"], s["b"]}, first)
	n, first = Set(nil).First(10)
	assert.Zero(t, n)
	assert.Empty(t, first)
}

func TestLooked(t *testing.T) {
	assert.Equal(t, []string{"carbonapps", "carbonapps/x.car", "u", "u/v", "u/v/g"},
		Looked([]string{"u/v/g", "carbonapps/x.car", "carbonapps/x.car", "u/v"}))
	assert.Nil(t, Looked([]string{"."}), "the root is not a path of its own")
}
