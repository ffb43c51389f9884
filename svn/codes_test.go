package svn

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/depsync/depsync/internal/svntest"
)

// TestErrorCodes provokes each failure against each kind of server and
// checks the codes svn itself prints, rather than trusting a list: the
// classification table in errors.go is checked against these.
func TestErrorCodes(t *testing.T) {
	forEachServer(t, svntest.AllKinds(), func(t *testing.T, s *svntest.Server) {
		c, _ := testClient(t, s)
		ctx := t.Context()
		wc := checkout(t, c, s.URL)
		writeFile(t, filepath.Join(wc, "f.txt"), "1\n", 0o644)
		writeFile(t, filepath.Join(wc, "d", "g.txt"), "1\n", 0o644)
		_, err := c.Commit(ctx, wc, "base")
		require.NoError(t, err)
		wc2 := checkout(t, c, s.URL)

		type scenario struct {
			name  string
			kind  error
			codes []string // each must be among svn's codes
			run   func() error
		}
		scenarios := []scenario{
			{"url not found", ErrNotFound, []string{"W170000", "E200009"}, func() error {
				_, err := c.Info(ctx, JoinURL(s.URL, "nope"))
				return err
			}},
			{"no such revision", ErrNotFound, []string{"E160006"}, func() error {
				_, err := c.Log(ctx, s.URL, 99, 100)
				return err
			}},
			{"wc path not found", ErrNotFound, []string{"W155010", "E200009"}, func() error {
				_, err := c.Info(ctx, filepath.Join(wc, "nope"))
				return err
			}},
			{"not a working copy", ErrNotWorkingCopy, []string{"E155007"}, func() error {
				_, err := c.Info(ctx, t.TempDir())
				return err
			}},
			{"already exists", ErrExists, []string{"E160020"}, func() error {
				return c.Mkdir(ctx, JoinURL(s.URL, "d"), false, "exists")
			}},
			{"mkdir without parents", ErrNotFound, []string{"E160013"}, func() error {
				return c.Mkdir(ctx, JoinURL(s.URL, "x", "y"), false, "no parents")
			}},
			{"checkout over another URL", ErrObstructed, []string{"E155000"}, func() error {
				_, err := c.Checkout(ctx, JoinURL(s.URL, "d"), wc, false)
				return err
			}},
			{"commit of a kind change", ErrObstructed, []string{"E145001"}, func() error {
				p := filepath.Join(wc, "f.txt")
				require.NoError(t, os.Remove(p))
				require.NoError(t, os.Mkdir(p, 0o755))
				defer func() {
					require.NoError(t, os.Remove(p))
					require.NoError(t, c.Revert(ctx, wc, "f.txt"))
				}()
				_, err := c.commit(ctx, wc, "raw", []string{"f.txt"})
				return err
			}},
			{"out of date", ErrOutOfDate, map[svntest.Kind][]string{
				svntest.File:     {"E155011", "E160028"},
				svntest.SVNServe: {"E160028"},
				svntest.HTTP:     {"E155011", "E170004"},
			}[s.Kind], func() error {
				writeFile(t, filepath.Join(wc2, "d", "g.txt"), "2\n", 0o644)
				if _, err := c.Commit(ctx, wc2, "wc2"); err != nil {
					return err
				}
				writeFile(t, filepath.Join(wc, "d", "g.txt"), "3\n", 0o644)
				_, err := c.commit(ctx, wc, "raw", []string{filepath.Join("d", "g.txt")})
				return err
			}},
			{"conflict", ErrConflict, []string{"E155015"}, func() error {
				if _, err := c.Update(ctx, wc); err != nil {
					return err
				}
				_, err := c.commit(ctx, wc, "raw", []string{filepath.Join("d", "g.txt")})
				return err
			}},
		}
		if s.Kind != svntest.File {
			scenarios = append(scenarios,
				scenario{"wrong password", ErrAuth, map[svntest.Kind][]string{
					svntest.SVNServe: {"E170013", "E170001"},
					svntest.HTTP:     {"E170013", "E215004"},
				}[s.Kind], func() error {
					bad, _ := testClient(t, s, func(o *Options) { o.Password = "wrong-" + s.Password })
					_, err := bad.RemoteRevision(ctx, s.URL)
					return err
				}},
				scenario{"server stopped", ErrUnreachable, []string{"E170013", "E000111"}, func() error {
					s.Stop(t)
					defer s.Start(t)
					_, err := c.RemoteRevision(ctx, s.URL)
					return err
				}},
			)
		} else {
			scenarios = append(scenarios, scenario{"repository missing", ErrNotFound, []string{"E170013", "E180001"}, func() error {
				_, err := c.RemoteRevision(ctx, "file://"+filepath.ToSlash(filepath.Join(t.TempDir(), "norepo")))
				return err
			}})
		}

		var report []string
		for _, sc := range scenarios {
			err := sc.run()
			var e *Error
			if !assert.True(t, errors.As(err, &e), "%s: want *Error, got %v", sc.name, err) {
				continue
			}
			assert.ErrorIs(t, err, sc.kind, "%s: %v", sc.name, err)
			for _, code := range sc.codes {
				assert.True(t, e.HasCode(code) && hasExact(e.Codes, code), "%s: svn printed %v, expected %s", sc.name, e.Codes, code)
			}
			report = append(report, fmt.Sprintf("%-26s %-18s %v", sc.name, e.Kind, e.Codes))
		}
		t.Logf("codes printed by svn (%s):\n%s", s.Kind, strings.Join(report, "\n"))
	})
}

func hasExact(codes []string, code string) bool {
	for _, c := range codes {
		if c == code {
			return true
		}
	}
	return false
}
