package doctor

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func readBoth(t *testing.T, hs []string) []*Facts {
	t.Helper()
	var fs []*Facts
	for i, h := range hs {
		f, err := ReadHome("node"+string(rune('1'+i)), h)
		require.NoError(t, err)
		fs = append(fs, f)
	}
	return fs
}

// TestOnlineFacts covers the facts a daemon fills for its own node.
func TestOnlineFacts(t *testing.T) {
	hs := homes(t, "")
	cases := []struct {
		name string
		fill func(fs []*Facts)
		fail string // the one failing check, "" for none
		fix  string
	}{
		{"same capps", func(fs []*Facts) {
			fs[0].CApps = map[string]string{"App_1.0.0": "aa"}
			fs[1].CApps = map[string]string{"App_1.0.0": "aa"}
		}, "", ""},
		{"capps differ", func(fs []*Facts) {
			fs[0].CApps = map[string]string{"App_1.0.0": "aa"}
			fs[1].CApps = map[string]string{"App_1.0.0": "bb"}
		}, IDCAppsSame, "capp push"},
		{"homes differ without a symlink", func(fs []*Facts) {
			fs[0].CarbonHome, fs[1].CarbonHome = "/opt/a", "/opt/b"
		}, IDPathsSymlink, "carbon.das.symbolic.link"},
		{"live address is not the host's", func(fs []*Facts) {
			fs[0].LocalAddrs = []string{"10.0.0.11"}
			fs[1].LocalAddrs = []string{"10.0.0.99"}
		}, IDLocalMemberHost, `<parameter name="localMemberHost">`},
		{"depsync manager and carbon manager", func(fs []*Facts) {
			fs[0].Depsync = &DepsyncRole{Role: "worker"}
			fs[1].Depsync = &DepsyncRole{Role: "manager"}
		}, IDDeploymentSyncRoles, "exactly one committer"},
		{"carbon sync on where depsync runs svn", func(fs []*Facts) {
			fs[0].Depsync = &DepsyncRole{Role: "worker", SVN: true}
			fs[1].Depsync = &DepsyncRole{Role: "worker", SVN: true}
		}, IDDeploymentSyncRoles, "<DeploymentSynchronizer><Enabled> to false"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			fs := readBoth(t, hs)
			c.fill(fs)
			r, err := Run(fs)
			require.NoError(t, err)
			if c.fail == "" {
				assert.Empty(t, failing(r))
				return
			}
			assert.Equal(t, []string{c.fail}, failing(r))
			assert.Contains(t, byID(r)[c.fail].Fix, c.fix)
		})
	}
}

func TestOnlineCheckPartlyKnownWarns(t *testing.T) {
	fs := readBoth(t, homes(t, ""))
	fs[0].CApps = map[string]string{}
	r, err := Run(fs)
	require.NoError(t, err)
	got := byID(r)[IDCAppsSame]
	assert.Equal(t, Warn, got.Status)
	assert.Equal(t, "unknown", got.Values["node2"])
}

func TestSymlinkSharedIsOK(t *testing.T) {
	hs := homes(t, "")
	for _, h := range hs {
		edit(t, h, "analytics/spark/spark-defaults.conf", "spark.worker.port 11000", "spark.worker.port 11000\ncarbon.das.symbolic.link = /opt/das_link")
	}
	fs := readBoth(t, hs)
	fs[0].CarbonHome, fs[1].CarbonHome = "/opt/a", "/srv/b"
	r, err := Run(fs)
	require.NoError(t, err)
	assert.Equal(t, OK, byID(r)[IDPathsSymlink].Status)
}

func TestNoCommitterOfflineWarns(t *testing.T) {
	hs := homes(t, "")
	edit(t, hs[0], "carbon.xml", "<AutoCommit>true<", "<AutoCommit>false<")
	r, err := Run(readBoth(t, hs))
	require.NoError(t, err)
	assert.Empty(t, failing(r))
	assert.Equal(t, Warn, byID(r)[IDDeploymentSyncRoles].Status)
}

