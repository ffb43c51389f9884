package doctor

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path"
	"path/filepath"
	"strings"

	"github.com/depsync/depsync/config"
	"github.com/depsync/depsync/config/carbonxml"
	"github.com/depsync/depsync/internal/regfile"
)

// Files the checks read, relative to the conf folder.
const (
	fileAxis2     = "axis2/axis2.xml"
	fileEP        = "event-processor.xml"
	fileSpark     = "analytics/spark/spark-defaults.conf"
	fileMasterDS  = "datasources/master-datasources.xml"
	fileAnalytics = "datasources/analytics-datasources.xml"
	fileUserMgt   = "user-mgt.xml"
	fileRegistry  = "registry.xml"
	fileCarbon    = "carbon.xml"
)

// maxConfFile is the most read of one conf file. Carbon's largest
// (axis2.xml) is tens of kilobytes; more is the wrong file, and a path that
// names a device would otherwise be read for ever.
const maxConfFile = 8 << 20

// Facts are what the checks need to know about one node. They hold no
// password and no file content, so a daemon may send them to a peer.
type Facts struct {
	// Node names the node in the report (a column of the table).
	Node string `json:"node"`
	// ConfDir is the conf folder relative to the home: "conf" for an EI
	// profile home (<EI_HOME>/wso2/analytics), "repository/conf" for classic
	// Carbon. Fixes name files with it.
	ConfDir string `json:"conf_dir"`
	// Errors holds the files (relative to ConfDir) that are missing or do
	// not parse; the checks reading them fail.
	Errors map[string]ParseError `json:"errors,omitempty"`

	Clustering      Clustering            `json:"clustering"`
	EventProcessor  EventProcessor        `json:"event_processor"`
	Spark           Spark                 `json:"spark"`
	Datasources     map[string]Datasource `json:"datasources"` // master-datasources.xml by datasource/name
	Analytics       map[string]Datasource `json:"analytics"`   // analytics-datasources.xml by datasource/name
	RealmDatasource string                `json:"realm_datasource"`
	Registry        Registry              `json:"registry"`
	// CarbonSync is Carbon's own <DeploymentSynchronizer> block (carbon.xml);
	// nil when carbon.xml is absent.
	CarbonSync *CarbonSync `json:"carbon_sync,omitempty"`

	// Online-only facts: a copy of the files cannot tell them. The daemon
	// fills them for its own node (GET /v1/doctor); ReadHome leaves them
	// empty and the checks needing them are skipped.

	// LocalAddrs are the addresses of the host's interfaces; nil = unknown.
	// No omitempty here and on CApps: on the wire, null (unknown) and an
	// empty list or map (known to be empty) must stay apart.
	LocalAddrs []string `json:"local_addrs"`
	// CApps maps each deployed C-App id to its sha256; nil = unknown.
	CApps map[string]string `json:"capps"`
	// CarbonHome is the node's real carbon.home; "" = unknown.
	CarbonHome string `json:"carbon_home,omitempty"`
	// Depsync is depsync's own role on the node; nil = unknown.
	Depsync *DepsyncRole `json:"depsync,omitempty"`
}

// Clustering is axis2.xml's Hazelcast <clustering> block.
type Clustering struct {
	Present    bool     `json:"present"`
	Enabled    bool     `json:"enabled"`
	Scheme     string   `json:"membership_scheme"` // trimmed; "" = absent (multicast)
	Domain     string   `json:"domain"`
	LocalHost  string   `json:"local_member_host"`
	LocalPort  string   `json:"local_member_port"`
	Members    []string `json:"members"` // host:port of the first <members>, in file order
	MembersSet bool     `json:"members_present"`
}

// Member is this node's advertised host:port.
func (c Clustering) Member() string { return c.LocalHost + ":" + c.LocalPort }

// Mode is one <mode> of event-processor.xml.
type Mode struct {
	Name    string `json:"name"`
	Enable  string `json:"enable"`
	HasName bool   `json:"has_name"`
	HasEn   bool   `json:"has_enable"`
}

// EventProcessor is event-processor.xml.
type EventProcessor struct {
	Modes            []Mode `json:"modes"`
	HAPresent        bool   `json:"ha_present"`
	SyncHost         string `json:"event_sync_host"` // as written
	MgmtHost         string `json:"management_host"`
	Presenter        bool   `json:"presenter"`
	PresentationHost string `json:"presentation_host"`
}

// Active is the mode the loader picks: the first whose enable is true.
func (e EventProcessor) Active() string {
	for _, m := range e.Modes {
		if strings.EqualFold(strings.TrimSpace(m.Enable), "true") {
			return m.Name
		}
	}
	return ""
}

