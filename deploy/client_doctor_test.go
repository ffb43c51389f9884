package deploy

import (
	"context"
	"errors"
	"net"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/depsync/depsync/deploy/client"
	"github.com/depsync/depsync/doctor"
)

func TestClientDoctor(t *testing.T) {
	home := filepath.Join("..", "doctor", "testdata", "ei-6.1.1", "node2")
	h := doctor.Handler(testToken, doctor.LiveOptions{Node: "node2", Home: home, Role: "worker",
		CAppsDir:       filepath.Join(t.TempDir(), "carbonapps"),
		InterfaceAddrs: func() ([]net.Addr, error) { return []net.Addr{&net.IPAddr{IP: net.ParseIP("10.0.0.12")}}, nil }}, nil)
	srv := httptest.NewServer(h)
	defer srv.Close()

	f, err := testClient(t).Doctor(context.Background(), srv.URL)
	require.NoError(t, err)
	assert.Equal(t, "node2", f.Node)
	assert.Equal(t, "10.0.0.12", f.Clustering.LocalHost)
	assert.Equal(t, []string{"10.0.0.12"}, f.LocalAddrs)
	assert.Equal(t, map[string]string{}, f.CApps, "known empty, not unknown")
	assert.Equal(t, &doctor.DepsyncRole{Role: "worker"}, f.Depsync)

	_, err = testClient(t, func(o *client.Options) { o.Token = "another-token-0123456789abcdef0123456789" }).Doctor(context.Background(), srv.URL)
	var ae *client.APIError
	require.ErrorAs(t, err, &ae)
	assert.Equal(t, http.StatusUnauthorized, ae.StatusCode)

	// A depsync from before GET /v1/doctor.
	old := httptest.NewServer(http.NotFoundHandler())
	defer old.Close()
	_, err = testClient(t).Doctor(context.Background(), old.URL)
	assert.True(t, client.IsNotFound(err), "%v", err)
}

func TestClientDoctorDeadline(t *testing.T) {
	stuck := make(chan struct{})
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		select {
		case <-stuck:
		case <-r.Context().Done():
		}
	}))
	defer srv.Close()
	defer close(stuck)
	c := testClient(t, func(o *client.Options) { o.RetryMax = -1; o.Timeout = 200 * time.Millisecond })
	start := time.Now()
	_, err := c.Doctor(context.Background(), srv.URL)
	require.Error(t, err)
	assert.True(t, errors.Is(err, context.DeadlineExceeded), "%v", err)
	assert.Less(t, time.Since(start), 5*time.Second)
}
