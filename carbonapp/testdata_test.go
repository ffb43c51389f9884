package carbonapp

import (
	"os"
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// sampleDir returns $DEPSYNC_TESTDATA/capps, or skips the test when unset.
func sampleDir(t testing.TB) string {
	t.Helper()
	root := os.Getenv("DEPSYNC_TESTDATA")
	if root == "" {
		t.Skip("DEPSYNC_TESTDATA is not set: no real C-Apps to test (e.g. DEPSYNC_TESTDATA=../shared/testdata)")
	}
	dir := filepath.Join(root, "capps")
	if _, err := os.Stat(dir); err != nil {
		t.Fatalf("DEPSYNC_TESTDATA=%s: %v", root, err)
	}
	return dir
}

// The ids of the real samples: the content's name_version, not the file name.
var sampleIDs = map[string]string{
	"valid/CarbonDataSourceTestCase.car":                            "testCompositeApplication_1.0.0",
	"valid/ESBproject3-1.0.0.car":                                   "ESBproject3_1.0.0",
	"valid/ESBproject4-1.0.0.car":                                   "ESBproject4_1.0.0",
	"valid/FileConnectorProjectCompositeApplication_1.0.0.car":      "FileConnectorProjectCompositeApplication_1.0.0",
	"valid/HealthCareCompositeExporter_1.0.0.car":                   "HealthCareCompositeExporter_1.0.0",
	"valid/HotDeployment_1.0.0.car":                                 "HotDeploymentCompositeApplication_1.0.0",
	"valid/MediatorCApp_1.0.0.car":                                  "MediatorCApp_1.0.0",
	"valid/car-deployment-test.car":                                 "car-deployment-test_1.0.0",
	"valid/connectors-data-services-pack_1.0.0.car":                 "connectors-data-services-pack_1.0.0.car_1.0.0-SNAPSHOT",
	"valid/demoCompositeExporter_1.0.0-SNAPSHOT.car":                "demoCompositeExporter_1.0.0-SNAPSHOT",
	"valid/esb-artifacts-car_1.0.0.car":                             "esb-artifacts-car_1.0.0",
	"valid/hello-worldCompositeApplication_1.0.0.car":               "hello-worldCompositeApplication_1.0.0",
	"valid/hello-worldCompositeExporter_1.0.0.car":                  "hello-worldCompositeExporter_1.0.0-SNAPSHOT",
	"valid/invalidSynapseXml-invalidCompositeApplication_1.0.0.car": "testSwaggerCompositeApplication_1.0.0",
	"valid/testConfiguration_1.0.0.car":                             "testConfiguration_1.0.0",
	"valid/ws-policiesCompositeExporter_1.0.0-SNAPSHOT.car":         "ws-policiesCompositeExporter_1.0.0-SNAPSHOT",
	"update/changed_demoCompositeExporter_1.0.0-SNAPSHOT.car":       "demoCompositeExporter_1.0.0-SNAPSHOT",
	"invalid/corrupt-scenario_5_1_1_CompositeApplication_1.0.0.car": string(KindNotZip),
	"invalid/empty-DataSourceCarbonApplication_1.0.0.car":           string(KindIncomplete),
	"invalid/invalidArtifactsXml.car":                               string(KindNoArtifactsXML),
	"invalid/noArtifactsXml.car":                                    string(KindNoArtifactsXML),
}

// How many artifact folders some samples hold (metadata/ ones included).
var sampleArtifacts = map[string]int{
	"valid/HealthCareCompositeExporter_1.0.0.car":    13,
	"valid/testConfiguration_1.0.0.car":              11,
	"valid/demoCompositeExporter_1.0.0-SNAPSHOT.car": 6,
	"valid/esb-artifacts-car_1.0.0.car":              15,
}

func TestRealSamples(t *testing.T) {
	dir := sampleDir(t)
	seen := 0
	for _, sub := range []string{"valid", "update", "invalid"} {
		files, err := filepath.Glob(filepath.Join(dir, sub, "*.car"))
		require.NoError(t, err)
		if sub != "update" {
			require.NotEmpty(t, files, "no .car in %s", filepath.Join(dir, sub))
		}
		for _, path := range files {
			rel := sub + "/" + filepath.Base(path)
			t.Run(rel, func(t *testing.T) {
				seen++
				app, err := ParseFile(path)
				want, known := sampleIDs[rel]
				if sub == "invalid" {
					require.Error(t, err)
					assert.NotEqual(t, Kind(""), KindOf(err), "%v", err)
					if known {
						assert.Equal(t, Kind(want), KindOf(err), "%v", err)
					}
					t.Logf("%s: %v", rel, err)
					return
				}
				require.NoError(t, err)
				if known {
					assert.Equal(t, want, app.ID)
				}
				if n, ok := sampleArtifacts[rel]; ok {
					assert.Len(t, app.Artifacts, n)
				}
				assert.Len(t, app.SHA256, 64)
				for _, d := range app.Dependencies {
					assert.NotEmpty(t, d.ServerRole)
				}
				t.Logf("%s: %s, %d artifacts, warnings %q", rel, app.ID, len(app.Artifacts), app.Warnings)

				// Every prefix a copy could leave is incomplete.
				data, err := os.ReadFile(path)
				require.NoError(t, err)
				step := max(1, len(data)/300)
				for n := 0; n < len(data); n += step {
					_, err := parseBytes(data[:n], filepath.Base(path), Limits{})
					require.True(t, IsIncomplete(err), "prefix of %d/%d bytes: %v", n, len(data), err)
				}
				same, err := parseBytes(data, filepath.Base(path), Limits{})
				require.NoError(t, err)
				assert.Equal(t, app.SHA256, same.SHA256)
				assert.Equal(t, app.ID, same.ID)
			})
		}
	}
	assert.GreaterOrEqual(t, seen, 20)
}
