package carbonlog

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/testutil"
	"github.com/stretchr/testify/require"
)

func TestCollector(t *testing.T) {
	path := filepath.Join(t.TempDir(), "wso2carbon.log")
	require.NoError(t, os.WriteFile(path, []byte(render(layoutTID, base, []ev{start,
		deploying(su, "a.car"), deployed(su, "A_1"),
		deploying(su, "b.car"), errorEv(su, am, "Error occurred while deploying Carbon Application", trace...),
		info(su, am, "Reverting successfully deployed artifcats in this CApp : B_1"),
		deploying(2, "c.car"), deployed(2, "C_1"),
	})), 0o644))
	r := quietReader(path)
	r.Poll()
	reg := prometheus.NewPedanticRegistry()
	reg.MustRegister(NewCollector(r))
	require.NoError(t, testutil.GatherAndCompare(reg, strings.NewReader(`
# HELP depsync_capps C-Apps by the state Carbon's log gives them (deploying, deployed, faulty, undeployed, unknown), since Carbon's last start.
# TYPE depsync_capps gauge
depsync_capps{state="deployed"} 2
depsync_capps{state="deploying"} 0
depsync_capps{state="faulty"} 1
depsync_capps{state="undeployed"} 0
depsync_capps{state="unknown"} 0
`), "depsync_capps"))
}
