package svnbatch

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/depsync/depsync/internal/svntest"
	"github.com/depsync/depsync/svn"
)

func TestCommonRoot(t *testing.T) {
	for _, tc := range []struct {
		name string
		dirs []string
		root string
		err  error
	}{
		{"siblings", []string{"/h/repository/tenants/1", "/h/repository/tenants/2"}, "/h/repository/tenants", nil},
		{"super tenant and tenants", []string{"/h/repository/tenants/1", "/h/repository/deployment/server"}, "/h/repository", nil},
		{"one", []string{"/h/t/1"}, "/h/t", nil},
		{"same twice", []string{"/h/t/1", "/h/t/1"}, "", errNotBatchable},
		{"one inside another", []string{"/h/t", "/h/t/1"}, "", errNotBatchable},
		{"prefix is not a parent", []string{"/h/t/1", "/h/t/10"}, "/h/t", nil},
	} {
		t.Run(tc.name, func(t *testing.T) {
			root, err := commonRoot(tc.dirs)
			assert.ErrorIs(t, err, tc.err)
			assert.Equal(t, tc.root, root)
		})
	}
}

func TestOwnerAndTargets(t *testing.T) {
	root := "/h/t"
	dirs := []string{"/h/t/1", "/h/t/10"}
	for _, tc := range []struct {
		path string
		i    int
		rel  string
		ok   bool
	}{
		{"1/carbonapps/a.car", 0, "carbonapps/a.car", true},
		{"10/carbonapps/a.car", 1, "carbonapps/a.car", true},
		{"10", 1, ".", true},
		{"2/x", 0, "", false},
	} {
		i, rel, ok := owner(root, dirs, tc.path)
		assert.Equal(t, tc.ok, ok, tc.path)
		if ok {
			assert.Equal(t, tc.i, i, tc.path)
			assert.Equal(t, tc.rel, rel, tc.path)
		}
	}
	got := targets(root, []wcReq{{dir: "/h/t/1", paths: []string{"carbonapps/a.car", "/h/t/1/b.xml"}}, {dir: "/h/t/10"}})
	assert.Equal(t, []string{"1/carbonapps/a.car", "1/b.xml", "10"}, got)
	assert.True(t, sameBase("http://svn/repo/12", "/h/t/12"))
	assert.True(t, sameBase("http://svn/repo/a%20b/", "/h/t/a b"))
	assert.False(t, sameBase("http://svn/repo/-1234", "/h/repository/deployment/server"))
}

// TestCoalescer: a lone request runs alone and at once; requests made
// while a run is in flight go together in the next; when that run fails,
// each runs alone and gets its own result.
func TestCoalescer(t *testing.T) {
	for _, failMany := range []bool{false, true} {
		t.Run("many fails "+strconv.FormatBool(failMany), func(t *testing.T) {
			release := make(chan struct{})
			started := make(chan int, 1)
			var mu sync.Mutex
			var ones, manys [][]int
			c := newCoalescer(make(chan struct{}, 4), 256,
				func(_ context.Context, _ string, q int) (int, error) {
					mu.Lock()
					ones = append(ones, []int{q})
					mu.Unlock()
					if q == 0 {
						started <- q
						<-release
					}
					if q == 3 {
						return 0, errors.New("three fails")
					}
					return q * 10, nil
				},
				func(_ context.Context, _ string, qs []int) ([]int, []error, error) {
					mu.Lock()
					manys = append(manys, qs)
					mu.Unlock()
					if failMany {
						return nil, nil, errors.New("the run failed")
					}
					rs := make([]int, len(qs))
					errs := make([]error, len(qs))
					for i, q := range qs {
						rs[i] = q * 10
						if q == 3 {
							errs[i] = errors.New("three fails")
						}
					}
					return rs, errs, nil
				})
			ctx := t.Context()
			var wg sync.WaitGroup
			results := make([]int, 6)
			errs := make([]error, 6)
			wg.Add(1)
			go func() { defer wg.Done(); results[0], errs[0] = c.do(ctx, "k", 0) }()
			<-started
			for q := 1; q < 6; q++ {
				wg.Add(1)
				go func() { defer wg.Done(); results[q], errs[q] = c.do(ctx, "k", q) }()
			}
			require.Eventually(t, func() bool {
				c.mu.Lock()
				defer c.mu.Unlock()
				return len(c.queued["k"]) == 5
			}, 10*time.Second, time.Millisecond, "the five wait for the run in flight")
			close(release)
			wg.Wait()

			for q := 0; q < 6; q++ {
				if q == 3 {
					assert.Error(t, errs[q])
					continue
				}
				require.NoError(t, errs[q])
				assert.Equal(t, q*10, results[q])
			}
			require.Len(t, manys, 1, "the five went in one run")
			assert.ElementsMatch(t, []int{1, 2, 3, 4, 5}, manys[0])
			if failMany {
				assert.Len(t, ones, 6, "after the failed run, each alone")
			} else {
				assert.Equal(t, [][]int{{0}}, ones, "only the lone first ran alone")
			}
			// The runs end with the queue, a moment after the last answer.
			require.Eventually(t, func() bool {
				c.mu.Lock()
				defer c.mu.Unlock()
				return len(c.queued) == 0
			}, 10*time.Second, time.Millisecond, "nothing left running")
		})
	}
}