func TestProperties(t *testing.T) {
	src := "# a.b 1\n! a.b 2\n  a.b   = x \nc:y\nd\tz\n a.b.c  long \\\n   value\ne\\ f=g\nh=\\u0041\nc = later\nlast \\\n"
	p, err := parseProperties([]byte(src))
	require.NoError(t, err)
	get := func(k string) string { return p[k].value }
	assert.Equal(t, "x", get("a.b"))
	assert.Equal(t, "later", get("c"))
	assert.Equal(t, "z", get("d"))
	assert.Equal(t, "long value", get("a.b.c"))
	assert.Equal(t, "g", get("e f"))
	assert.Equal(t, "A", get("h"))
	assert.Equal(t, 3, p["a.b"].line)
	_, err = parseProperties([]byte("k=\\u00G1\n"))
	assert.Error(t, err)
	// CRLF and a Latin-1 byte.
	p, err = parseProperties([]byte("k=caf\xe9\r\nn=2\r\n"))
	require.NoError(t, err)
	assert.Equal(t, "café", p["k"].value)
	assert.Equal(t, "2", p["n"].value)
}

func TestParseXMLEncodings(t *testing.T) {
	e, err := parseXML([]byte("<?xml version=\"1.0\" encoding=\"ISO-8859-1\"?>\r\n<a>\r\n<!-- caf\xe9 --><b x=\"1\">caf\xe9</b></a>"))
	require.NoError(t, err)
	assert.Equal(t, "café", e.kid("b").text)
	assert.Equal(t, 3, e.kid("b").line)
	_, err = parseXML([]byte("<a>caf\xe9</a>"))
	assert.Error(t, err, "undeclared Latin-1 is not UTF-8")
	_, err = parseXML([]byte("<?xml version=\"1.0\" encoding=\"UTF-16\"?><a/>"))
	assert.Error(t, err)
	_, err = parseXML([]byte("<!-- only a comment -->"))
	assert.Error(t, err)
}

// TestSharedFiles runs over the files EI 6.1.1 ships ($DEPSYNC_TESTDATA/
// ei-analytics): as shipped, the HA checks fail; with the guide's edits
// applied to two copies, none fails (for the 6.3.0 event-processor.xml too).
func TestSharedFiles(t *testing.T) {
	root := os.Getenv("DEPSYNC_TESTDATA")
	if root == "" {
		t.Skip("DEPSYNC_TESTDATA not set")
	}
	shipped := filepath.Join(root, "ei-analytics")
	for _, variant := range []string{"", "ei-6.3.0"} {
		t.Run("ei-6.1.1+"+variant, func(t *testing.T) {
			dir := t.TempDir()
			var hs []string
			for i := range 2 {
				h := filepath.Join(dir, "node"+string(rune('1'+i)))
				require.NoError(t, os.CopyFS(filepath.Join(h, "conf"), os.DirFS(filepath.Join(shipped, "conf"))))
				if variant != "" {
					b, err := os.ReadFile(filepath.Join(shipped, "variants", variant, "conf", "event-processor.xml"))
					require.NoError(t, err)
					require.NoError(t, os.WriteFile(filepath.Join(h, "conf", "event-processor.xml"), b, 0o644))
				}
				hs = append(hs, h)
			}
			r := report(t, hs)
			assert.Contains(t, failing(r), IDClusteringEnabled, "the shipped files are not an HA setup")
			assert.Contains(t, failing(r), IDDatasourcesShared)

			for i, ip := range []string{"10.0.0.11", "10.0.0.12"} {
				applyGuide(t, hs[i], ip, variant != "")
			}
			r = report(t, hs)
			assert.Empty(t, failing(r))
			for _, c := range r.Checks {
				if c.Status != OK {
					assert.Equal(t, IDDeploymentSyncRoles, c.ID, "only the offline-unknown committer may warn: %s", c.Detail)
				}
			}
		})
	}
}

