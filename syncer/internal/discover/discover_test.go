package discover

import (
	"bytes"
	"context"
	"errors"
	"log/slog"
	"os"
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/depsync/depsync/config"
)

func TestTenantIDs(t *testing.T) {
	tests := []struct {
		names []string
		want  []int
	}{
		{nil, nil},
		{[]string{"1", "22", "333"}, []int{1, 22, 333}},
		{[]string{"-1234"}, nil},                  // the super tenant: always synced
		{[]string{"0", "007", "+5", "5 "}, nil},   // not spelled as an id
		{[]string{"carbonapps", "x1", "1x"}, nil}, // not ids
		{[]string{"3", "not-a-tenant", "7"}, []int{3, 7}},
	}
	for _, tt := range tests {
		assert.Equal(t, tt.want, tenantIDs(tt.names), "%q", tt.names)
	}
}

// TestFind: a manager finds its local tenant folders; a worker the
// repository's too, and its local ones when the repository cannot be
// listed (with a warning); nothing without carbon.tenants: all.
func TestFind(t *testing.T) {
	tests := []struct {
		name    string
		role    string
		all     bool
		listErr error
		want    []int
		warns   bool
	}{
		{"manager: local folders only", config.RoleManager, true, nil, []int{3}, false},
		{"worker: local and the repository's", config.RoleWorker, true, nil, []int{3, 5, 8}, false},
		{"worker, repository not listed: local", config.RoleWorker, true, errors.New("svn: E170013"), []int{3}, true},
		{"not all tenants", config.RoleWorker, false, nil, nil, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			home := t.TempDir()
			require.NoError(t, os.MkdirAll(filepath.Join(Dir(home), "3", "carbonapps"), 0o755))
			require.NoError(t, os.MkdirAll(filepath.Join(Dir(home), "lost+found"), 0o755))
			require.NoError(t, os.WriteFile(filepath.Join(Dir(home), "4"), nil, 0o644)) // a file, not a folder
			c := &config.Config{Role: tt.role, Carbon: config.Carbon{Home: home, AllTenants: tt.all},
				SVN: config.SVN{URL: "http://svn.example/repo"}}
			var logs bytes.Buffer
			listed := 0
			env := Env{Config: c, Log: slog.New(slog.NewTextHandler(&logs, nil)),
				OpContext: func(ctx context.Context) (context.Context, context.CancelFunc) { return context.WithCancel(ctx) },
				ListDirs: func(_ context.Context, url string) ([]string, error) {
					listed++
					assert.Equal(t, c.SVN.URL, url)
					if tt.listErr != nil {
						return nil, tt.listErr
					}
					return []string{"5", "8", "trunk"}, nil
				}}
			assert.Equal(t, tt.want, Find(context.Background(), env))
			if tt.role == config.RoleManager || !tt.all {
				assert.Zero(t, listed, "the repository is not asked")
			}
			if tt.warns {
				assert.Contains(t, logs.String(), "cannot list the repository's tenants")
			} else {
				assert.NotContains(t, logs.String(), "level=WARN")
			}
		})
	}
}