// TestBatchSVNTenants: tenants calling svn at the same time, over a real
// repository, each get what they would get alone, in fewer revisions and
// runs: commits, statuses and updates of many working copies.
func TestBatchSVNTenants(t *testing.T) {
	svntest.Require(t, "svn", "svnadmin")
	srv := svntest.New(t, svntest.File)
	client, err := svn.New(svn.Options{StateDir: t.TempDir()})
	require.NoError(t, err)
	b := Wrap(client)
	require.IsType(t, &batchSVN{}, b)
	ctx := t.Context()
	const n = 20
	home := t.TempDir()
	dir := func(side string, i int) string { return filepath.Join(home, side, strconv.Itoa(i)) }
	url := func(i int) string { return svn.JoinURL(srv.URL, strconv.Itoa(i)) }
	each := func(fn func(i int) error) {
		t.Helper()
		errs := make([]error, n)
		var wg sync.WaitGroup
		for i := range n {
			wg.Add(1)
			go func() { defer wg.Done(); errs[i] = fn(i) }()
		}
		wg.Wait()
		require.NoError(t, errors.Join(errs...))
	}
	each(func(i int) error { return b.Mkdir(ctx, url(i), true, "tenant "+strconv.Itoa(i)) })
	for _, side := range []string{"manager", "worker"} {
		each(func(i int) error {
			_, err := b.Checkout(ctx, url(i), dir(side, i), false)
			return err
		})
	}
	each(func(i int) error {
		return os.WriteFile(filepath.Join(dir("manager", i), "t.xml"), []byte("<t"+strconv.Itoa(i)+"/>"), 0o644)
	})
	each(func(i int) error {
		st, err := b.StatusWith(ctx, dir("manager", i), svn.StatusOptions{})
		if err != nil {
			return err
		}
		if len(st) != 1 || st[0].Path != "t.xml" || st[0].Item != "unversioned" {
			return errors.New("tenant " + strconv.Itoa(i) + ": status is not its own")
		}
		return nil
	})
	revs := make([]int64, n)
	each(func(i int) (err error) {
		revs[i], err = b.CommitWith(ctx, dir("manager", i), "tenant "+strconv.Itoa(i), svn.CommitOptions{Deletable: []string{}}, "t.xml")
		return err
	})
	head, err := client.Info(ctx, srv.URL)
	require.NoError(t, err)
	distinct := map[int64]bool{}
	for _, r := range revs {
		require.Positive(t, r)
		distinct[r] = true
	}
	assert.Less(t, len(distinct), n/2, "the commits that met went in one revision")

	results := make([]*svn.UpdateResult, n)
	each(func(i int) (err error) {
		results[i], err = b.UpdateWith(ctx, dir("worker", i), svn.UpdateOptions{Force: true})
		return err
	})
	for i, res := range results {
		assert.Equal(t, head.Revision, res.Revision, "tenant %d", i)
		require.Len(t, res.Changed, 1, "tenant %d sees its own change only", i)
		assert.Equal(t, "t.xml", res.Changed[0].Path)
		data, err := os.ReadFile(filepath.Join(dir("worker", i), "t.xml"))
		require.NoError(t, err)
		assert.Equal(t, "<t"+strconv.Itoa(i)+"/>", string(data))
	}
}

// TestCoalescerContexts: a request given up before a run took it is dropped
// alone; one given up once taken does not cut the run the others share
// (its caller waits for the run, keeping what it holds for svn meanwhile).
func TestCoalescerContexts(t *testing.T) {
	release := make(chan struct{})
	inMany := make(chan context.Context, 1)
	releaseMany := make(chan struct{})
	started := make(chan struct{}, 1)
	var mu sync.Mutex
	var manys [][]int
	c := newCoalescer(make(chan struct{}, 4), 256,
		func(_ context.Context, _ string, q int) (int, error) {
			if q == 0 {
				started <- struct{}{}
				<-release
			}
			return q * 10, nil
		},
		func(ctx context.Context, _ string, qs []int) ([]int, []error, error) {
			mu.Lock()
			manys = append(manys, slices.Clone(qs))
			mu.Unlock()
			inMany <- ctx
			<-releaseMany
			rs := make([]int, len(qs))
			for i, q := range qs {
				rs[i] = q * 10
			}
			return rs, make([]error, len(qs)), nil
		})
	bg := context.Background()
	go func() { _, _ = c.do(bg, "k", 0) }()
	<-started
	ctx1, cancel1 := context.WithCancel(bg)
	ctx2, cancel2 := context.WithCancel(bg)
	results := make([]int, 4)
	errs := make([]error, 4)
	var wg sync.WaitGroup
	for q, ctx := range map[int]context.Context{1: ctx1, 2: ctx2, 3: bg} {
		wg.Add(1)
		go func() { defer wg.Done(); results[q], errs[q] = c.do(ctx, "k", q) }()
	}
	require.Eventually(t, func() bool {
		c.mu.Lock()
		defer c.mu.Unlock()
		return len(c.queued["k"]) == 3
	}, 10*time.Second, time.Millisecond)

	cancel1() // given up while queued: dropped
	require.Eventually(t, func() bool {
		c.mu.Lock()
		defer c.mu.Unlock()
		return len(c.queued["k"]) == 2
	}, 10*time.Second, time.Millisecond)
	close(release)
	runCtx := <-inMany
	cancel2() // given up once taken: the run goes on
	// (a context derived from it would be canceled by now: that is synchronous)
	assert.NoError(t, runCtx.Err(), "one caller giving up cut the run the others share")
	close(releaseMany)
	wg.Wait()

	assert.ErrorIs(t, errs[1], context.Canceled)
	require.NoError(t, errs[2], "taken: its caller waited for the run")
	assert.Equal(t, 20, results[2])
	require.NoError(t, errs[3])
	assert.Equal(t, 30, results[3])
	require.Len(t, manys, 1)
	assert.ElementsMatch(t, []int{2, 3}, manys[0])
}