// applyGuide makes the minimum-HA guide's edits to a shipped conf folder.
func applyGuide(t *testing.T, home, ip string, single bool) {
	t.Helper()
	edit(t, home, "axis2/axis2.xml", "enable=\"false\">\r\n\r\n        <!--\r\n           This parameter", "enable=\"true\">\r\n\r\n        <!--\r\n           This parameter")
	edit(t, home, "axis2/axis2.xml", `"membershipScheme">multicast<`, `"membershipScheme">wka<`)
	edit(t, home, "axis2/axis2.xml", `"localMemberHost">127.0.0.1<`, `"localMemberHost">`+ip+`<`)
	edit(t, home, "axis2/axis2.xml", "<member>\r\n                <hostName>127.0.0.1</hostName>\r\n                <port>4000</port>\r\n            </member>",
		"<member>\r\n                <hostName>10.0.0.11</hostName>\r\n                <port>4000</port>\r\n            </member>\r\n            <member>\r\n                <hostName>10.0.0.12</hostName>\r\n                <port>4000</port>\r\n            </member>")
	if single {
		edit(t, home, "event-processor.xml", `<mode name="Single" enable="true">`, `<mode name="Single" enable="false">`)
	}
	edit(t, home, "event-processor.xml", `<mode name="HA" enable="false">`, `<mode name="HA" enable="true">`)
	edit(t, home, "event-processor.xml", "<eventSync>\n            <hostName>0.0.0.0<", "<eventSync>\n            <hostName>"+ip+"<")
	edit(t, home, "event-processor.xml", "<management>\n            <hostName>0.0.0.0<", "<management>\n            <hostName>"+ip+"<")
	edit(t, home, "analytics/spark/spark-defaults.conf", "carbon.spark.master.count  1", "carbon.spark.master.count  2")
	ds := func(name, db string) string {
		return "<datasource>\n<name>" + name + "</name>\n<jndiConfig><name>jdbc/" + name + "</name></jndiConfig>\n" +
			"<definition type=\"RDBMS\"><configuration><url>jdbc:mysql://db:3306/" + db + "?autoReconnect=true&amp;useSSL=false</url>" +
			"<username>u</username><password>p</password><driverClassName>com.mysql.jdbc.Driver</driverClassName></configuration></definition>\n</datasource>\n"
	}
	edit(t, home, "datasources/master-datasources.xml", "        <!-- For an explanation", ds("WSO2UM_DB", "userdb")+ds("WSO2REG_DB", "regdb")+"        <!-- For an explanation")
	for _, store := range []string{"ANALYTICS_EVENT_STORE", "ANALYTICS_PROCESSED_DATA_STORE"} {
		edit(t, home, "datasources/analytics-datasources.xml",
			"<url>jdbc:h2:repository/database/"+store+";AUTO_SERVER=TRUE;DB_CLOSE_ON_EXIT=FALSE;LOCK_TIMEOUT=60000</url>",
			"<url>jdbc:mysql://db:3306/"+strings.ToLower(store)+"</url>")
	}
	edit(t, home, "user-mgt.xml", `<Property name="dataSource">jdbc/WSO2CarbonDB<`, `<Property name="dataSource">jdbc/WSO2UM_DB<`)
	edit(t, home, "registry.xml", "    <indexingConfiguration>", `    <dbConfig name="govregistry"><dataSource>jdbc/WSO2REG_DB</dataSource></dbConfig>
    <remoteInstance url="https://localhost:9443/registry"><id>gov</id><cacheId>u@jdbc:mysql://db:3306/regdb</cacheId>
        <dbConfig>govregistry</dbConfig><readOnly>false</readOnly><enableCache>true</enableCache><registryRoot>/</registryRoot></remoteInstance>
    <mount path="/_system/config" overwrite="true"><instanceId>gov</instanceId><targetPath>/_system/config</targetPath></mount>
    <mount path="/_system/governance" overwrite="true"><instanceId>gov</instanceId><targetPath>/_system/governance</targetPath></mount>
    <indexingConfiguration>`)
}
