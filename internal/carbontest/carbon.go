// Package carbontest is a stand-in for Carbon 4.4's C-App deployer in
// tests: it scans a carbonapps folder and writes to wso2carbon.log the
// lines Carbon writes for what lands there (deploying, deployed, faulty
// with an error, a stack trace and the revert line, redeploys, undeploys),
// in the EI 6.0-6.2 or 6.3-6.5 layout, and rolls the log over as log4j's
// daily appender does. It deploys nothing.
//
// The lines follow carbon-kernel 4.4.x's ApplicationManager and
// CappAxis2Deployer as quoted in the carbon-logs test data's README.
package carbontest

import (
	"context"
	"crypto/sha256"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"sort"
	"sync"
	"time"

	"github.com/depsync/depsync/carbonapp"
)

// Options configure a stand-in. Home is required unless both LogFile and
// CarbonApps are set.
type Options struct {
	// Home is carbon.home: the log is <Home>/repository/logs/wso2carbon.log
	// and the super tenant's C-Apps are in
	// <Home>/repository/deployment/server/carbonapps.
	Home       string
	LogFile    string
	CarbonApps string
	// Tenant is the tenant whose carbonapps folder is scanned (default
	// -1234, the super tenant); Domain names it in tenant lines.
	Tenant int
	Domain string
	Layout Layout
	// Interval is how often Run scans (Carbon's
	// DeploymentUpdateInterval is 15s; default 100ms).
	Interval time.Duration
	// Now stamps lines (default time.Now), in Location (default time.Local).
	Now      func() time.Time
	Location *time.Location
	// Refuse, when set, is asked about each Synapse artifact of a C-App
	// deployed (its carbonapps file name and bytes): an error makes the
	// C-App faulty with that error, as on a node whose Carbon lacks what
	// the artifact needs while another node's deploys it.
	Refuse func(car string, data []byte) error
}

// deployedApp is what the stand-in remembers of a .car it has handled.
type deployedApp struct {
	sum    [32]byte
	mod    time.Time
	size   int64
	id     string
	faulty bool
}

// Carbon is the stand-in. Its methods are safe for concurrent use.
type Carbon struct {
	opts Options

	mu   sync.Mutex
	log  *os.File
	apps map[string]*deployedApp // by file base name
}

// New returns a stand-in; nothing is written until Start or Run.
func New(opts Options) (*Carbon, error) {
	if opts.LogFile == "" {
		if opts.Home == "" {
			return nil, fmt.Errorf("carbontest: Home or LogFile is required")
		}
		opts.LogFile = filepath.Join(opts.Home, "repository", "logs", "wso2carbon.log")
	}
	if opts.CarbonApps == "" {
		if opts.Home == "" {
			return nil, fmt.Errorf("carbontest: Home or CarbonApps is required")
		}
		if opts.Tenant > 0 {
			opts.CarbonApps = filepath.Join(opts.Home, "repository", "tenants", fmt.Sprint(opts.Tenant), "carbonapps")
		} else {
			opts.CarbonApps = filepath.Join(opts.Home, "repository", "deployment", "server", "carbonapps")
		}
	}
	if opts.Home == "" {
		opts.Home = filepath.Dir(filepath.Dir(filepath.Dir(opts.LogFile)))
	}
	if opts.Tenant == 0 {
		opts.Tenant = -1234
	}
	if opts.Domain == "" {
		opts.Domain = fmt.Sprintf("tenant%d.example", opts.Tenant)
	}
	if opts.Interval <= 0 {
		opts.Interval = 100 * time.Millisecond
	}
	if opts.Now == nil {
		opts.Now = time.Now
	}
	if opts.Location == nil {
		opts.Location = time.Local
	}
	return &Carbon{opts: opts, apps: map[string]*deployedApp{}}, nil
}

// LogFile returns the path of the log written.
func (c *Carbon) LogFile() string { return c.opts.LogFile }

// Run starts the server (Start) and scans carbonapps every Interval until
// ctx ends, then closes the log.
func (c *Carbon) Run(ctx context.Context) error {
	if err := c.Start(); err != nil {
		return err
	}
	defer c.Close()
	t := time.NewTicker(c.opts.Interval)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return nil
		case <-t.C:
			if err := c.Scan(); err != nil {
				return err
			}
		}
	}
}

// Start writes a server start ("Starting WSO2 Carbon..." ... "WSO2 Carbon
// started in N sec") and deploys every .car present, as a (re)started JVM
// does. What an earlier start deployed is forgotten.
func (c *Carbon) Start() error {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.apps = map[string]*deployedApp{}
	if err := c.write(-1234, Record{Level: "INFO", Logger: LoggerCoreActivator, Msg: "Starting WSO2 Carbon..."}); err != nil {
		return err
	}
	if err := c.scan(); err != nil {
		return err
	}
	return c.write(-1234, Record{Level: "INFO", Logger: LoggerStartup, Msg: "WSO2 Carbon started in 3 sec"})
}

// Stop writes what a graceful shutdown writes; nothing per C-App.
func (c *Carbon) Stop() error {
	c.mu.Lock()
	defer c.mu.Unlock()
	for _, m := range []string{"Gracefully shutting down WSO2 Enterprise Integrator...", "Shutdown complete", "Halting JVM"} {
		if err := c.write(-1234, Record{Level: "INFO", Logger: LoggerServerManager, Msg: m}); err != nil {
			return err
		}
	}
	return nil
}