// Spark is spark-defaults.conf.
type Spark struct {
	Master       *string `json:"master,omitempty"` // nil = key absent
	MasterCount  *string `json:"master_count,omitempty"`
	SymbolicLink string  `json:"symbolic_link,omitempty"`
}

// Datasource is one datasource, without its password: not even one
// written inside its URL (see config.RedactURL).
type Datasource struct {
	JNDI   string `json:"jndi,omitempty"`
	URL    string `json:"url"`
	User   string `json:"user"`
	Driver string `json:"driver"`
}

// Registry is registry.xml's mounts and what they refer to.
type Registry struct {
	CurrentDBConfig string            `json:"current_db_config"`
	DBConfigs       map[string]string `json:"db_configs"`       // name -> dataSource
	Remotes         map[string]string `json:"remote_instances"` // id -> dbConfig
	Mounts          map[string]string `json:"mounts"`           // path -> instanceId
}

// CarbonSync is Carbon's deployment synchronizer block.
type CarbonSync struct {
	Enabled    bool `json:"enabled"`
	AutoCommit bool `json:"auto_commit"`
}

// DepsyncRole is depsync's role on a node, as its config says.
type DepsyncRole struct {
	Role string `json:"role"` // manager or worker
	SVN  bool   `json:"svn"`  // runs its SVN loop (not direct mode only)
}

// ErrNoConf is returned when a folder holds neither conf/ nor repository/conf/.
var ErrNoConf = errors.New("no conf folder")

// ConfDir finds the conf folder of a home: conf/ (an EI profile home such as
// <EI_HOME>/wso2/analytics) or repository/conf/ (classic Carbon).
func ConfDir(home string) (string, error) {
	for _, rel := range []string{"conf", path.Join("repository", "conf")} {
		if st, err := os.Stat(filepath.Join(home, filepath.FromSlash(rel))); err == nil && st.IsDir() {
			return rel, nil
		}
	}
	if _, err := os.Stat(home); err != nil {
		return "", fmt.Errorf("home %s: %w", home, err)
	}
	return "", fmt.Errorf("home %s: %w: expected conf/ (as in <EI_HOME>/wso2/analytics) or repository/conf/ (classic Carbon)", home, ErrNoConf)
}

// ReadHome reads a node's profile configuration from a home. A file that is
// missing or does not parse is recorded in Facts.Errors (the checks reading it
// fail); only a home without a conf folder is an error.
func ReadHome(node, home string) (*Facts, error) {
	rel, err := ConfDir(home)
	if err != nil {
		return nil, err
	}
	f := &Facts{Node: node, ConfDir: rel, Errors: map[string]ParseError{}}
	dir := filepath.Join(home, filepath.FromSlash(rel))
	readXML := func(name string) *elem {
		src, err := regfile.ReadFile(filepath.Join(dir, filepath.FromSlash(name)), maxConfFile)
		if err != nil {
			f.Errors[name] = ParseError{File: f.file(name), Err: readErr(err)}
			return nil
		}
		root, err := parseXML(src)
		if err != nil {
			var pe *ParseError
			if errors.As(err, &pe) {
				pe.File = f.file(name)
				f.Errors[name] = *pe
			} else {
				f.Errors[name] = ParseError{File: f.file(name), Err: err.Error()}
			}
			return nil
		}
		return root
	}
	if r := readXML(fileAxis2); r != nil {
		f.Clustering = readClustering(r)
	}
	if r := readXML(fileEP); r != nil {
		f.EventProcessor = readEventProcessor(r)
	}
	if r := readXML(fileMasterDS); r != nil {
		f.Datasources = readDatasources(r)
	}
	if r := readXML(fileAnalytics); r != nil {
		f.Analytics = readDatasources(r)
	}
	if r := readXML(fileUserMgt); r != nil {
		for _, p := range r.path("Realm", "Configuration").all("Property") {
			if p.attrs["name"] == "dataSource" {
				f.RealmDatasource = p.text
				break
			}
		}
	}
	if r := readXML(fileRegistry); r != nil {
		f.Registry = readRegistry(r)
	}
	if src, err := regfile.ReadFile(filepath.Join(dir, filepath.FromSlash(fileSpark)), maxConfFile); err != nil {
		f.Errors[fileSpark] = ParseError{File: f.file(fileSpark), Err: readErr(err)}
	} else if props, err := parseProperties(src); err != nil {
		var pe *ParseError
		if errors.As(err, &pe) {
			pe.File = f.file(fileSpark)
			f.Errors[fileSpark] = *pe
		} else {
			f.Errors[fileSpark] = ParseError{File: f.file(fileSpark), Err: err.Error()}
		}
	} else {
		if p, ok := props["carbon.spark.master"]; ok {
			f.Spark.Master = &p.value
		}
		if p, ok := props["carbon.spark.master.count"]; ok {
			f.Spark.MasterCount = &p.value
		}
		f.Spark.SymbolicLink = props["carbon.das.symbolic.link"].value
	}
	carbon := filepath.Join(dir, fileCarbon)
	if _, err := os.Stat(carbon); err == nil {
		b, err := carbonxml.Read(carbon)
		if err != nil {
			f.Errors[fileCarbon] = ParseError{File: f.file(fileCarbon), Err: strings.TrimPrefix(err.Error(), "carbon.xml "+carbon+": ")}
		} else {
			f.CarbonSync = &CarbonSync{Enabled: b.Present && b.Enabled, AutoCommit: b.Present && b.AutoCommit}
		}
	}
	return f, nil
}

