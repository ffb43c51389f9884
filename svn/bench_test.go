package svn

import (
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/depsync/depsync/internal/svntest"
)

// BenchmarkOverhead measures the client's per-operation overhead against
// running the raw svn command for the same operation (same global options,
// same arguments) in the same run. Raw and client runs alternate so that
// drift affects both; the metrics are:
//
//	raw-ms/op     median wall time of the raw svn command
//	client-ms/op  median wall time of the client call
//	client/raw    the ratio of the medians (target: at most 1.10)
//
// Medians, not means: on a shared machine a few slow outliers would
// otherwise decide the ratio.
//
// Run it with:
//
//	go test -run '^$' -bench Overhead -benchtime 200x ./svn/
func BenchmarkOverhead(b *testing.B) {
	for _, kind := range svntest.AllKinds() {
		b.Run(kindName(kind), func(b *testing.B) {
			s := svntest.New(b, kind)
			c, _ := testClient(b, s, func(o *Options) { o.Logger = nil })
			ctx := b.Context()
			wc := checkout(b, c, s.URL)
			for i := range 200 {
				writeFile(b, filepath.Join(wc, fmt.Sprintf("d%d", i%10), fmt.Sprintf("f%03d.car", i)), "x", 0o644)
			}
			_, err := c.Commit(ctx, wc, "fixture")
			require.NoError(b, err)
			require.NoError(b, c.CheckVersion(ctx))
			msg := filepath.Join(b.TempDir(), "msg")
			require.NoError(b, os.WriteFile(msg, []byte("bench"), 0o600))
			n := 0
			bump := func() {
				n++
				writeFile(b, filepath.Join(wc, "d0", "f000.car"), fmt.Sprint(n), 0o644)
			}

			ops := []struct {
				name   string
				raw    func() error
				client func() error
			}{
				{"Info",
					func() error {
						_, err := rawSVN(c, "", "info", "--xml", "--depth", "empty", "--", wc).Output()
						return err
					},
					func() error { _, err := c.Info(ctx, wc); return err }},
				{"RemoteRevision",
					func() error {
						_, err := rawSVN(c, "", "info", "--xml", "--depth", "empty", "--", s.URL).Output()
						return err
					},
					func() error { _, err := c.RemoteRevision(ctx, s.URL); return err }},
				{"Status",
					func() error {
						_, err := rawSVN(c, wc, "status", "--xml", "--no-ignore", "--", ".").Output()
						return err
					},
					func() error { _, err := c.Status(ctx, wc); return err }},
				{"UpdateNoop",
					func() error { _, err := rawSVN(c, wc, "update", "--", ".").Output(); return err },
					func() error { _, err := c.Update(ctx, wc); return err }},
				// Commit reconciles first (one svn status run), so it is
				// compared with the raw status + commit it replaces.
				{"CommitOneFile",
					func() error {
						bump()
						if _, err := rawSVN(c, wc, "status", "--xml", "--no-ignore", "--verbose", "--", "d0/f000.car").Output(); err != nil {
							return err
						}
						_, err := rawSVN(c, wc, "commit", "--file", msg, "--force-log", "--encoding", "UTF-8", "--", "d0/f000.car").Output()
						return err
					},
					func() error { bump(); _, err := c.Commit(ctx, wc, "bench", "d0/f000.car"); return err }},
			}
			for _, op := range ops {
				b.Run(op.name, func(b *testing.B) {
					var raw, client []time.Duration
					timed := func(f func() error, what string) time.Duration {
						start := time.Now()
						if err := f(); err != nil {
							b.Fatalf("%s: %v", what, err)
						}
						return time.Since(start)
					}
					for b.Loop() {
						// Alternate who goes first, so that caches and
						// drift favour neither.
						if len(raw)%2 == 0 {
							raw = append(raw, timed(op.raw, "raw"))
							client = append(client, timed(op.client, "client"))
						} else {
							client = append(client, timed(op.client, "client"))
							raw = append(raw, timed(op.raw, "raw"))
						}
					}
					mr, mc := median(raw), median(client)
					b.ReportMetric(float64(mr.Microseconds())/1000, "raw-ms/op")
					b.ReportMetric(float64(mc.Microseconds())/1000, "client-ms/op")
					b.ReportMetric(float64(mc)/float64(mr), "client/raw")
				})
			}
		})
	}
}

func median(ds []time.Duration) time.Duration {
	if len(ds) == 0 {
		return 0
	}
	s := slices.Clone(ds)
	slices.Sort(s)
	return s[len(s)/2]
}
