package carbontest

import (
	"archive/zip"
	"bytes"
	"io"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/depsync/depsync/carbonlog"
	"github.com/depsync/depsync/internal/testcapp"
)

var t0 = time.Date(2021, 6, 14, 8, 10, 0, 100e6, time.UTC)

// clock returns a Now that advances 1 ms per call.
func clock() func() time.Time {
	now := t0
	return func() time.Time { now = now.Add(time.Millisecond); return now }
}

func newCarbon(t *testing.T, l Layout) (*Carbon, string) {
	t.Helper()
	home := t.TempDir()
	c, err := New(Options{Home: home, Layout: l, Now: clock(), Location: time.UTC})
	require.NoError(t, err)
	require.NoError(t, os.MkdirAll(c.opts.CarbonApps, 0o755))
	t.Cleanup(func() { c.Close() })
	return c, c.opts.CarbonApps
}

func reader(c *Carbon) *carbonlog.Reader {
	return carbonlog.New(c.LogFile(), carbonlog.Options{Location: time.UTC, Logger: slog.New(slog.NewTextHandler(io.Discard, nil))})
}

// malformedCApp is a C-App whose API XML is not well-formed (an element
// left open), like the shared invalidSynapseXml sample.
func malformedCApp(t *testing.T, name string) []byte {
	t.Helper()
	var buf bytes.Buffer
	zw := zip.NewWriter(&buf)
	add := func(p, s string) {
		w, err := zw.Create(p)
		require.NoError(t, err)
		_, err = w.Write([]byte(s))
		require.NoError(t, err)
	}
	add("artifacts.xml", `<?xml version="1.0" encoding="UTF-8"?><artifacts><artifact name="`+name+`" version="1.0.0" type="carbon/application">
<dependency artifact="ep" version="1.0.0" include="true" serverRole="EnterpriseServiceBus"/>
<dependency artifact="brokenApi" version="1.0.0" include="true" serverRole="EnterpriseServiceBus"/></artifact></artifacts>`)
	add("ep_1.0.0/artifact.xml", `<artifact name="ep" version="1.0.0" type="synapse/endpoint" serverRole="EnterpriseServiceBus"><file>ep-1.0.0.xml</file></artifact>`)
	add("ep_1.0.0/ep-1.0.0.xml", `<endpoint xmlns="http://ws.apache.org/ns/synapse" name="ep"><address uri="http://127.0.0.1:1/"/></endpoint>`)
	add("brokenApi_1.0.0/artifact.xml", `<artifact name="brokenApi" version="1.0.0" type="synapse/api" serverRole="EnterpriseServiceBus"><file>brokenApi-1.0.0.xml</file></artifact>`)
	add("brokenApi_1.0.0/brokenApi-1.0.0.xml", `<api xmlns="http://ws.apache.org/ns/synapse" name="brokenApi" context="/b"><resource methods="GET"><inSequence><respond/></inSequence>
</api>`)
	require.NoError(t, zw.Close())
	return buf.Bytes()
}

func logText(t *testing.T, c *Carbon) string {
	b, err := os.ReadFile(c.LogFile())
	require.NoError(t, err)
	return string(b)
}

