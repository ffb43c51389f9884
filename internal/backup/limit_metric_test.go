package backup

import (
	"strings"
	"testing"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/testutil"
	"github.com/stretchr/testify/require"
)

func TestMaxBytesIsExported(t *testing.T) {
	reg := prometheus.NewRegistry()
	New(t.TempDir(), Options{MaxBytes: 1 << 30, Registerer: reg})
	require.NoError(t, testutil.GatherAndCompare(reg, strings.NewReader(`
# HELP depsync_backup_max_bytes backups.max_bytes: the cap on depsync_backup_bytes (0: no size limit).
# TYPE depsync_backup_max_bytes gauge
depsync_backup_max_bytes 1.073741824e+09
`), "depsync_backup_max_bytes"))
}
