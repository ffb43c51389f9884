package carbontest

import (
	"fmt"
	"strings"
	"time"
)

// Layout is the layout of wso2carbon.log lines.
type Layout int

const (
	// LayoutEI61 is EI 6.0-6.2 and Carbon 4.4's CARBON_LOGFILE layout:
	// TID: [%T] [%S] [%d] %P%5p {%c} - %x %m {%c}%n
	LayoutEI61 Layout = iota
	// LayoutEI64 is EI 6.3-6.5's: [%d] [%T] [%S] [%t] %P%5p {%c} - %x %m%n
	LayoutEI64
)

// Loggers (log4j %c) of the lines the stand-in writes.
const (
	LoggerAppManager    = "org.wso2.carbon.application.deployer.internal.ApplicationManager"
	LoggerCappDeployer  = "org.wso2.carbon.application.deployer.CappAxis2Deployer"
	LoggerCoreActivator = "org.wso2.carbon.core.internal.CarbonCoreActivator"
	LoggerStartup       = "org.wso2.carbon.core.internal.StartupFinalizerServiceComponent"
	LoggerServerManager = "org.wso2.carbon.core.init.CarbonServerManager"
	LoggerSynapseDeploy = "org.apache.synapse.deployers.AbstractSynapseArtifactDeployer"
)

// Record is one log record: a header line and its continuation lines
// (a stack trace).
type Record struct {
	Time   time.Time
	Level  string // INFO, WARN, ERROR
	Logger string
	Msg    string
	Trace  []string
}

// Format renders a record of tenant (-1234 for the super tenant; domain
// names a tenant in the %P prefix) the way log4j 1.2 with Carbon's
// TenantAwarePatternLayout does: %5p pads the level, %S and %x print
// nothing, %d is yyyy-MM-dd HH:mm:ss,SSS in the JVM's zone.
func Format(l Layout, tenant int, domain string, r Record) string {
	p := ""
	thread := "CarbonDeploymentSchedulerThread-1"
	if tenant > 0 {
		// TenantPattern %U%@%D [%T] [%S]: the deployment scheduler thread has
		// no user, and %S reads ServerKey afresh.
		p = fmt.Sprintf("@%s [%d] [EI]", domain, tenant)
		thread = "TenantDeploymentSchedulerThread-1"
	}
	ts := r.Time.Format("2006-01-02 15:04:05,000")
	var b strings.Builder
	switch l {
	case LayoutEI64:
		fmt.Fprintf(&b, "[%s] [%d] [] [%s] %s%5s {%s} -  %s\n", ts, tenant, thread, p, r.Level, r.Logger, r.Msg)
	default:
		fmt.Fprintf(&b, "TID: [%d] [] [%s] %s%5s {%s} -  %s {%s}\n", tenant, ts, p, r.Level, r.Logger, r.Msg, r.Logger)
	}
	for _, t := range r.Trace {
		b.WriteString(t)
		b.WriteByte('\n')
	}
	return b.String()
}

// TenantSuffix is AppDeployerUtils.getTenantIdLogString: " {super-tenant}"
// or " {tenant-<id>}", never the domain.
func TenantSuffix(tenant int) string {
	if tenant > 0 {
		return fmt.Sprintf(" {tenant-%d}", tenant)
	}
	return " {super-tenant}"
}