// file names a conf file relative to the home, as fixes print it.
func (f *Facts) file(name string) string {
	if f.ConfDir == "" {
		return path.Join("conf", name)
	}
	return path.Join(f.ConfDir, name)
}

func readErr(err error) string {
	if errors.Is(err, fs.ErrNotExist) {
		return "missing (every node of the HA setup needs it)"
	}
	var pe *fs.PathError
	if (errors.Is(err, regfile.ErrNotRegular) || errors.Is(err, regfile.ErrTooLarge)) && errors.As(err, &pe) {
		// The file is named beside the error already.
		return pe.Err.Error()
	}
	return err.Error()
}

// readClustering follows Axis2's ClusterBuilder: the first <clustering> of
// <axisconfig>, enable parsed with Boolean.parseBoolean (absent = enabled),
// parameters trimmed, only the first <members> read.
func readClustering(root *elem) Clustering {
	var c Clustering
	cl := root.kid("clustering")
	if cl == nil {
		return c
	}
	c.Present = true
	en, has := cl.attrs["enable"]
	c.Enabled = !has || strings.EqualFold(strings.TrimSpace(en), "true")
	param := func(name string) string { return cl.with("parameter", "name", name).textOf() }
	c.Scheme = param("membershipScheme")
	c.Domain = param("domain")
	c.LocalHost = param("localMemberHost")
	c.LocalPort = param("localMemberPort")
	if ms := cl.kid("members"); ms != nil {
		c.MembersSet = true
		for _, m := range ms.all("member") {
			c.Members = append(c.Members, m.kid("hostName").textOf()+":"+m.kid("port").textOf())
		}
	}
	return c
}

func readEventProcessor(root *elem) EventProcessor {
	var e EventProcessor
	for _, m := range root.all("mode") {
		name, hn := m.attrs["name"]
		en, he := m.attrs["enable"]
		e.Modes = append(e.Modes, Mode{Name: name, Enable: en, HasName: hn, HasEn: he})
	}
	ha := root.with("mode", "name", "HA")
	if ha == nil {
		return e
	}
	e.HAPresent = true
	e.SyncHost = ha.path("eventSync", "hostName").raw
	e.MgmtHost = ha.path("management", "hostName").raw
	e.PresentationHost = ha.path("presentation", "hostName").raw
	if p := ha.path("nodeType", "presenter"); p != nil {
		e.Presenter = strings.EqualFold(strings.TrimSpace(p.attrs["enable"]), "true")
	}
	return e
}

func readDatasources(root *elem) map[string]Datasource {
	out := map[string]Datasource{}
	for _, d := range root.path("datasources").all("datasource") {
		conf := d.path("definition", "configuration")
		out[d.kid("name").textOf()] = Datasource{
			JNDI:   d.path("jndiConfig", "name").textOf(),
			URL:    config.RedactURL(conf.kid("url").textOf()),
			User:   conf.kid("username").textOf(),
			Driver: conf.kid("driverClassName").textOf(),
		}
	}
	return out
}

func readRegistry(root *elem) Registry {
	r := Registry{
		CurrentDBConfig: root.kid("currentDBConfig").textOf(),
		DBConfigs:       map[string]string{},
		Remotes:         map[string]string{},
		Mounts:          map[string]string{},
	}
	for _, d := range root.all("dbConfig") {
		r.DBConfigs[d.attrs["name"]] = d.kid("dataSource").textOf()
	}
	for _, ri := range root.all("remoteInstance") {
		r.Remotes[ri.kid("id").textOf()] = ri.kid("dbConfig").textOf()
	}
	for _, m := range root.all("mount") {
		r.Mounts[m.attrs["path"]] = m.kid("instanceId").textOf()
	}
	return r
}
