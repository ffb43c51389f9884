package gate

import (
	"os"
	"path/filepath"
	"runtime"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
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
		{"a C-App closed: ValidCApp proves it", "carbonapps/A.car", "not judged here", false, true},
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
			sig, err := Stat(abs)
			require.NoError(t, err)
			g := New(dir, time.Hour, time.Hour, nil, nil)
			assert.Equal(t, tt.complete, g.Complete(tt.file, abs, sig))
		})
	}
}
