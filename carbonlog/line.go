package carbonlog

import (
	"regexp"
	"strconv"
	"strings"
	"time"
)

// Loggers whose lines carry C-App and server life-cycle events (README of
// the carbon-logs test data, section 6.3).
const (
	loggerAppManager   = "org.wso2.carbon.application.deployer.internal.ApplicationManager"
	loggerCappDeployer = "org.wso2.carbon.application.deployer.CappAxis2Deployer"
	loggerCoreActivate = "org.wso2.carbon.core.internal.CarbonCoreActivator"
)

// tsLayout is log4j's ISO8601 date (%d): JVM local time, no zone.
const tsLayout = "2006-01-02 15:04:05,000"

var (
	// EI 6.0-6.2 and Carbon 4.4 products: TID: [%T] [%S] [%d] %P%5p {%c} - %x %m {%c}%n.
	// It also matches EI 6.6.0's log4j2 file layout (one space after "-", no trailing logger).
	headerTID = regexp.MustCompile(`^TID: \[(-?\d*)\] \[[^\]]*\] \[(\d{4}-\d{2}-\d{2} \d{2}:\d{2}:\d{2},\d{3})\] .*?([A-Z]{3,5}) \{([^{}]+)\} - {1,2}(.*)$`)
	// EI 6.3-6.5: [%d] [%T] [%S] [%t] %P%5p {%c} - %x %m%n.
	headerBracket = regexp.MustCompile(`^\[(\d{4}-\d{2}-\d{2} \d{2}:\d{2}:\d{2},\d{3})\] \[(-?\d*)\] \[[^\]]*\] \[[^\]]*\] .*?([A-Z]{3,5}) \{([^{}]+)\} - {1,2}(.*)$`)

	// The two "Successfully ..." lines end with the tenant suffix of
	// AppDeployerUtils.getTenantIdLogString: never the tenant domain.
	deployedRE   = regexp.MustCompile(`^Successfully Deployed Carbon Application : (.+) \{(super-tenant|tenant-(\d+))\}$`)
	undeployedRE = regexp.MustCompile(`^Successfully Undeployed Carbon Application : (.+) \{(super-tenant|tenant-(\d+))\}$`)
)

// record is the first line of a log record: what the header says. Its
// continuation lines (stack traces) are handled one by one and not kept.
type record struct {
	tid    string // %T: "-1234", "1", "-1" or ""
	time   time.Time
	level  string
	logger string
	msg    string
}

// parseHeader parses a record's first line in either file layout. ok is
// false for a continuation line (a stack trace or a multi-line message).
func parseHeader(line string, loc *time.Location) (record, bool) {
	var tid, ts, level, logger, rest string
	switch {
	case strings.HasPrefix(line, "TID: ["):
		m := headerTID.FindStringSubmatch(line)
		if m == nil {
			return record{}, false
		}
		tid, ts, level, logger, rest = m[1], m[2], m[3], m[4], m[5]
	case strings.HasPrefix(line, "["):
		m := headerBracket.FindStringSubmatch(line)
		if m == nil {
			return record{}, false
		}
		ts, tid, level, logger, rest = m[1], m[2], m[3], m[4], m[5]
	default:
		return record{}, false
	}
	// The 6.0-6.2 layout repeats the logger after the message; the message
	// may also end with a space of its own (DependencyTracker lines).
	rest = strings.TrimSuffix(rest, " {"+logger+"}")
	t, err := time.ParseInLocation(tsLayout, ts, loc)
	if err != nil {
		return record{}, false
	}
	return record{tid: tid, time: t, level: level, logger: logger, msg: strings.TrimRight(rest, " ")}, true
}

// tenantOfTID maps %T to a tenant id. "-1" and "" mean no tenant context;
// C-App lines written so belong to the super tenant's start-up deployment.
func tenantOfTID(tid string) int {
	n, err := strconv.Atoi(tid)
	if err != nil || n == -1 {
		return SuperTenant
	}
	return n
}

// tenantOfSuffix maps "super-tenant" / "tenant-N" to a tenant id.
func tenantOfSuffix(suffix, id string) int {
	if suffix == "super-tenant" {
		return SuperTenant
	}
	n, err := strconv.Atoi(id)
	if err != nil {
		return SuperTenant
	}
	return n
}

// baseName returns the last element of a path written with either
// separator: Carbon on Windows logs back-slashes.
func baseName(p string) string {
	if i := strings.LastIndexAny(p, `/\`); i >= 0 {
		return p[i+1:]
	}
	return p
}
