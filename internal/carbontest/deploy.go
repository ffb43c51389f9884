package carbontest

import (
	"archive/zip"
	"bytes"
	"encoding/xml"
	"errors"
	"fmt"
	"io"
	"path"
	"sort"
	"strings"

	"github.com/depsync/depsync/carbonapp"
)

// synapseKinds maps an artifact type to the word Synapse's deployer logs
// and its logger (wso2-synapse modules/core/.../deployers).
var synapseKinds = map[string][2]string{
	"synapse/api":                {"API", "org.apache.synapse.deployers.APIDeployer"},
	"synapse/proxy-service":      {"ProxyService", "org.apache.synapse.deployers.ProxyServiceDeployer"},
	"synapse/sequence":           {"Sequence", "org.apache.synapse.deployers.SequenceDeployer"},
	"synapse/endpoint":           {"Endpoint", "org.apache.synapse.deployers.EndpointDeployer"},
	"synapse/local-entry":        {"LocalEntry", "org.apache.synapse.deployers.LocalEntryDeployer"},
	"synapse/message-store":      {"Message Store", "org.apache.synapse.deployers.MessageStoreDeployer"},
	"synapse/message-processors": {"Message Processor", "org.apache.synapse.deployers.MessageProcessorDeployer"},
	"synapse/inbound-endpoint":   {"Inbound Endpoint", "org.apache.synapse.deployers.InboundEndpointDeployer"},
	"synapse/template":           {"Template", "org.apache.synapse.deployers.TemplateDeployer"},
}

// typeOrder approximates the order in which Carbon's SynapseAppDeployer
// deploys artifact types: what others refer to comes first.
func typeOrder(t string) int {
	for i, o := range []string{"synapse/local-entry", "synapse/endpoint", "synapse/sequence", "synapse/message-store",
		"synapse/message-processors", "synapse/template", "synapse/proxy-service", "synapse/api", "synapse/inbound-endpoint"} {
		if o == t {
			return i
		}
	}
	return 100
}

// Stack frames of the records, as a Carbon 4.4 JVM prints them.
var (
	deployFrames = []string{
		"\tat org.apache.synapse.deployers.AbstractSynapseArtifactDeployer.deploy(AbstractSynapseArtifactDeployer.java:211)",
		"\tat org.wso2.carbon.application.deployer.synapse.SynapseAppDeployer.deployArtifacts(SynapseAppDeployer.java:131)",
		"\tat org.wso2.carbon.application.deployer.internal.ApplicationManager.deployCarbonApp(ApplicationManager.java:272)",
		"\tat org.wso2.carbon.application.deployer.CappAxis2Deployer.deploy(CappAxis2Deployer.java:72)",
		"\tat org.apache.axis2.deployment.repository.util.DeploymentFileData.deploy(DeploymentFileData.java:136)",
		"\tat org.apache.axis2.deployment.DeploymentEngine.doDeploy(DeploymentEngine.java:807)",
		"\tat org.apache.axis2.deployment.repository.util.WSInfoList.update(WSInfoList.java:144)",
		"\tat org.apache.axis2.deployment.RepositoryListener.update(RepositoryListener.java:377)",
		"\tat org.apache.axis2.deployment.RepositoryListener.checkServices(RepositoryListener.java:254)",
	}
	extractFrames = []string{
		"\tat org.wso2.carbon.application.deployer.AppDeployerUtils.extractCarbonApp(AppDeployerUtils.java:484)",
		"\tat org.wso2.carbon.application.deployer.internal.ApplicationManager.deployCarbonApp(ApplicationManager.java:220)",
		"\tat org.wso2.carbon.application.deployer.CappAxis2Deployer.deploy(CappAxis2Deployer.java:72)",
	}
	npeFrames = []string{
		"\tat org.wso2.carbon.application.deployer.internal.ApplicationManager.revertDeployedArtifacts(ApplicationManager.java:322)",
		"\tat org.wso2.carbon.application.deployer.internal.ApplicationManager.deployCarbonApp(ApplicationManager.java:296)",
		"\tat org.wso2.carbon.application.deployer.CappAxis2Deployer.deploy(CappAxis2Deployer.java:72)",
	}
)

