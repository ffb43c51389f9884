package cappname

import (
	"strings"
	"testing"

	"github.com/stretchr/testify/require"
)

func TestValid(t *testing.T) {
	good := []string{"App_1.0.0.car", "a.car", "0x.car", "My-App_1.0.0-SNAPSHOT.car", strings.Repeat("a", 251) + ".car"}
	bad := []string{"", ".car", ".x.car", "../x.car", "a/b.car", `a\b.car`, "x.car\x00", "x.car%00", "%2e%2e%2fx.car",
		"x.zip", "x.CAR", "-x.car", "_x.car", "a..car", "x .car", "é.car", strings.Repeat("a", 252) + ".car", "x.car/"}
	for _, n := range good {
		require.True(t, Valid(n), n)
	}
	for _, n := range bad {
		require.False(t, Valid(n), n)
	}
}
