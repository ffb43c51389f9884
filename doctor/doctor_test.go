package doctor

import (
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// homes copies the two correctly configured fixture homes into a temporary
// folder; variant, when set, lays testdata/<variant>/nodeN over them.
func homes(t *testing.T, variant string) []string {
	t.Helper()
	dir := t.TempDir()
	var out []string
	for _, n := range []string{"node1", "node2"} {
		dst := filepath.Join(dir, n)
		require.NoError(t, os.CopyFS(dst, os.DirFS(filepath.Join("testdata", "ei-6.1.1", n))))
		if variant != "" {
			over := filepath.Join("testdata", variant, n)
			require.NoError(t, filepath.WalkDir(over, func(p string, d os.DirEntry, err error) error {
				if err != nil || d.IsDir() {
					return err
				}
				rel, _ := filepath.Rel(over, p)
				b, err := os.ReadFile(p)
				if err != nil {
					return err
				}
				return os.WriteFile(filepath.Join(dst, rel), b, 0o644)
			}))
		}
		out = append(out, dst)
	}
	return out
}

// edit replaces the first occurrence of old in a home's conf file; the test
// fails if old is not there, so a changed fixture cannot make it vacuous.
func edit(t *testing.T, home, file, old, new string) {
	t.Helper()
	p := filepath.Join(home, "conf", filepath.FromSlash(file))
	b, err := os.ReadFile(p)
	require.NoError(t, err)
	require.Contains(t, string(b), old, "fixture %s lacks %q", file, old)
	require.NoError(t, os.WriteFile(p, []byte(strings.Replace(string(b), old, new, 1)), 0o644))
}

func report(t *testing.T, hs []string) *Report {
	t.Helper()
	var fs []*Facts
	for i, h := range hs {
		f, err := ReadHome("node"+string(rune('1'+i)), h)
		require.NoError(t, err)
		fs = append(fs, f)
	}
	r, err := Run(fs)
	require.NoError(t, err)
	return r
}

func byID(r *Report) map[string]Result {
	m := map[string]Result{}
	for _, c := range r.Checks {
		m[c.ID] = c
	}
	return m
}

func failing(r *Report) []string {
	var ids []string
	for _, c := range r.Checks {
		if c.Status == Fail {
			ids = append(ids, c.ID)
		}
	}
	return ids
}

var offlineIDs = []string{
	IDClusteringEnabled, IDMembershipScheme, IDMembers, IDLocalMemberHost, IDDomain,
	IDEventProcessorMode, IDEventProcessorHosts, IDEventProcessorPresen, IDSparkMaster, IDSparkMasterCount,
	IDDatasourcesShared, IDDatasourcesAnalytics, IDUserMgtDatasource, IDRegistryMounts, IDDeploymentSyncRoles,
}

func TestCorrectHomesPass(t *testing.T) {
	for _, variant := range []string{"", "ei-6.3.0"} {
		t.Run("ei-6.1.1+"+variant, func(t *testing.T) {
			r := report(t, homes(t, variant))
			assert.Equal(t, []string{"node1", "node2"}, r.Nodes)
			var ids []string
			for _, c := range r.Checks {
				ids = append(ids, c.ID)
				assert.Equal(t, OK, c.Status, "%s: %s", c.ID, c.Detail)
				assert.Len(t, c.Values, 2, c.ID)
			}
			assert.Equal(t, offlineIDs, ids, "offline checks, in order; online-only ones skipped")
			assert.False(t, r.Failed())
			v := byID(r)
			assert.Equal(t, "10.0.0.12", v[IDLocalMemberHost].Values["node2"])
			assert.Equal(t, "HA", v[IDEventProcessorMode].Values["node1"])
			assert.Equal(t, "2", v[IDSparkMasterCount].Values["node1"])
			assert.Equal(t, "jdbc/WSO2UM_DB", v[IDUserMgtDatasource].Values["node2"])
		})
	}
}

// TestEachCheckFails seeds each check's misconfiguration on one node and
// expects exactly that check to fail, with a fix naming the element.
func TestEachCheckFails(t *testing.T) {
	type seed struct {
		node           int
		file, old, new string
	}
	cases := []struct {
		id      string
		variant string
		seeds   []seed
		fix     string
	}{
		{IDClusteringEnabled, "", []seed{{1, "axis2/axis2.xml", `enable="true">`, `enable="False ">`}}, `enable="true" on <clustering`},
		{IDMembershipScheme, "", []seed{{1, "axis2/axis2.xml", `"membershipScheme">wka<`, `"membershipScheme">WKA<`}}, `<parameter name="membershipScheme"> to wka`},
		{IDMembers, "", []seed{{1, "axis2/axis2.xml", "<hostName>10.0.0.11</hostName>", "<hostName>10.0.0.13</hostName>"}}, `<hostName>10.0.0.11</hostName><port>4000</port></member> to <members>`},
		{IDMembers, "", []seed{{0, "axis2/axis2.xml", "<hostName>10.0.0.12</hostName>", "<hostName>localhost</hostName>"}, {1, "axis2/axis2.xml", "<hostName>10.0.0.12</hostName>", "<hostName>localhost</hostName>"}}, `<members>`},
		{IDLocalMemberHost, "", []seed{{1, "axis2/axis2.xml", `localMemberHost">10.0.0.12`, `localMemberHost">127.0.0.1`}}, `<parameter name="localMemberHost">`},
		{IDLocalMemberHost, "", []seed{{1, "axis2/axis2.xml", `localMemberHost">10.0.0.12`, `localMemberHost">10.0.0.11`}, {1, "axis2/axis2.xml", "<hostName>10.0.0.12</hostName>", "<hostName>10.0.0.99</hostName>"}, {0, "axis2/axis2.xml", "<hostName>10.0.0.12</hostName>", "<hostName>10.0.0.99</hostName>"}, {1, "event-processor.xml", "10.0.0.12", "10.0.0.11"}, {1, "event-processor.xml", "10.0.0.12", "10.0.0.11"}}, `<parameter name="localMemberHost">`},
		{IDDomain, "", []seed{{1, "axis2/axis2.xml", `"domain">wso2.carbon.domain<`, `"domain">wso2.other.domain<`}}, `<parameter name="domain"> to wso2.carbon.domain`},
		{IDEventProcessorMode, "", []seed{{1, "event-processor.xml", `<mode name="HA" enable="true">`, `<mode name="HA" enable="false">`}}, `enable="true" on <mode name="HA">`},
		{IDEventProcessorMode, "", []seed{{1, "event-processor.xml", `<mode name="Distributed" enable="false">`, `<mode name="Distributed" enable="true">`}, {1, "event-processor.xml", `<mode name="HA" enable="true">`, `<mode name="HA" enable="false">`}}, `enable="false" on <mode name="Distributed">`},
		{IDEventProcessorMode, "ei-6.3.0", []seed{{1, "event-processor.xml", `<mode name="Single" enable="false">`, `<mode name="Single" enable="TRUE">`}}, `enable="false" on <mode name="Single">`},
		{IDEventProcessorHosts, "", []seed{{1, "event-processor.xml", "<hostName>10.0.0.12</hostName>", "<hostName>0.0.0.0</hostName>"}}, `<mode name="HA"><eventSync><hostName> to 10.0.0.12`},
		{IDEventProcessorHosts, "", []seed{{1, "event-processor.xml", "<hostName>10.0.0.12</hostName>\n            <port>10005", "<hostName>localhost</hostName>\n            <port>10005"}}, `<management><hostName> to 10.0.0.12`},
		{IDEventProcessorHosts, "", []seed{{1, "event-processor.xml", "<hostName>10.0.0.12</hostName>", "<hostName>10.0.0.11</hostName>"}}, `<eventSync><hostName> to 10.0.0.12`},
		{IDEventProcessorPresen, "", []seed{{0, "event-processor.xml", `<presenter enable="false"/>`, `<presenter enable="true"/>`}}, `<presentation><hostName> to 10.0.0.11`},
		{IDSparkMaster, "", []seed{{1, "analytics/spark/spark-defaults.conf", "\ncarbon.spark.master local\n", "\ncarbon.spark.master spark://10.0.0.5:7077\n"}}, "carbon.spark.master to local"},
		{IDSparkMasterCount, "", []seed{{1, "analytics/spark/spark-defaults.conf", "carbon.spark.master.count  2", "carbon.spark.master.count  1"}}, "carbon.spark.master.count to 2"},
		{IDSparkMasterCount, "", []seed{{1, "analytics/spark/spark-defaults.conf", "spark.worker.port 11000", "spark.worker.port 11000\ncarbon.spark.master.count=3"}}, "carbon.spark.master.count to 2"},
		{IDDatasourcesShared, "", []seed{{1, "datasources/master-datasources.xml", "3306/userdb?", "3306/userdb2?"}}, "<name>WSO2UM_DB</name>...<url>"},
		{IDDatasourcesShared, "", []seed{{1, "datasources/master-datasources.xml", "<username>reguser<", "<username>other<"}}, "<name>WSO2REG_DB</name>...<username> to reguser"},
		{IDDatasourcesAnalytics, "", []seed{{1, "datasources/analytics-datasources.xml", "jdbc:mysql://db.example:3306/eventstore?useSSL=false", "jdbc:h2:repository/database/ANALYTICS_EVENT_STORE;AUTO_SERVER=TRUE"}}, "<name>WSO2_ANALYTICS_EVENT_STORE_DB</name>...<url>"},
		{IDUserMgtDatasource, "", []seed{{1, "user-mgt.xml", `<Property name="dataSource">jdbc/WSO2UM_DB<`, `<Property name="dataSource">jdbc/WSO2CarbonDB<`}}, `<Property name="dataSource"> to jdbc/WSO2UM_DB`},
		{IDRegistryMounts, "", []seed{{1, "registry.xml", `<mount path="/_system/governance"`, `<mount path="/_system/governance2"`}}, `<mount path="/_system/governance"`},
		{IDRegistryMounts, "", []seed{{1, "registry.xml", "<dbConfig>govregistry</dbConfig>", "<dbConfig>wso2registry</dbConfig>"}}, "<remoteInstance><dbConfig>"},
		{IDRegistryMounts, "", []seed{{1, "registry.xml", "<dataSource>jdbc/WSO2REG_DB</dataSource>", "<dataSource>jdbc/WSO2REG</dataSource>"}}, `<dbConfig name="govregistry"><dataSource> to jdbc/WSO2REG_DB`},
		{IDRegistryMounts, "", []seed{{1, "registry.xml", "<currentDBConfig>wso2registry<", "<currentDBConfig>local<"}}, "<currentDBConfig>wso2registry</currentDBConfig>"},
		{IDDeploymentSyncRoles, "", []seed{{1, "carbon.xml", "<AutoCommit>false<", "<AutoCommit>true<"}}, "<DeploymentSynchronizer><AutoCommit> to false"},
	}
	for _, c := range cases {
		t.Run(c.id, func(t *testing.T) {
			hs := homes(t, c.variant)
			for _, s := range c.seeds {
				edit(t, hs[s.node], s.file, s.old, s.new)
			}
			r := report(t, hs)
			assert.Equal(t, []string{c.id}, failing(r))
			got := byID(r)[c.id]
			assert.Contains(t, got.Fix, c.fix)
			assert.NotEmpty(t, got.Detail)
			assert.True(t, r.Failed())
		})
	}
}

func TestParseErrorNamesFileAndLine(t *testing.T) {
	hs := homes(t, "")
	edit(t, hs[1], "registry.xml", "</dbConfig>\n\n    <dbConfig name=\"govregistry\">", "</dbConfg>\n\n    <dbConfig name=\"govregistry\">")
	edit(t, hs[0], "axis2/axis2.xml", "<parameter name=\"mcastPort\">45564</parameter>", "<parameter name=\"mcastPort\">45564</parameter")
	r := report(t, hs)
	assert.Equal(t, []string{IDClusteringEnabled, IDMembershipScheme, IDMembers, IDLocalMemberHost, IDDomain,
		IDEventProcessorHosts, IDEventProcessorPresen, IDRegistryMounts}, failing(r))
	reg := byID(r)[IDRegistryMounts]
	assert.Contains(t, reg.Detail, "conf/registry.xml line 16")
	assert.Contains(t, reg.Fix, "repair conf/registry.xml on node2 at line 16")
	ax := byID(r)[IDClusteringEnabled]
	assert.Contains(t, ax.Detail, "conf/axis2/axis2.xml line 15")
	assert.Equal(t, "unreadable", ax.Values["node1"])

	require.NoError(t, os.Remove(filepath.Join(hs[1], "conf", "user-mgt.xml")))
	r = report(t, hs)
	assert.Contains(t, byID(r)[IDUserMgtDatasource].Detail, "conf/user-mgt.xml: missing")
}

// TestCommentsNeverCount puts a wrong look-alike inside a comment in every
// file of one node: nothing changes.
func TestCommentsNeverCount(t *testing.T) {
	hs := homes(t, "ei-6.3.0")
	n := hs[1]
	edit(t, n, "axis2/axis2.xml", "<parameter name=\"AvoidInitiation\">", "<!--clustering enable=\"false\"><parameter name=\"membershipScheme\">multicast</parameter><parameter name=\"localMemberHost\">127.0.0.1</parameter><members><member><hostName>127.0.0.1</hostName><port>4000</port></member></members></clustering--><parameter name=\"AvoidInitiation\">")
	edit(t, n, "event-processor.xml", "<!-- Single Mode Config", "<!--mode name=\"Single\" enable=\"true\"></mode--><!-- Single Mode Config")
	edit(t, n, "event-processor.xml", "<eventSync>", "<eventSync><!--<hostName>0.0.0.0</hostName>-->")
	edit(t, n, "analytics/spark/spark-defaults.conf", "carbon.spark.master local", "# carbon.spark.master.count 1\n#carbon.spark.master spark://x:7077\ncarbon.spark.master local")
	edit(t, n, "datasources/master-datasources.xml", "<datasources>", "<datasources><!--datasource><name>WSO2UM_DB</name><definition><configuration><url>jdbc:h2:./x</url></configuration></definition></datasource-->")
	edit(t, n, "user-mgt.xml", "<Configuration>", "<Configuration><!--Property name=\"dataSource\">jdbc/WSO2CarbonDB</Property-->")
	edit(t, n, "registry.xml", "<currentDBConfig>", "<!--mount path=\"/_system/config\"><instanceId>x</instanceId></mount--><currentDBConfig>")
	edit(t, n, "carbon.xml", "<Name>", "<!--DeploymentSynchronizer><Enabled>true</Enabled><AutoCommit>true</AutoCommit></DeploymentSynchronizer--><Name>")
	r := report(t, hs)
	for _, c := range r.Checks {
		assert.Equal(t, OK, c.Status, "%s: %s", c.ID, c.Detail)
	}
}

func TestHomeLayouts(t *testing.T) {
	dir := t.TempDir()
	classic := filepath.Join(dir, "carbon")
	require.NoError(t, os.CopyFS(filepath.Join(classic, "repository", "conf"), os.DirFS("testdata/ei-6.1.1/node1/conf")))
	f, err := ReadHome("n", classic)
	require.NoError(t, err)
	assert.Equal(t, "repository/conf", f.ConfDir)
	assert.Empty(t, f.Errors)
	assert.Equal(t, "10.0.0.11", f.Clustering.LocalHost)

	_, err = ReadHome("n", dir)
	assert.ErrorIs(t, err, ErrNoConf)
	_, err = ReadHome("n", filepath.Join(dir, "missing"))
	assert.ErrorIs(t, err, os.ErrNotExist)
}

// TestFactsHoldNoPassword: the facts may cross the network.
func TestFactsHoldNoPassword(t *testing.T) {
	hs := homes(t, "")
	f, err := ReadHome("n", hs[0])
	require.NoError(t, err)
	r, err := Run([]*Facts{f})
	require.NoError(t, err)
	b, err := r.JSON()
	require.NoError(t, err)
	for _, secret := range []string{"secret-reg", "secret-an", "wso2carbon\"", "svnuser"} {
		assert.NotContains(t, string(b), secret)
	}
}

func TestRunRejectsDuplicateNames(t *testing.T) {
	_, err := Run([]*Facts{{Node: "a"}, {Node: "a"}})
	assert.Error(t, err)
}

// TestNoPasswordOfAJDBCURL: passwords written inside JDBC URLs, in each
// driver's form, show nowhere: not in the facts a node sends, nor in the
// report's values, details, fixes or JSON; the URLs still name their
// databases.
func TestNoPasswordOfAJDBCURL(t *testing.T) {
	hs := homes(t, "jdbc-credentials")
	var fs []*Facts
	for i, h := range hs {
		f, err := ReadHome("node"+string(rune('1'+i)), h)
		require.NoError(t, err)
		b, err := json.Marshal(f)
		require.NoError(t, err)
		assert.NotContains(t, string(b), "S3cret", "the facts a node sends")
		fs = append(fs, f)
	}
	r, err := Run(fs)
	require.NoError(t, err)
	b, err := r.JSON()
	require.NoError(t, err)
	assert.NotContains(t, string(b), "S3cret")
	v := byID(r)
	assert.Equal(t, Fail, v[IDDatasourcesShared].Status, "the nodes' URLs differ")
	assert.Contains(t, v[IDDatasourcesShared].Fix, "jdbc:oracle:thin:reguser/<redacted>@db.example:1521:orcl")
	assert.Contains(t, v[IDDatasourcesAnalytics].Detail, "ANALYTICS_EVENT_STORE;USER=sa;PASSWORD=<redacted>")

	// A peer running an older depsync may still send a URL with its
	// password: the report hides it all the same.
	fs[1].Datasources["WSO2UM_DB"] = Datasource{URL: "jdbc:mysql://h/db?password=Peer-S3cret", User: "umuser", Driver: "x"}
	r, err = Run(fs)
	require.NoError(t, err)
	b, err = r.JSON()
	require.NoError(t, err)
	assert.NotContains(t, string(b), "S3cret")
}
