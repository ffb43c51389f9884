package syncer

import (
	"context"
	"os"
	"path/filepath"
	"runtime"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/depsync/depsync/config"
	"github.com/depsync/depsync/internal/testcapp"
	"github.com/depsync/depsync/svn"
)

func TestCompleteIsProvenOrWaits(t *testing.T) {
	if runtime.GOOS != "linux" {
		t.Skip("the proof of no writer is a Linux file lease")
	}
	tests := []struct {
		name     string
		file     string
		body     string
		open     bool // a writer still has it open
		complete bool
	}{
		{"well-formed XML, closed", "api/a.xml", `<?xml version="1.0"?><api name="a"><resource/></api>`, false, true},
		{"XML with comments and space around", "api/a.xml", "<!-- c -->\n<api/>\n<!-- end -->\n", false, true},
		{"XML declaring Latin-1", "a.xml", "<?xml version=\"1.0\" encoding=\"ISO-8859-1\"?><a>caf\xe9</a>", false, true},
		{"XML declaring windows-1252", "a.xml", "<?xml version=\"1.0\" encoding=\"windows-1252\"?><a>caf\xe9</a>", false, true},
		{"XML declaring iso_8859-1", "a.xml", "<?xml version=\"1.0\" encoding=\"iso_8859-1\"?><a>caf\xe9</a>", false, true},
		{"XML cut short", "api/a.xml", `<api name="a"><resource/>`, false, false},
		{"XML cut in a tag", "api/a.xml", `<api name="a"><reso`, false, false},
		{"XML empty", "api/a.xml", ``, false, false},
		{"two roots", "api/a.xml", `<a/><b/>`, false, false},
		{"text after the root", "api/a.xml", `<a/>junk`, false, false},
		{"well-formed XML still open for writing", "api/a.xml", `<api/>`, true, false},
		{"other file, closed", "lib/x.jar", "bytes", false, true},
		{"other file, open for writing", "lib/x.jar", "bytes", true, false},
		{"a C-App closed: validCApp proves it", "carbonapps/A.car", "not judged here", false, true},
		{"a C-App open for writing", "carbonapps/A.car", "PK", true, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			dir := t.TempDir()
			abs := filepath.Join(dir, filepath.FromSlash(tt.file))
			require.NoError(t, os.MkdirAll(filepath.Dir(abs), 0o755))
			require.NoError(t, os.WriteFile(abs, []byte(tt.body), 0o644))
			if tt.open {
				w, err := os.OpenFile(abs, os.O_WRONLY|os.O_APPEND, 0)
				require.NoError(t, err)
				defer w.Close()
			}
			sig, err := statSig(abs)
			require.NoError(t, err)
			g := newGate(dir, time.Hour, time.Hour, nil, nil)
			assert.Equal(t, tt.complete, g.complete(tt.file, abs, sig))
		})
	}
}

// TestManagerShipsProvenFilesAtOnce: a closed, well-formed XML file and a
// closed, valid C-App written an instant ago go into the next commit
// without the quiet time (sync.debounce is an hour here).
func TestManagerShipsProvenFilesAtOnce(t *testing.T) {
	if runtime.GOOS != "linux" {
		t.Skip("the proof of no writer is a Linux file lease")
	}
	c := testConfig(t, config.RoleManager)
	c.Sync.Debounce, c.Sync.MaxDelay = time.Hour, time.Hour
	dir := c.Carbon.DeploymentDir
	require.NoError(t, os.MkdirAll(filepath.Join(dir, "carbonapps"), 0o755))
	require.NoError(t, os.MkdirAll(filepath.Join(dir, "synapse-configs"), 0o755))
	testcapp.Write(t, filepath.Join(dir, "carbonapps"), "A_1.0.0.car", "A", "1.0.0")
	require.NoError(t, os.WriteFile(filepath.Join(dir, "synapse-configs", "a.xml"), []byte("<api/>"), 0o644))
	require.NoError(t, os.WriteFile(filepath.Join(dir, "synapse-configs", "b.xml"), []byte("<api>"), 0o644))
	f := &fakeSVN{commitRev: 5, status: []svn.StatusEntry{
		{Path: "carbonapps/A_1.0.0.car", Item: "unversioned", Kind: "file"},
		{Path: "synapse-configs/a.xml", Item: "unversioned", Kind: "file"},
		{Path: "synapse-configs/b.xml", Item: "unversioned", Kind: "file"},
	}}
	d, err := New(c, Deps{SVN: f})
	require.NoError(t, err)
	m := newManager(d.tenants[0])

	res, err := m.sync(context.Background(), nil, true)
	require.NoError(t, err)
	assert.Equal(t, int64(5), res.rev)
	assert.Equal(t, [][]string{{"carbonapps/A_1.0.0.car", "synapse-configs/a.xml"}}, f.committed)
	assert.Equal(t, []string{"synapse-configs/b.xml"}, res.waiting, "an XML cut short waits for the quiet time")
}
