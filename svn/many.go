package svn

// Operations on many targets in one svn process: the first sync of a
// hundred tenants costs a few svn runs, not a few hundred.

import (
	"bufio"
	"context"
	"errors"
	"io"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"time"
)

// InfoMany runs one svn info for several working-copy paths or URLs and
// returns, for each target in order, its Info or its own error: a target
// that does not exist gets an error of kind ErrNotFound while the others
// get their Info, as svn reports them in the same run.
func (c *Client) InfoMany(ctx context.Context, targets []string) ([]*Info, []error) {
	infos := make([]*Info, len(targets))
	errs := make([]error, len(targets))
	if len(targets) == 0 {
		return infos, errs
	}
	given := make([]string, len(targets))
	for i, t := range targets {
		given[i] = t
		if !IsURL(t) {
			abs, err := filepath.Abs(t)
			if err != nil {
				errs[i] = errorf("info", t, nil, "%v", err)
				continue
			}
			given[i] = abs
		}
	}
	for _, chunk := range chunkIndexes(given) {
		var found []Info
		paths := make([]string, len(chunk))
		for j, i := range chunk {
			paths[j] = given[i]
		}
		err := c.run(ctx, &call{
			op: "info", args: []string{"--xml", "--depth", "empty"}, paths: paths,
			target: paths[0], timeout: c.ProbeTimeout, auth: true,
			stdout: func(r io.Reader) (err error) { found, err = parseInfo(r); return err },
		})
		var diags []diagnostic
		var serr *Error
		if errors.As(err, &serr) {
			diags = parseDiagnostics(serr.Message)
		}
		for j, i := range chunk {
			if errs[i] != nil {
				continue
			}
			if err == nil && len(found) == len(chunk) {
				// All there: svn prints them in order, whatever form
				// of a URL (host case, default port) it prints.
				infos[i] = &found[j]
				continue
			}
			if info := matchInfo(found, given[i]); info != nil {
				infos[i] = info
				continue
			}
			errs[i] = targetError(given[i], diags, err)
		}
	}
	return infos, errs
}

// matchInfo finds target's entry: svn prints a path as it was given and a
// URL's entry carries the URL (its path is only the basename).
func matchInfo(found []Info, target string) *Info {
	for k := range found {
		e := &found[k]
		if IsURL(target) {
			if SameURL(e.URL, target) {
				return e
			}
		} else if filepath.Clean(e.Path) == target {
			return e
		}
	}
	return nil
}

// targetError is the error of one target of a run over many: svn's own
// diagnostic naming it when there is one, else the run's error.
func targetError(target string, diags []diagnostic, runErr error) error {
	for _, d := range diags {
		if strings.Contains(d.text, "'"+target+"'") {
			kind := kindOfCode(d.code)
			if kind == nil && d.warning {
				kind = ErrNotFound // "W155010: The node ... was not found", "W170000: URL ... non-existent"
			}
			return errorf("info", target, kind, "%s", d.text)
		}
	}
	if runErr != nil {
		return runErr
	}
	return errorf("info", target, ErrNotFound, "svn printed no entry")
}

// SameURL reports whether two repository URLs name the same place: as svn
// prints them (escaped) and as an operator writes them.
func SameURL(a, b string) bool {
	norm := func(s string) string {
		s = strings.TrimRight(s, "/")
		if u, err := url.PathUnescape(s); err == nil {
			s = u
		}
		return s
	}
	return norm(a) == norm(b)
}

// MkdirMany creates the folders at urls in one commit (with parents, like
// Mkdir). It fails as a whole: when one exists already, nothing is made.
func (c *Client) MkdirMany(ctx context.Context, urls []string, parents bool, message string) error {
	if len(urls) == 0 {
		return nil
	}
	msgFile, done, err := c.messageFile("mkdir", urls[0], message)
	if err != nil {
		return err
	}
	defer done()
	args := []string{"--file", msgFile, "--force-log", "--encoding", "UTF-8"}
	if parents {
		args = append(args, "--parents")
	}
	for _, chunk := range chunkPaths(urls) {
		if err := c.run(ctx, &call{op: "mkdir", args: args, paths: chunk, target: chunk[0], auth: true}); err != nil {
			return err
		}
	}
	return nil
}

// CheckoutMany checks each of urls out into parent/<the URL's last
// segment>, in one svn run, and returns the revision each was checked out
// at. force is Checkout's. The caller makes sure no two URLs end alike and
// that no destination is a working copy already.
func (c *Client) CheckoutMany(ctx context.Context, urls []string, parent string, force bool) ([]int64, error) {
	abs, err := filepath.Abs(parent)
	if err != nil {
		return nil, errorf("checkout", parent, nil, "%v", err)
	}
	args := []string{}
	if force {
		args = append(args, "--force")
	}
	var revs []int64
	for _, chunk := range chunkPaths(urls) {
		paths := make([]string, 0, len(chunk)+1)
		for _, u := range chunk {
			paths = append(paths, pegEscape(u))
		}
		var got []int64
		err := c.run(ctx, &call{
			op: "checkout", args: args, paths: append(paths, abs), noPeg: true, target: abs, auth: true,
			oneSleep: true,
			stdout:   func(r io.Reader) (err error) { got, err = checkedOut(r); return err },
		})
		// Whatever happened, what svn wrote is older than what comes next.
		sleepForTimestamps(abs)
		if err != nil {
			return nil, err
		}
		if len(got) != len(chunk) {
			return nil, errorf("checkout", abs, nil, "svn reported %d checkouts for %d URLs", len(got), len(chunk))
		}
		revs = append(revs, got...)
	}
	return revs, nil
}

// checkedOut reads the "Checked out revision N." lines of a checkout of
// several URLs, one per URL in order.
func checkedOut(r io.Reader) ([]int64, error) {
	var revs []int64
	sc := bufio.NewScanner(r)
	sc.Buffer(make([]byte, 64<<10), 4<<20)
	for sc.Scan() {
		if line := sc.Text(); strings.HasPrefix(line, "Checked out revision ") {
			if n, ok := trailingRevision(line); ok {
				revs = append(revs, n)
			}
		}
	}
	return revs, sc.Err()
}

// chunkIndexes splits the indexes of paths like chunkPaths splits them.
func chunkIndexes(paths []string) [][]int {
	var out [][]int
	i := 0
	for _, chunk := range chunkPaths(paths) {
		idx := make([]int, len(chunk))
		for j := range chunk {
			idx[j] = i
			i++
		}
		out = append(out, idx)
	}
	return out
}

// noSleepEnv is the variable that makes svn skip its wait after writing
// each working copy; svn's own tests set it.
const noSleepEnv = "SVN_I_LOVE_CORRUPTED_WORKING_COPIES_SO_DISABLE_SLEEP_FOR_TIMESTAMPS"

// sleepForTimestamps waits as svn does after writing a working copy
// (svn_io_sleep_for_timestamps): until a file written from now on gets a
// later timestamp than those svn recorded, so that svn never takes an edit
// made just after for the unchanged file. A checkout of a hundred working
// copies waits once, after the last, rather than once per working copy:
// every one of them was written before that wait began.
func sleepForTimestamps(path string) {
	now := time.Now()
	// 20 ms after the next second, on a file system with whole seconds.
	then := now.Truncate(time.Second).Add(time.Second + 20*time.Millisecond)
	if fi, err := os.Lstat(path); err == nil && fi.ModTime().Nanosecond()/1000 != 0 {
		// Sub-second timestamps: ext4's are at worst 10 ms coarse.
		then = now.Add(10 * time.Millisecond)
	}
	time.Sleep(max(time.Until(then), time.Millisecond))
}
