package config

import (
	"fmt"
	"os"
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// TestTokenFileWarning: a token_file open to the group or others is
// warned about, naming the file and the fix.
func TestTokenFileWarning(t *testing.T) {
	dir := t.TempDir()
	for mode, want := range map[os.FileMode]string{
		0o600: "", 0o400: "", 0o640: "its group", 0o644: "its group and every other user", 0o604: "every other user", 0o620: "its group",
	} {
		p := writeFile(t, dir, fmt.Sprintf("tok%o", mode), "0123456789abcdef0123456789abcdef")
		require.NoError(t, os.Chmod(p, mode))
		got := (&Config{TokenFile: p}).TokenFileWarning()
		if want == "" {
			assert.Empty(t, got, "%o", mode)
			continue
		}
		assert.Contains(t, got, want, "%o", mode)
		assert.Contains(t, got, "chmod 600 "+p)
		assert.Contains(t, got, fmt.Sprintf("mode %04o", mode))
		assert.NotContains(t, got, "0123456789abcdef")
	}
	assert.Empty(t, (&Config{}).TokenFileWarning())
}

// TestWarnings: run and config check say the same warnings, from here.
func TestWarnings(t *testing.T) {
	assert.Empty(t, (&Config{}).Warnings())
	ws := (&Config{InsecureHTTP: true}).Warnings()
	require.Len(t, ws, 1)
	assert.Contains(t, ws[0], "insecure_http: true")
	assert.Contains(t, ws[0], "in clear")

	p := filepath.Join(t.TempDir(), "token")
	require.NoError(t, os.WriteFile(p, []byte("x"), 0o644))
	ws = (&Config{InsecureHTTP: true, TokenFile: p}).Warnings()
	require.Len(t, ws, 2)
	assert.Contains(t, ws[1], "chmod 600")
}
