package main

import (
	"log/slog"
	"os"
	"path/filepath"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/depsync/depsync/api"
	"github.com/depsync/depsync/carbonlog"
	"github.com/depsync/depsync/config"
)

// newCarbonLog returns the reader of the node's Carbon log
// (carbon.log_file, else <carbon.home>/repository/logs/wso2carbon.log)
// with its gauge depsync_capps{state} registered, or nil when neither
// key says where the log is. A missing file is no error: the reader says
// so once and keeps looking for it.
func newCarbonLog(c *config.Config, reg prometheus.Registerer, log *slog.Logger) *carbonlog.Reader {
	path := c.Carbon.LogFilePath()
	if path == "" {
		log.Info("no Carbon log to read (set carbon.home or carbon.log_file): C-App states unknown, capp push --wait counts this node by presence")
		return nil
	}
	r := carbonlog.New(path, carbonlog.Options{Logger: log, OnDisk: carbonAppsOnDisk(c)})
	reg.MustRegister(carbonlog.NewCollector(r))
	return r
}

// carbonAppsOnDisk lists the file names in a tenant's carbonapps folder
// (the super tenant's under carbon.deployment_dir, a tenant's under
// <carbon.home>/repository/tenants/<id>): the C-Apps whose Carbon state the
// reader keeps however many names its log holds. Only names are read,
// never a file.
func carbonAppsOnDisk(c *config.Config) carbonlog.OnDisk {
	return func(tenant int) map[string]bool {
		var dir string
		switch {
		case tenant == carbonlog.SuperTenant && c.Carbon.DeploymentDir != "":
			dir = c.Carbon.DeploymentDir
		case tenant > 0 && c.Carbon.Home != "":
			dir = c.TenantOf(tenant).Dir
		default:
			return nil
		}
		entries, err := os.ReadDir(filepath.Join(dir, "carbonapps"))
		if err != nil {
			return nil
		}
		names := make(map[string]bool, len(entries))
		for _, e := range entries {
			names[e.Name()] = true
		}
		return names
	}
}

// carbonStatus adds to /v1/status the Carbon log read and the C-Apps it
// says are faulty. A nil reader adds nothing.
func carbonStatus(r *carbonlog.Reader) func(*api.Status) {
	if r == nil {
		return nil
	}
	return func(s *api.Status) {
		s.CarbonLog = &api.CarbonLog{Path: r.Path(), Readable: r.Readable()}
		for _, st := range r.States() {
			if st.State != carbonlog.Faulty {
				continue
			}
			s.FaultyCApps = append(s.FaultyCApps, api.CarbonCApp{Tenant: st.Tenant, ID: st.ID, File: st.File,
				CarbonState: api.CarbonState{State: string(st.State), Time: st.Time, Seen: st.Seen, Live: st.Live, Error: st.Error}})
		}
	}
}
