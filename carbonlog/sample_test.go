package carbonlog

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// endState is the part of a CAppState that a log's expected end states name.
type endState struct {
	Tenant int
	ID     string
	File   string
	State  State
	Time   string
}

func endStates(states []CAppState) []endState {
	var out []endState
	for _, s := range states {
		out = append(out, endState{s.Tenant, s.ID, s.File, s.State, s.Time.Format(tsLayout)})
	}
	return out
}

func readFile(t *testing.T, path string) []CAppState {
	t.Helper()
	f, err := os.Open(path)
	require.NoError(t, err)
	defer f.Close()
	got, err := ReadAll(f, time.UTC, nil)
	require.NoError(t, err)
	return got
}

// TestSharedSample parses the composed excerpt of the carbon-logs test data
// into the end states its README (section 6.1) lists.
func TestSharedSample(t *testing.T) {
	root := os.Getenv("DEPSYNC_TESTDATA")
	if root == "" {
		t.Skip("DEPSYNC_TESTDATA is not set (e.g. DEPSYNC_TESTDATA=../shared/testdata): the shared sample log is not read")
	}
	got := readFile(t, filepath.Join(root, "carbon-logs", "wso2carbon-sample.log"))
	assert.Equal(t, []endState{
		{su, "InventorySyncCApp_2.1.0", "inventory-sync-2.1.0.car", Undeployed, "2017-08-22 11:12:26,066"},
		{su, "OrderServiceCompositeApplication_1.0.0", "OrderServiceCompositeApplication_1.0.0.car", Deployed, "2017-08-22 10:05:12,613"},
		// Faulty, then its .car deleted ("Undeploying Faulty Carbon Application On").
		{su, "PaymentGatewayCApp_1.2.0", "PaymentGatewayCApp_1.2.0.car", Undeployed, "2017-08-22 10:47:03,318"},
		{1, "CustomerEventsCApp_1.0.0", "CustomerEventsCApp_1.0.0.car", Deployed, "2017-08-22 11:40:55,265"},
	}, endStates(got))

	// Cut just before the faulty .car is deleted, it is faulty with
	// Carbon's first error line.
	data, err := os.ReadFile(filepath.Join(root, "carbon-logs", "wso2carbon-sample.log"))
	require.NoError(t, err)
	lines := splitLines(string(data))
	require.Greater(t, len(lines), 195)
	cut, err := ReadAll(stringsReader(joinLines(lines[:195])), time.UTC, nil)
	require.NoError(t, err)
	var pay *CAppState
	for i := range cut {
		if cut[i].ID == "PaymentGatewayCApp_1.2.0" {
			pay = &cut[i]
		}
	}
	require.NotNil(t, pay)
	assert.Equal(t, Faulty, pay.State)
	assert.Equal(t, "Entry name is a required attribute for a Log property", pay.Error)
}

// TestComposedFixture: the same facts in a fixture of our own, so the test
// runs without the shared folder; it also holds an earlier server run
// whose C-App must be forgotten.
func TestComposedFixture(t *testing.T) {
	got := readFile(t, filepath.Join("testdata", "composed-ei611.log"))
	assert.Equal(t, []endState{
		{su, "BillingCApp_2.0.0", "BillingCApp_2.0.0.car", Undeployed, "2021-06-14 09:15:00,000"},
		{su, "ShopCApp_1.0.0", "ShopCApp_1.0.0.car", Deployed, "2021-06-14 08:30:00,090"},
		{su, "StockFeedApp_3.0.1", "stock-feed-3.0.1.car", Undeployed, "2021-06-14 09:40:00,011"},
		{3, "PartnerCApp_1.1.0", "PartnerCApp_1.1.0.car", Deployed, "2021-06-14 10:00:00,061"},
	}, endStates(got))
}

func splitLines(s string) []string { return strings.SplitAfter(s, "\n") }
func joinLines(l []string) string  { return strings.Join(l, "") }
func stringsReader(s string) *strings.Reader {
	return strings.NewReader(s)
}