// deploy writes what ApplicationManager.deployCarbonApp writes for the
// bytes of carbonapps/<name>.
func (c *Carbon) deploy(name, carPath string, data []byte, app *deployedApp) error {
	start := c.opts.Now()
	if err := c.info(LoggerAppManager, "Deploying Carbon Application : "+name+"..."); err != nil {
		return err
	}
	parsed, err := carbonapp.Parse(bytes.NewReader(data), int64(len(data)), name)
	if err != nil {
		var ce *carbonapp.Error
		if errors.As(err, &ce) && ce.Kind != carbonapp.KindNotZip && ce.Kind != carbonapp.KindIncomplete && ce.Kind != carbonapp.KindNoArtifactsXML {
			// artifacts.xml was read but is wrong: ApplicationManager
			// line 289 with a DeploymentException, no revert id known.
			app.faulty = true
			return c.write(c.opts.Tenant, Record{Level: "ERROR", Logger: LoggerAppManager, Msg: "Error occurred while deploying Carbon Application",
				Trace: append([]string{"org.apache.axis2.deployment.DeploymentException: " + err.Error()}, deployFrames[2:]...)})
		}
		// Not a C-App at all (section 2.5 of the README): a
		// CarbonException, then the NPE of revertDeployedArtifacts
		// escapes to CappAxis2Deployer. No id, not in the faulty list.
		if err := c.write(c.opts.Tenant, Record{Level: "ERROR", Logger: LoggerAppManager, Msg: "Error occurred while deploying Carbon Application",
			Trace: append([]string{"org.wso2.carbon.CarbonException: Error while extracting Carbon Application : " + name}, extractFrames...)}); err != nil {
			return err
		}
		return c.write(c.opts.Tenant, Record{Level: "ERROR", Logger: LoggerCappDeployer, Msg: "Error while deploying carbon application " + carPath,
			Trace: append([]string{"java.lang.NullPointerException"}, npeFrames...)})
	}
	for other, a := range c.apps {
		if other != name && a.id == parsed.ID && !a.faulty {
			app.faulty = true
			msg := "Carbon Application : " + parsed.ID + " already exists. Two applications can't have the same Id. Deployment aborted."
			if err := c.write(c.opts.Tenant, Record{Level: "ERROR", Logger: LoggerAppManager, Msg: msg}); err != nil {
				return err
			}
			if err := c.write(c.opts.Tenant, Record{Level: "ERROR", Logger: LoggerAppManager, Msg: "Error occurred while deploying Carbon Application",
				Trace: append([]string{"org.wso2.carbon.CarbonException: " + msg}, deployFrames[3:]...)}); err != nil {
				return err
			}
			return c.info(LoggerAppManager, "Reverting successfully deployed artifcats in this CApp : "+parsed.ID)
		}
	}
	app.id = parsed.ID
	files, err := zipFiles(data)
	if err != nil {
		return err
	}
	extracted := fmt.Sprintf("%s/wso2/tmp/carbonapps/%d/%d%s", strings.TrimSuffix(c.opts.Home, "/"), c.opts.Tenant, start.UnixMilli(), name)
	var done []carbonapp.Artifact
	arts := append([]carbonapp.Artifact(nil), parsed.Artifacts...)
	sort.SliceStable(arts, func(i, j int) bool { return typeOrder(arts[i].Type) < typeOrder(arts[j].Type) })
	for _, a := range arts {
		kind, ok := synapseKinds[a.Type]
		if !ok || len(a.Files) == 0 {
			continue
		}
		dir := a.Name + "_" + a.Version
		file := extracted + "/" + dir + "/" + a.Files[0]
		xerr := checkXML(files[path.Join(dir, a.Files[0])])
		if xerr == nil && c.opts.Refuse != nil {
			xerr = c.opts.Refuse(name, data)
		}
		if xerr != nil {
			app.faulty = true
			return c.fail(parsed.ID, file, xerr, done)
		}
		if err := c.info(kind[1], fmt.Sprintf("%s named '%s' has been deployed from file : %s", kind[0], a.Name, file)); err != nil {
			return err
		}
		done = append(done, a)
	}
	if len(parsed.Dependencies) == 0 {
		app.id = ""
		return c.write(c.opts.Tenant, Record{Level: "WARN", Logger: LoggerAppManager, Msg: "No artifacts found to be deployed in this server. Ignoring Carbon Application : " + name})
	}
	return c.info(LoggerAppManager, "Successfully Deployed Carbon Application : "+parsed.ID+TenantSuffix(c.opts.Tenant))
}

// fail writes a faulty deploy: Synapse's error, ApplicationManager's error
// with the stack trace, the revert (Carbon's spelling, "artifcats") and the
// undeploy of the artifacts deployed before the failing one.
func (c *Carbon) fail(id, file string, xerr error, done []carbonapp.Artifact) error {
	msg := "Deployment of synapse artifact failed. Error reading " + file + " : " + xerr.Error()
	if err := c.write(c.opts.Tenant, Record{Level: "ERROR", Logger: LoggerSynapseDeploy, Msg: msg,
		Trace: append([]string{"org.apache.axiom.om.OMException: javax.xml.stream.XMLStreamException: " + xerr.Error()}, deployFrames...)}); err != nil {
		return err
	}
	if err := c.write(c.opts.Tenant, Record{Level: "ERROR", Logger: LoggerAppManager, Msg: "Error occurred while deploying Carbon Application",
		Trace: append([]string{"org.apache.axis2.deployment.DeploymentException: " + msg}, deployFrames[1:]...)}); err != nil {
		return err
	}
	if err := c.info(LoggerAppManager, "Reverting successfully deployed artifcats in this CApp : "+id); err != nil {
		return err
	}
	for _, a := range done {
		kind := synapseKinds[a.Type]
		if err := c.info(kind[1], fmt.Sprintf("%s named '%s' has been undeployed", kind[0], a.Name)); err != nil {
			return err
		}
	}
	return nil
}

// zipFiles returns the small entries of a C-App by path.
func zipFiles(data []byte) (map[string][]byte, error) {
	zr, err := zip.NewReader(bytes.NewReader(data), int64(len(data)))
	if err != nil {
		return nil, fmt.Errorf("carbontest: %w", err)
	}
	out := map[string][]byte{}
	for _, f := range zr.File {
		if f.UncompressedSize64 > 1<<20 || strings.HasSuffix(f.Name, "/") {
			continue
		}
		rc, err := f.Open()
		if err != nil {
			return nil, fmt.Errorf("carbontest: %w", err)
		}
		b, err := io.ReadAll(rc)
		rc.Close()
		if err != nil {
			return nil, fmt.Errorf("carbontest: %w", err)
		}
		out[f.Name] = b
	}
	return out, nil
}

// checkXML reports whether an artifact's XML is well-formed: what Carbon's
// StAX parser rejects before Synapse looks at it.
func checkXML(b []byte) error {
	if b == nil {
		return errors.New("file not found in the C-App")
	}
	d := xml.NewDecoder(bytes.NewReader(b))
	for {
		_, err := d.Token()
		if err == io.EOF {
			return nil
		}
		if err != nil {
			return err
		}
	}
}