// Close closes the log file.
func (c *Carbon) Close() error {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.log == nil {
		return nil
	}
	err := c.log.Close()
	c.log = nil
	return err
}

// RollOver does what log4j's DailyRollingFileAppender does at midnight:
// closes the log, renames it to <log>.<yyyy-MM-dd> of the day it holds
// (removing an existing target) and opens a new, empty log by the name.
func (c *Carbon) RollOver() (string, error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.log != nil {
		if err := c.log.Close(); err != nil {
			return "", fmt.Errorf("close %s: %w", c.opts.LogFile, err)
		}
		c.log = nil
	}
	fi, err := os.Stat(c.opts.LogFile)
	if err != nil {
		return "", fmt.Errorf("roll over: %w", err)
	}
	target := c.opts.LogFile + "." + fi.ModTime().In(c.opts.Location).Format("2006-01-02")
	_ = os.Remove(target)
	if err := os.Rename(c.opts.LogFile, target); err != nil {
		return "", fmt.Errorf("roll over: %w", err)
	}
	return target, c.openLog()
}

func (c *Carbon) openLog() error {
	if err := os.MkdirAll(filepath.Dir(c.opts.LogFile), 0o755); err != nil {
		return fmt.Errorf("carbontest: %w", err)
	}
	f, err := os.OpenFile(c.opts.LogFile, os.O_APPEND|os.O_CREATE|os.O_WRONLY, 0o644)
	if err != nil {
		return fmt.Errorf("carbontest: %w", err)
	}
	c.log = f
	return nil
}

// write appends one record in one write, stamped now.
func (c *Carbon) write(tenant int, r Record) error {
	if c.log == nil {
		if err := c.openLog(); err != nil {
			return err
		}
	}
	if r.Time.IsZero() {
		r.Time = c.opts.Now().In(c.opts.Location)
	}
	if _, err := io.WriteString(c.log, Format(c.opts.Layout, tenant, c.opts.Domain, r)); err != nil {
		return fmt.Errorf("carbontest: write %s: %w", c.opts.LogFile, err)
	}
	return nil
}

func (c *Carbon) info(logger, msg string) error {
	return c.write(c.opts.Tenant, Record{Level: "INFO", Logger: logger, Msg: msg})
}

// Scan handles what changed in carbonapps since the last scan, as Axis2's
// hot deployment (with hot update) does: new files are deployed, changed
// ones undeployed and deployed again, removed ones undeployed.
func (c *Carbon) Scan() error {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.scan()
}

func (c *Carbon) scan() error {
	entries, err := os.ReadDir(c.opts.CarbonApps)
	if err != nil && !os.IsNotExist(err) {
		return fmt.Errorf("carbontest: scan: %w", err)
	}
	present := map[string]os.FileInfo{}
	for _, e := range entries {
		if e.IsDir() || !carbonapp.IsCApp(e.Name()) {
			continue
		}
		fi, err := e.Info()
		if err != nil {
			continue
		}
		present[e.Name()] = fi
	}
	// Removed first, in name order, then new and changed.
	var gone []string
	for name := range c.apps {
		if _, ok := present[name]; !ok {
			gone = append(gone, name)
		}
	}
	sort.Strings(gone)
	for _, name := range gone {
		if err := c.undeploy(name); err != nil {
			return err
		}
		delete(c.apps, name)
	}
	names := make([]string, 0, len(present))
	for name := range present {
		names = append(names, name)
	}
	sort.Strings(names)
	for _, name := range names {
		fi := present[name]
		prev := c.apps[name]
		if prev != nil && prev.mod.Equal(fi.ModTime()) && prev.size == fi.Size() {
			continue
		}
		path := filepath.Join(c.opts.CarbonApps, name)
		data, err := os.ReadFile(path)
		if err != nil {
			continue // being written; the next scan sees it
		}
		sum := sha256.Sum256(data)
		if prev != nil {
			if prev.sum == sum {
				prev.mod, prev.size = fi.ModTime(), fi.Size()
				continue
			}
			// Hot update: undeploy, then deploy the new bytes.
			if err := c.undeploy(name); err != nil {
				return err
			}
		}
		app := &deployedApp{sum: sum, mod: fi.ModTime(), size: fi.Size()}
		c.apps[name] = app
		if err := c.deploy(name, path, data, app); err != nil {
			return err
		}
	}
	return nil
}

// undeploy writes what Carbon writes when a .car is removed or replaced.
func (c *Carbon) undeploy(name string) error {
	app := c.apps[name]
	if app == nil || app.faulty || app.id == "" {
		// Not in the tenant's deployed list: CappAxis2Deployer.undeploy.
		return c.info(LoggerCappDeployer, "Undeploying Faulty Carbon Application On : "+filepath.Join(c.opts.CarbonApps, name))
	}
	if err := c.info(LoggerAppManager, "Undeploying Carbon Application : "+app.id+"..."); err != nil {
		return err
	}
	return c.info(LoggerAppManager, "Successfully Undeployed Carbon Application : "+app.id+TenantSuffix(c.opts.Tenant))
}
