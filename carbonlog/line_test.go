package carbonlog

import (
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// The two file layouts of section 3 of the carbon-logs README.
type layout int

const (
	layoutTID     layout = iota // EI 6.0-6.2: TID: [%T] [%S] [%d] %P%5p {%c} - %x %m {%c}%n
	layoutBracket               // EI 6.3-6.5: [%d] [%T] [%S] [%t] %P%5p {%c} - %x %m%n
)

func (l layout) String() string {
	if l == layoutTID {
		return "ei6.1"
	}
	return "ei6.4"
}

const (
	am  = loggerAppManager
	cad = loggerCappDeployer
)

// line renders one record header in a layout, as log4j would: %5p pads the
// level, %x (NDC) is empty, the tenant prefix %P is "@<domain> [<id>] [EI]"
// for a tenant.
func line(l layout, tid int, ts, level, logger, msg string) string {
	p := ""
	if tid > 0 {
		p = fmt.Sprintf("@t%d.com [%d] [EI]", tid, tid)
	}
	lv := fmt.Sprintf("%5s", level)
	switch l {
	case layoutTID:
		return fmt.Sprintf("TID: [%d] [] [%s] %s%s {%s} -  %s {%s}", tid, ts, p, lv, logger, msg, logger)
	default:
		return fmt.Sprintf("[%s] [%d] [] [CarbonDeploymentSchedulerThread-1] %s%s {%s} -  %s", ts, tid, p, lv, logger, msg)
	}
}

func TestParseHeader(t *testing.T) {
	for _, l := range []layout{layoutTID, layoutBracket} {
		t.Run(l.String(), func(t *testing.T) {
			for _, c := range []struct {
				tid          int
				level, msg   string
				wantTID      string
				wantLevelMsg string
			}{
				{-1234, "INFO", "Deploying Carbon Application : X_1.0.0.car...", "-1234", "INFO"},
				{-1234, "ERROR", "Error occurred while deploying Carbon Application", "-1234", "ERROR"},
				{3, "INFO", "Successfully Deployed Carbon Application : X_1.0.0 {tenant-3}", "3", "INFO"},
				{-1, "WARN", "No artifacts found to be deployed in this server. Ignoring Carbon Application : Y.car", "-1", "WARN"},
			} {
				ln := line(l, c.tid, "2019-03-05 14:02:11,517", c.level, am, c.msg)
				r, ok := parseHeader(ln, time.UTC)
				require.True(t, ok, ln)
				assert.Equal(t, c.wantTID, r.tid)
				assert.Equal(t, c.wantLevelMsg, r.level)
				assert.Equal(t, am, r.logger)
				assert.Equal(t, c.msg, r.msg)
				assert.Equal(t, time.Date(2019, 3, 5, 14, 2, 11, 517e6, time.UTC), r.time)
			}
		})
	}
	// Continuation lines and lines of other layouts are not headers.
	for _, ln := range []string{
		"org.apache.synapse.SynapseException: Entry name is a required attribute for a Log property",
		"\tat org.apache.synapse.deployers.SequenceDeployer.deploySynapseArtifact(SequenceDeployer.java:58)",
		"\t... 22 more",
		"TID: [2017-03-02 17:36:45,978]  WARN {org.wso2.carbon.server.Main} -  Cannot write wso2carbon.pid file {org.wso2.carbon.server.Main}",
		"[2019-03-05 14:02:11,517] not a header",
		"",
	} {
		_, ok := parseHeader(ln, time.UTC)
		assert.False(t, ok, ln)
	}
	// EI 6.6.0 (log4j2): one space after "-", no trailing logger.
	r, ok := parseHeader("TID: [-1234] [] [2020-01-02 03:04:05,006]  INFO {"+am+"} - Deploying Carbon Application : X_1.0.0.car...", time.UTC)
	require.True(t, ok)
	assert.Equal(t, "Deploying Carbon Application : X_1.0.0.car...", r.msg)
	// A DependencyTracker message ends with a space of its own.
	r, ok = parseHeader("TID: [-1234] [] [2017-08-22 09:21:37,521]  INFO {org.wso2.carbon.mediation.dependency.mgt.DependencyTracker} -  Endpoint : E was added to the Synapse configuration successfully - [ Deployed From Artifact Container: C ]  {org.wso2.carbon.mediation.dependency.mgt.DependencyTracker}", time.UTC)
	require.True(t, ok)
	assert.True(t, strings.HasSuffix(r.msg, "Container: C ]"), r.msg)
}

func TestBaseName(t *testing.T) {
	assert.Equal(t, "A_1.0.0.car", baseName("/opt/ei/repository/deployment/server/carbonapps/A_1.0.0.car"))
	assert.Equal(t, "S_1.0.0.car", baseName(`C:\PROGRA~1\WSO2\bin\..\repository\deployment\server\carbonapps\S_1.0.0.car`))
	assert.Equal(t, "x.car", baseName("x.car"))
}