// TestExactLines checks the stand-in's lines against those quoted from
// carbon-kernel 4.4 in the carbon-logs README, in both layouts.
func TestExactLines(t *testing.T) {
	am := "{" + LoggerAppManager + "}"
	for _, c := range []struct {
		l    Layout
		want []string
	}{
		{LayoutEI61, []string{
			"TID: [-1234] [] [2021-06-14 08:10:00,101]  INFO {org.wso2.carbon.core.internal.CarbonCoreActivator} -  Starting WSO2 Carbon... {org.wso2.carbon.core.internal.CarbonCoreActivator}",
			"TID: [-1234] [] [2021-06-14 08:10:00,103]  INFO " + am + " -  Deploying Carbon Application : shop-1.0.0.car... " + am,
			"TID: [-1234] [] [2021-06-14 08:10:00,105]  INFO " + am + " -  Successfully Deployed Carbon Application : ShopCApp_1.0.0 {super-tenant} " + am,
		}},
		{LayoutEI64, []string{
			"[2021-06-14 08:10:00,101] [-1234] [] [CarbonDeploymentSchedulerThread-1]  INFO {org.wso2.carbon.core.internal.CarbonCoreActivator} -  Starting WSO2 Carbon...",
			"[2021-06-14 08:10:00,103] [-1234] [] [CarbonDeploymentSchedulerThread-1]  INFO " + am + " -  Deploying Carbon Application : shop-1.0.0.car...",
			"[2021-06-14 08:10:00,105] [-1234] [] [CarbonDeploymentSchedulerThread-1]  INFO " + am + " -  Successfully Deployed Carbon Application : ShopCApp_1.0.0 {super-tenant}",
		}},
	} {
		carbon, apps := newCarbon(t, c.l)
		testcapp.Write(t, apps, "shop-1.0.0.car", "ShopCApp", "1.0.0")
		require.NoError(t, carbon.Start())
		lines := strings.Split(logText(t, carbon), "\n")
		assert.Equal(t, c.want[0], lines[0])
		assert.Equal(t, c.want[1], lines[1])
		assert.Contains(t, lines[2], "API named 'api_a' has been deployed from file : "+filepath.ToSlash(carbon.opts.Home)+"/wso2/tmp/carbonapps/-1234/1623658200102shop-1.0.0.car/api_a_1.0.0/api_a.xml")
		assert.Equal(t, c.want[2], lines[3])
	}
	// A tenant's line: TID and the %P prefix, the {tenant-N} suffix.
	home := t.TempDir()
	tc, err := New(Options{Home: home, Tenant: 3, Domain: "partner.org", Now: clock(), Location: time.UTC})
	require.NoError(t, err)
	defer tc.Close()
	require.NoError(t, os.MkdirAll(filepath.Join(home, "repository", "tenants", "3", "carbonapps"), 0o755))
	testcapp.Write(t, filepath.Join(home, "repository", "tenants", "3", "carbonapps"), "p.car", "PartnerCApp", "1.1.0")
	require.NoError(t, tc.Scan())
	assert.Contains(t, logText(t, tc), "TID: [3] [] [2021-06-14 08:10:00,104] @partner.org [3] [EI] INFO "+am+" -  Successfully Deployed Carbon Application : PartnerCApp_1.1.0 {tenant-3} "+am+"\n")
}

