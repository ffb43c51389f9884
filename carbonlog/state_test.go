package carbonlog

import (
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// ev is one record of a composed log: a header and its continuation lines.
type ev struct {
	tid    int
	level  string
	logger string
	msg    string
	cont   []string
}

func info(tid int, logger, msg string) ev {
	return ev{tid: tid, level: "INFO", logger: logger, msg: msg}
}
func warn(tid int, logger, msg string) ev {
	return ev{tid: tid, level: "WARN", logger: logger, msg: msg}
}
func errorEv(tid int, logger, msg string, cont ...string) ev {
	return ev{tid: tid, level: "ERROR", logger: logger, msg: msg, cont: cont}
}

const su = SuperTenant

var (
	start   = info(su, loggerCoreActivate, "Starting WSO2 Carbon...")
	started = info(su, "org.wso2.carbon.core.internal.StartupFinalizerServiceComponent", "WSO2 Carbon started in 41 sec")
)

func deploying(tid int, file string) ev {
	return info(tid, am, "Deploying Carbon Application : "+file+"...")
}

func suffix(tid int) string {
	if tid == su {
		return "{super-tenant}"
	}
	return fmt.Sprintf("{tenant-%d}", tid)
}

func deployed(tid int, id string) ev {
	return info(tid, am, "Successfully Deployed Carbon Application : "+id+" "+suffix(tid))
}

func undeploying(tid int, id string) ev {
	return info(tid, am, "Undeploying Carbon Application : "+id+"...")
}

func undeployed(tid int, id string) ev {
	return info(tid, am, "Successfully Undeployed Carbon Application : "+id+" "+suffix(tid))
}

func artifact(tid int, kind, name, file string) ev {
	return info(tid, "org.apache.synapse.deployers.EndpointDeployer",
		fmt.Sprintf("%s named '%s' has been deployed from file : /opt/ei/wso2/tmp/carbonapps/%d/1503397968207%s/%s_1.0.0/%s-1.0.0.xml", kind, name, tid, file, name, name))
}

var trace = []string{
	"org.apache.axis2.deployment.DeploymentException: Sequence Deployment from the file : /opt/ei/wso2/tmp/carbonapps/-1234/1503397968207Bad_1.0.0.car/Seq_1.0.0/Seq-1.0.0.xml : Failed.",
	"\tat org.wso2.carbon.application.deployer.internal.ApplicationManager.deployCarbonApp(ApplicationManager.java:272)",
	"\tat org.wso2.carbon.application.deployer.CappAxis2Deployer.deploy(CappAxis2Deployer.java:72)",
	"\t... 22 more",
}

// render writes events in a layout, one millisecond apart from base.
func render(l layout, base time.Time, evs []ev) string {
	var b strings.Builder
	for i, e := range evs {
		ts := base.Add(time.Duration(i) * time.Millisecond).Format(tsLayout)
		b.WriteString(line(l, e.tid, ts, e.level, e.logger, e.msg))
		b.WriteByte('\n')
		for _, c := range e.cont {
			b.WriteString(c)
			b.WriteByte('\n')
		}
	}
	return b.String()
}

// want is an expected end state; Time is checked as the index of the event
// that set it.
type want struct {
	tenant int
	id     string
	file   string
	state  State
	at     int
	err    string
}

var base = time.Date(2019, 3, 5, 14, 0, 0, 0, time.UTC)

func TestTrackerLineKinds(t *testing.T) {
	cases := []struct {
		name string
		evs  []ev
		want []want
	}{
		{"deploying", []ev{start, deploying(su, "A_1.0.0.car")},
			[]want{{su, "", "A_1.0.0.car", Deploying, 1, ""}}},
		{"deployed: the id is not the file name", []ev{start, deploying(su, "a-feed-1.0.0.car"), artifact(su, "Endpoint", "E", "a-feed-1.0.0.car"), deployed(su, "AFeedApp_1.0.0")},
			[]want{{su, "AFeedApp_1.0.0", "a-feed-1.0.0.car", Deployed, 3, ""}}},
		{"tenant deploy keys by tenant", []ev{start, deploying(7, "T_1.0.0.car"), deployed(7, "T_1.0.0"), deploying(su, "T_1.0.0.car"), deployed(su, "T_1.0.0")},
			[]want{{su, "T_1.0.0", "T_1.0.0.car", Deployed, 4, ""}, {7, "T_1.0.0", "T_1.0.0.car", Deployed, 2, ""}}},
		{"redeploy by overwrite (hot update)", []ev{start, deploying(su, "a.car"), deployed(su, "A_1"), undeploying(su, "A_1"), undeployed(su, "A_1"), deploying(su, "a.car"), deployed(su, "A_1")},
			[]want{{su, "A_1", "a.car", Deployed, 6, ""}}},
		{"redeploy: deploying again knows the id from the file", []ev{start, deploying(su, "a.car"), deployed(su, "A_1"), warn(su, am, "Carbon Application : a.car has been updated. Removing the existing application and redeploying..."), undeploying(su, "A_1"), undeployed(su, "A_1"), deploying(su, "a.car")},
			[]want{{su, "A_1", "a.car", Deploying, 6, ""}}},
		{"undeployed", []ev{start, deploying(su, "a.car"), deployed(su, "A_1"), undeploying(su, "A_1"), undeployed(su, "A_1")},
			[]want{{su, "A_1", "a.car", Undeployed, 4, ""}}},
		{"faulty: first error line, artifcats (sic)", []ev{start, deploying(su, "Bad_1.0.0.car"), artifact(su, "Endpoint", "E", "Bad_1.0.0.car"),
			errorEv(su, "org.apache.synapse.config.xml.MediatorPropertyFactory", "Entry name is a required attribute for a Log property"),
			errorEv(su, "org.wso2.carbon.sequences.SequenceDeploymentInterceptor", "Sequence Deployment from the file : x.xml : Failed.", trace...),
			errorEv(su, am, "Error occurred while deploying Carbon Application", trace...),
			info(su, am, "Reverting successfully deployed artifcats in this CApp : BadApp_1.0.0")},
			[]want{{su, "BadApp_1.0.0", "Bad_1.0.0.car", Faulty, 6, "Entry name is a required attribute for a Log property"}}},
		{"faulty: the exception line when no earlier error", []ev{start, deploying(su, "Bad_1.0.0.car"),
			errorEv(su, am, "Error occurred while deploying Carbon Application", trace...),
			info(su, am, "Reverting successfully deployed artifcats in this CApp : BadApp_1.0.0")},
			[]want{{su, "BadApp_1.0.0", "Bad_1.0.0.car", Faulty, 3, trace[0]}}},
		{"faulty removed", []ev{start, deploying(su, "Bad_1.0.0.car"),
			errorEv(su, am, "Error occurred while deploying Carbon Application", trace...),
			info(su, am, "Reverting successfully deployed artifcats in this CApp : BadApp_1.0.0"),
			info(su, cad, "Undeploying Faulty Carbon Application On : /opt/ei/repository/deployment/server/carbonapps/Bad_1.0.0.car")},
			[]want{{su, "BadApp_1.0.0", "Bad_1.0.0.car", Undeployed, 4, ""}}},
		{"faulty replaced: deploying again", []ev{start, deploying(su, "Bad_1.0.0.car"),
			errorEv(su, am, "Error occurred while deploying Carbon Application", trace...),
			info(su, am, "Reverting successfully deployed artifcats in this CApp : BadApp_1.0.0"),
			info(su, cad, `Undeploying Faulty Carbon Application On : C:\ei\bin\..\repository\deployment\server\carbonapps\Bad_1.0.0.car`),
			deploying(su, "Bad_1.0.0.car"), deployed(su, "BadApp_1.0.0")},
			[]want{{su, "BadApp_1.0.0", "Bad_1.0.0.car", Deployed, 6, ""}}},
		{"faulty removed of a file never seen changes nothing", []ev{start,
			info(su, cad, "Undeploying Faulty Carbon Application On : /x/carbonapps/Gone.car")}, nil},
		{"corrupt archive: no id, the file names it", []ev{start, deploying(su, "corrupt_1.0.0.car"),
			errorEv(su, am, "Error occurred while deploying Carbon Application", "org.wso2.carbon.CarbonException: Error while extracting Carbon Application : corrupt_1.0.0.car", "\tat x(Y.java:1)"),
			errorEv(su, cad, "Error while deploying carbon application /opt/ei/repository/deployment/server/carbonapps/corrupt_1.0.0.car", "java.lang.NullPointerException", "\tat org.wso2.carbon.application.deployer.internal.ApplicationManager.revertDeployedArtifacts(ApplicationManager.java:322)")},
			[]want{{su, "", "corrupt_1.0.0.car", Faulty, 3, "org.wso2.carbon.CarbonException: Error while extracting Carbon Application : corrupt_1.0.0.car"}}},
		{"no artifacts for this server: unknown", []ev{start, deploying(su, "Billing_2.1.0.car"),
			warn(su, am, "No artifacts found to be deployed in this server. Ignoring Carbon Application : Billing_2.1.0.car")},
			[]want{{su, "", "Billing_2.1.0.car", Unknown, 2, "No artifacts found to be deployed in this server. Ignoring Carbon Application : Billing_2.1.0.car"}}},
		{"dependencies unsatisfied: faulty", []ev{start, deploying(su, "d.car"),
			errorEv(su, am, "Some dependencies in cApp : D_1.0.0 were not satisfied. Check whether all dependent artifacts are included in cApp file : /opt/ei/tmp/d.car")},
			[]want{{su, "D_1.0.0", "d.car", Faulty, 2, "Some dependencies in cApp : D_1.0.0 were not satisfied. Check whether all dependent artifacts are included in cApp file : /opt/ei/tmp/d.car"}}},
		{"duplicate id: the new file is faulty, the deployed one stays", []ev{start, deploying(su, "a.car"), deployed(su, "A_1"), deploying(su, "a-copy.car"),
			errorEv(su, am, "Carbon Application : A_1 already exists. Two applications can't have the same Id. Deployment aborted."),
			errorEv(su, am, "Error occurred while deploying Carbon Application", trace...),
			info(su, am, "Reverting successfully deployed artifcats in this CApp : A_1")},
			[]want{{su, "A_1", "a.car", Deployed, 2, ""}, {su, "", "a-copy.car", Faulty, 6, "Carbon Application : A_1 already exists. Two applications can't have the same Id. Deployment aborted."}}},
		{"server start resets", []ev{start, deploying(su, "a.car"), deployed(su, "A_1"), info(su, "org.wso2.carbon.core.init.CarbonServerManager", "Shutdown complete"), start, started},
			nil},
		{"tenants interleave by TID", []ev{start, deploying(su, "a.car"), deploying(2, "b.car"), deployed(2, "B_1"),
			errorEv(su, "org.apache.synapse.deployers.AbstractSynapseArtifactDeployer", "Deployment of the Synapse Artifact from file : a.xml : Failed!"),
			errorEv(su, am, "Error occurred while deploying Carbon Application", trace...),
			info(su, am, "Reverting successfully deployed artifcats in this CApp : A_1")},
			[]want{{su, "A_1", "a.car", Faulty, 6, "Deployment of the Synapse Artifact from file : a.xml : Failed!"}, {2, "B_1", "b.car", Deployed, 3, ""}}},
		{"tenant unload is not undeploy", []ev{start, deploying(2, "b.car"), deployed(2, "B_1"),
			info(-1, "org.wso2.carbon.core.multitenancy.utils.TenantAxisUtils", "Starting to clean tenant : t2.com"),
			info(-1, "org.wso2.carbon.core.multitenancy.utils.TenantAxisUtils", "Cleaned up tenant t2.com")},
			[]want{{2, "B_1", "b.car", Deployed, 2, ""}}},
		{"a log that begins mid-deploy", []ev{deployed(su, "A_1")},
			[]want{{su, "A_1", "", Deployed, 0, ""}}},
	}
	seen := time.Date(2030, 1, 1, 0, 0, 0, 0, time.UTC)
	for _, l := range []layout{layoutTID, layoutBracket} {
		for _, c := range cases {
			t.Run(l.String()+"/"+c.name, func(t *testing.T) {
				got, err := ReadAll(strings.NewReader(render(l, base, c.evs)), time.UTC, func() time.Time { return seen })
				require.NoError(t, err)
				var gw []want
				for _, s := range got {
					at := int(s.Time.Sub(base) / time.Millisecond)
					gw = append(gw, want{s.Tenant, s.ID, s.File, s.State, at, s.Error})
					assert.Equal(t, seen, s.Seen)
				}
				assert.Equal(t, c.want, gw)
			})
		}
	}
}
