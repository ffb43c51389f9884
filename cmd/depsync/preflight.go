package main

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"net"
	"net/url"
	"os"
	"path/filepath"
	"sync"
	"syscall"
	"time"

	"github.com/depsync/depsync/config"
	"github.com/depsync/depsync/internal/tlsconf"
	"github.com/depsync/depsync/svn"
	"github.com/depsync/depsync/syncer"
)

// resolveTimeout bounds the look-up of each peer's host at start.
const resolveTimeout = 2 * time.Second

// preflight is the gate depsync run starts behind and config check
// reports: the config is valid and the node can run it (the TLS files, the
// state_dir, the svn client, carbon.xml), checked before anything is
// listened on or written, in one place so that both say the same thing.
// The error is the problems found; a *syncer.ConfigError among them makes
// it the operator's to fix (exit 2), a missing svn client is a failure
// (run says exit 1 for it; config check says 2 for every problem).
// warnings are what run starts with all the same.
func preflight(ctx context.Context, c *config.Config) (warnings []string, err error) {
	if err := validateConfig(c); err != nil {
		return nil, &syncer.ConfigError{Err: err}
	}
	var errs []error
	bad := func(err error) { errs = append(errs, &syncer.ConfigError{Err: err}) }
	if c.TLS.Enabled() {
		if _, err := tlsconf.LoadKeyPair(c.TLS.CertFile, c.TLS.KeyFile); err != nil {
			bad(fmt.Errorf("tls.cert_file/tls.key_file: %w", err))
		}
	}
	if c.TLS.CAFile != "" {
		if _, err := tlsconf.CAPool(c.TLS.CAFile); err != nil {
			bad(err)
		}
	}
	if err := checkStateDirWritable(c.StateDir); err != nil {
		bad(err)
	}
	for _, t := range c.Tenants() {
		if fi, err := os.Stat(t.Dir); err == nil && !fi.IsDir() {
			bad(fmt.Errorf("deployment directory %s is not a directory", t.Dir))
		}
	}
	if c.SVN.URL != "" {
		if _, err := svn.Find(""); err != nil {
			errs = append(errs, fmt.Errorf("svn client: %w", err))
		} else {
			// Every server of svn.fallback_urls serves svn.url's repository.
			w, err := syncer.CheckFallbackURLs(ctx, c)
			warnings = append(warnings, w...)
			if err != nil {
				errs = append(errs, err)
			}
		}
	}
	if err := syncer.CheckCarbonConfig(c); err != nil {
		errs = append(errs, err)
	}
	if p := c.Carbon.LogFilePath(); p != "" {
		if fi, err := os.Stat(filepath.Dir(p)); err != nil || !fi.IsDir() {
			warnings = append(warnings, fmt.Sprintf("carbon.log_file %s: its folder %s is not there: "+
				"C-App states stay unknown until it is (check carbon.home or carbon.log_file)", p, filepath.Dir(p)))
		}
	}
	warnings = append(warnings, unresolvedPeers(ctx, c.Peers)...)
	return warnings, errors.Join(errs...)
}

// validateConfig is config.Validate with the config's source named.
func validateConfig(c *config.Config) error {
	if err := c.Validate(); err != nil {
		return fmt.Errorf("invalid config %s:\n%w", describeSource(c.Source), err)
	}
	return nil
}

// checkStateDirWritable fails unless dir is a writable directory, or can
// be made as one: its nearest existing parent is a writable directory.
// Writability is tried with a file made and removed at once; nothing else
// is written.
func checkStateDirWritable(dir string) error {
	if dir == "" {
		return nil
	}
	at := dir
	for {
		fi, err := os.Stat(at)
		switch {
		case err == nil && !fi.IsDir():
			if at == dir {
				return fmt.Errorf("state_dir %s is not a directory", dir)
			}
			return fmt.Errorf("state_dir %s cannot be created: %s is not a directory", dir, at)
		case err == nil:
			if err := tryWrite(at); err != nil {
				if at == dir {
					return fmt.Errorf("state_dir %s is not writable: %w", dir, err)
				}
				return fmt.Errorf("state_dir %s cannot be created in %s: %w", dir, at, err)
			}
			return nil
		case !errors.Is(err, fs.ErrNotExist) && !errors.Is(err, syscall.ENOTDIR):
			return fmt.Errorf("state_dir %s: %w", dir, err)
		}
		parent := filepath.Dir(at)
		if parent == at {
			return fmt.Errorf("state_dir %s cannot be created: no folder of its path exists", dir)
		}
		at = parent
	}
}

// tryWrite makes a file in dir and removes it.
func tryWrite(dir string) error {
	f, err := os.CreateTemp(dir, ".depsync-check-*")
	if err != nil {
		return unwrapPathError(err)
	}
	name := f.Name()
	_ = f.Close()
	return os.Remove(name)
}

// unwrapPathError drops the temporary file's name from err: the folder is
// already named.
func unwrapPathError(err error) error {
	var pe *fs.PathError
	if errors.As(err, &pe) {
		return pe.Err
	}
	return err
}

// unresolvedPeers looks up every peer's host at once, each for
// resolveTimeout at most, and says which do not resolve. A peer given by
// IP is not looked up.
func unresolvedPeers(ctx context.Context, peers []string) []string {
	out := make([]string, len(peers))
	var wg sync.WaitGroup
	for i, p := range peers {
		u, err := url.Parse(p)
		if err != nil || u.Hostname() == "" || net.ParseIP(u.Hostname()) != nil {
			continue
		}
		wg.Add(1)
		go func() {
			defer wg.Done()
			lctx, cancel := context.WithTimeout(ctx, resolveTimeout)
			defer cancel()
			if _, err := net.DefaultResolver.LookupHost(lctx, u.Hostname()); err != nil {
				out[i] = fmt.Sprintf("peer %s: its host %s does not resolve (%v): notices and pushes to it fail until it does",
					p, u.Hostname(), err)
			}
		}()
	}
	wg.Wait()
	var warnings []string
	for _, w := range out {
		if w != "" {
			warnings = append(warnings, w)
		}
	}
	return warnings
}