// TestLifeCycle: deploy, faulty, redeploy, undeploy and roll-over, read
// back by the carbonlog reader following the log, in both layouts.
func TestLifeCycle(t *testing.T) {
	for _, l := range []Layout{LayoutEI61, LayoutEI64} {
		t.Run(map[Layout]string{LayoutEI61: "ei6.1", LayoutEI64: "ei6.4"}[l], func(t *testing.T) {
			carbon, apps := newCarbon(t, l)
			r := reader(carbon)
			state := func(id string) carbonlog.CAppState {
				t.Helper()
				r.Poll()
				s, ok := r.State(carbonlog.SuperTenant, id)
				require.True(t, ok, "%s: %+v\n%s", id, r.States(), logText(t, carbon))
				return s
			}

			testcapp.Write(t, apps, "a.car", "AppA", "1.0.0")
			require.NoError(t, carbon.Start())
			a1 := state("AppA_1.0.0")
			assert.Equal(t, carbonlog.Deployed, a1.State)

			// Faulty: malformed Synapse XML.
			require.NoError(t, os.WriteFile(filepath.Join(apps, "bad.car"), malformedCApp(t, "BadApp"), 0o644))
			require.NoError(t, carbon.Scan())
			bad := state("BadApp_1.0.0")
			assert.Equal(t, carbonlog.Faulty, bad.State)
			assert.Contains(t, bad.Error, "Deployment of synapse artifact failed. Error reading ")
			assert.Contains(t, bad.Error, "brokenApi-1.0.0.xml : XML syntax error")
			assert.Contains(t, logText(t, carbon), "Reverting successfully deployed artifcats in this CApp : BadApp_1.0.0")
			assert.Contains(t, logText(t, carbon), "Endpoint named 'ep' has been undeployed")

			// Redeploy with new bytes: a new deployed line, later.
			testcapp.Write(t, apps, "a.car", "AppA", "1.0.0", testcapp.Artifacts("api_a", "api_b"))
			future := time.Now().Add(time.Hour)
			require.NoError(t, os.Chtimes(filepath.Join(apps, "a.car"), future, future))
			require.NoError(t, carbon.Scan())
			a2 := state("AppA_1.0.0")
			assert.Equal(t, carbonlog.Deployed, a2.State)
			assert.True(t, a2.Time.After(a1.Time), "%v after %v", a2.Time, a1.Time)
			assert.Contains(t, logText(t, carbon), "Successfully Undeployed Carbon Application : AppA_1.0.0 {super-tenant}")

			// Roll-over, then the faulty one removed and the good one
			// undeployed: the reader follows into the new file.
			_, err := carbon.RollOver()
			require.NoError(t, err)
			require.NoError(t, os.Remove(filepath.Join(apps, "bad.car")))
			require.NoError(t, os.Remove(filepath.Join(apps, "a.car")))
			require.NoError(t, carbon.Scan())
			assert.Equal(t, carbonlog.Undeployed, state("BadApp_1.0.0").State)
			assert.Equal(t, carbonlog.Undeployed, state("AppA_1.0.0").State)
			assert.Contains(t, logText(t, carbon), "Undeploying Faulty Carbon Application On : "+filepath.Join(apps, "bad.car"))

			// A corrupt archive: no id, the file names it.
			require.NoError(t, os.WriteFile(filepath.Join(apps, "corrupt.car"), []byte("not a zip"), 0o644))
			require.NoError(t, carbon.Scan())
			r.Poll()
			s, ok := r.StateOfFile(carbonlog.SuperTenant, "corrupt.car")
			require.True(t, ok)
			assert.Equal(t, carbonlog.Faulty, s.State)
			assert.Equal(t, "org.wso2.carbon.CarbonException: Error while extracting Carbon Application : corrupt.car", s.Error)

			// A restart forgets, then deploys what is present.
			require.NoError(t, carbon.Stop())
			testcapp.Write(t, apps, "c.car", "AppC", "2.0.0")
			require.NoError(t, carbon.Start())
			r.Poll()
			_, ok = r.State(carbonlog.SuperTenant, "AppA_1.0.0")
			assert.False(t, ok, "a restart resets")
			assert.Equal(t, carbonlog.Deployed, state("AppC_2.0.0").State)
		})
	}
}

// TestSharedInvalidSynapseXML deploys the shared
// invalidSynapseXml-invalidCompositeApplication_1.0.0.car: faulty, under the
// id of its artifacts.xml.
func TestSharedInvalidSynapseXML(t *testing.T) {
	root := os.Getenv("DEPSYNC_TESTDATA")
	if root == "" {
		t.Skip("DEPSYNC_TESTDATA is not set (e.g. DEPSYNC_TESTDATA=../../shared/testdata)")
	}
	data, err := os.ReadFile(filepath.Join(root, "capps", "valid", "invalidSynapseXml-invalidCompositeApplication_1.0.0.car"))
	require.NoError(t, err)
	carbon, apps := newCarbon(t, LayoutEI61)
	require.NoError(t, os.WriteFile(filepath.Join(apps, "invalidSynapseXml-invalidCompositeApplication_1.0.0.car"), data, 0o644))
	require.NoError(t, carbon.Start())
	r := reader(carbon)
	r.Poll()
	s, ok := r.State(carbonlog.SuperTenant, "testSwaggerCompositeApplication_1.0.0")
	require.True(t, ok, "%+v", r.States())
	assert.Equal(t, carbonlog.Faulty, s.State)
	assert.Contains(t, s.Error, "testCapp-1.0.0.xml : XML syntax error")
}
