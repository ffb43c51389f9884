package carbonxml

import (
	"testing"

	"github.com/stretchr/testify/require"
)

// FuzzEdit checks Edit's promises on any input it accepts: the result reads
// back as written, a second run changes nothing, and when the file had a
// block, no line outside it (and the <Server> tag, for Secure Vault) changed.
func FuzzEdit(f *testing.F) {
	for _, s := range []string{fixtureFull, fixtureNoBlock, fixtureOnlyCommented, fixtureCRLF, fixtureTabs,
		fixtureTabsNoBlock, fixtureExtra, fixtureSelfClosing, fixtureEmpty, fixtureOneLine, fixtureLatin1,
		fixtureSecure, fixtureRootSelfClosing, fixtureNoIndent, fixtureEI} {
		f.Add([]byte(s), true, false)
		f.Add([]byte(s), false, true)
	}
	f.Fuzz(func(t *testing.T, src []byte, manager, secure bool) {
		role := "worker"
		if manager {
			role = "manager"
		}
		s := settings(role)
		s.SecureVault = secure
		out, created, err := edit(src, s)
		if err != nil {
			return
		}
		again, err := Edit(out, s)
		require.NoError(t, err)
		require.Equal(t, string(out), string(again))
		if !created {
			assertConfined(t, src, out, secure)
		}
	})
}
