package svn

// Operations on the repository: info, log, mkdir, import.

import (
	"bufio"
	"context"
	"errors"
	"io"
	"os"
	"path/filepath"
	"strconv"
	"strings"
)

// Info runs svn info on a working-copy path or a URL.
func (c *Client) Info(ctx context.Context, pathOrURL string) (*Info, error) {
	target, dir := pathOrURL, ""
	if !IsURL(pathOrURL) {
		abs, err := filepath.Abs(pathOrURL)
		if err != nil {
			return nil, errorf("info", pathOrURL, nil, "%v", err)
		}
		target = abs
	}
	var infos []Info
	err := c.run(ctx, &call{
		op: "info", args: []string{"--xml", "--depth", "empty"}, paths: []string{target},
		dir: dir, target: target, timeout: c.ProbeTimeout, auth: true,
		stdout: func(r io.Reader) (err error) { infos, err = parseInfo(r); return err },
	})
	if err != nil {
		return nil, err
	}
	if len(infos) == 0 {
		return nil, errorf("info", target, ErrNotFound, "svn printed no entry")
	}
	return &infos[0], nil
}

// RemoteRevision returns the HEAD revision of the repository at url. It is
// a cheap probe (one svn info, bounded by ProbeTimeout).
func (c *Client) RemoteRevision(ctx context.Context, url string) (int64, error) {
	var infos []Info
	err := c.run(ctx, &call{
		op: "info", args: []string{"--xml", "--depth", "empty"}, paths: []string{url},
		target: url, timeout: c.ProbeTimeout, auth: true,
		stdout: func(r io.Reader) (err error) { infos, err = parseInfo(r); return err },
	})
	if err != nil {
		return 0, err
	}
	if len(infos) == 0 {
		return 0, errorf("info", url, ErrNotFound, "svn printed no entry")
	}
	return infos[0].Revision, nil
}

// Mkdir creates the directory url in the repository with one commit. With
// parents, missing parents are created too and an existing directory is not
// an error (like mkdir -p).
func (c *Client) Mkdir(ctx context.Context, url string, parents bool, message string) error {
	err := c.MkdirMany(ctx, []string{url}, parents, message)
	if parents && errors.Is(err, ErrExists) {
		if info, ierr := c.Info(ctx, url); ierr == nil && info.Kind == "dir" {
			return nil
		}
	}
	return err
}

// Log returns the log of url (or a working-copy path) from revision from to
// revision to, with changed paths. A negative revision means HEAD; from >
// to lists newest first.
func (c *Client) Log(ctx context.Context, url string, from, to int64) ([]LogEntry, error) {
	target := url
	if !IsURL(url) {
		abs, err := filepath.Abs(url)
		if err != nil {
			return nil, errorf("log", url, nil, "%v", err)
		}
		target = abs
	}
	rev := func(n int64) string {
		if n < 0 {
			return "HEAD"
		}
		return strconv.FormatInt(n, 10)
	}
	var entries []LogEntry
	err := c.run(ctx, &call{
		op: "log", args: []string{"--xml", "--verbose", "--revision", rev(from) + ":" + rev(to)},
		paths: []string{target}, target: target, auth: true,
		stdout: func(r io.Reader) (err error) { entries, err = parseLog(r); return err },
	})
	return entries, err
}

// Import commits the contents of the local directory dir to url (created
// with its parents) without a working copy, ignoring svn's ignore rules and
// auto-props. It returns the new revision (0 if nothing was imported).
func (c *Client) Import(ctx context.Context, dir, url, message string) (int64, error) {
	abs, err := filepath.Abs(dir)
	if err != nil {
		return 0, errorf("import", dir, nil, "%v", err)
	}
	msgFile, done, err := c.messageFile("import", abs, message)
	if err != nil {
		return 0, err
	}
	defer done()
	var rev int64
	err = c.run(ctx, &call{
		op: "import", args: []string{"--file", msgFile, "--force-log", "--encoding", "UTF-8", "--no-ignore", "--no-auto-props"},
		paths: []string{abs, url}, noPeg: true, target: url, auth: true, // import parses no pegs
		stdout: func(r io.Reader) (err error) { rev, err = parseCommitted(r); return err },
	})
	return rev, err
}

// parseCommitted finds "Committed revision N." in svn's output.
func parseCommitted(r io.Reader) (int64, error) {
	var rev int64
	sc := bufio.NewScanner(r)
	sc.Buffer(make([]byte, 64<<10), 4<<20)
	for sc.Scan() {
		if line := sc.Text(); strings.HasPrefix(line, "Committed revision ") {
			if n, ok := trailingRevision(line); ok {
				rev = n
			}
		}
	}
	return rev, sc.Err()
}

// messageFile writes a commit message to a private temp file for --file:
// any text works (leading "-", Unicode, a lone "."), line endings become LF
// and invalid UTF-8 and control characters are replaced, as svn:log requires.
func (c *Client) messageFile(op, target, message string) (string, func(), error) {
	f, err := os.CreateTemp(filepath.Join(c.ConfigDir, "tmp"), "msg-*")
	if err != nil {
		return "", nil, errorf(op, target, nil, "writing the log message: %v", err)
	}
	_, werr := f.WriteString(cleanMessage(message))
	if err := errors.Join(werr, f.Close()); err != nil {
		_ = os.Remove(f.Name())
		return "", nil, errorf(op, target, nil, "writing the log message: %v", err)
	}
	return f.Name(), func() { _ = os.Remove(f.Name()) }, nil
}

func cleanMessage(m string) string {
	m = strings.ReplaceAll(m, "\r\n", "\n")
	m = strings.ReplaceAll(m, "\r", "\n")
	m = strings.ToValidUTF8(m, "\uFFFD")
	return strings.Map(func(r rune) rune {
		if r < 0x20 && r != '\n' && r != '\t' || r == 0x7f {
			return -1
		}
		return r
	}, m)
}
