package syncer

import (
	"context"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/depsync/depsync/config"
	"github.com/depsync/depsync/svn"
)

// serversSVN is fakeSVN over several servers of one repository, those
// under down unreachable, that can relocate: only to force the failures a
// fallback URL recovers from.
type serversSVN struct {
	*fakeSVN
	down []string
}

func (s *serversSVN) isDown(u string) bool {
	for _, d := range s.down {
		if strings.HasPrefix(u, d) {
			return true
		}
	}
	return false
}

func (s *serversSVN) Info(ctx context.Context, target string) (*svn.Info, error) {
	if svn.IsURL(target) && s.isDown(target) {
		s.record("info " + target)
		return nil, unreachable()
	}
	return s.fakeSVN.Info(ctx, target)
}

func (s *serversSVN) Relocate(_ context.Context, _, from, to string) error {
	s.record("relocate " + from + " " + to)
	if s.isDown(to) {
		return unreachable()
	}
	return nil
}

// TestAFallbackURLKeepsTheManagerOffDirectMode: svn.url unreachable
// fail_threshold times in a row, a manager whose fallback URL answers uses
// it and stays in svn mode, showing it as svn_url; only when no URL
// answers does it go to direct mode.
func TestAFallbackURLKeepsTheManagerOffDirectMode(t *testing.T) {
	const replica, master = "http://replica.example/repo", "http://master.example/repo"
	c := testConfig(t, config.RoleManager)
	c.SVN.URL, c.SVN.FallbackURLs, c.SVN.FailThreshold = replica, []string{master}, 2
	f := &serversSVN{fakeSVN: &fakeSVN{}, down: []string{replica}}
	d, err := New(c, withParts(t, c, Deps{SVN: f}))
	require.NoError(t, err)
	assert.Equal(t, replica, d.Status().SVNURL)

	for range 2 * c.SVN.FailThreshold {
		d.hub.Look(t.Context())
		assert.Equal(t, ModeSVN, d.Mode(), "the master answers")
	}
	assert.Equal(t, master, d.Status().SVNURL)
	assert.Contains(t, f.Calls(), "info "+master)

	f.down = []string{replica, master}
	for range c.SVN.FailThreshold {
		d.hub.Look(t.Context())
	}
	assert.Equal(t, ModeDirect, d.Mode(), "no URL answers")
}

// TestNoFallbackURLsNoWrapper: without svn.fallback_urls the daemon's svn
// is as it was (nothing in between), and svn_url is svn.url.
func TestNoFallbackURLsNoWrapper(t *testing.T) {
	c := testConfig(t, config.RoleManager)
	f := &serversSVN{fakeSVN: &fakeSVN{}}
	d, err := New(c, withParts(t, c, Deps{SVN: f}))
	require.NoError(t, err)
	assert.Same(t, f, d.svn.(*serversSVN))
	assert.Equal(t, c.SVN.URL, d.Status().SVNURL)
}
