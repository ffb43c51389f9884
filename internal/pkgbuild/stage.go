package pkgbuild

import (
	"bytes"
	"compress/gzip"
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"sort"
	"strings"
	"time"
)

// StageOptions say what Stage puts together.
type StageOptions struct {
	// Repo is the source tree (README.md, packaging/, examples/).
	Repo string
	// HostBin is a depsync binary that runs here: it writes the man pages
	// and completions, which are the same for every architecture.
	HostBin string
	// Version is the package version (see Version); Epoch is
	// SOURCE_DATE_EPOCH, every date written.
	Version string
	Epoch   time.Time
	// Maintainer is "Name <email>", for the changelog.
	Maintainer string
	// Prefix is where the binary is installed (/usr): the units' paths.
	Prefix string
}

// Stage writes into dir every file Files names except the binary (which
// differs by architecture: link or copy it to dir/depsync), and returns the
// names of the man pages written.
func Stage(ctx context.Context, dir string, o StageOptions) ([]string, error) {
	for _, d := range []string{"systemd", "completions", "doc/examples", "monitoring", "man"} {
		if err := os.MkdirAll(filepath.Join(dir, d), 0o755); err != nil {
			return nil, fmt.Errorf("stage: %w", err)
		}
	}
	bin := filepath.Join(o.Prefix, "bin", "depsync")
	for _, u := range []string{"depsync.service", "depsync@.service"} {
		b, err := os.ReadFile(filepath.Join(o.Repo, "packaging/systemd", u))
		if err != nil {
			return nil, fmt.Errorf("stage: %w", err)
		}
		b = bytes.ReplaceAll(b, []byte("/usr/bin/depsync"), []byte(bin))
		if err := write(dir, "systemd/"+u, b); err != nil {
			return nil, err
		}
	}
	copies := map[string]string{
		"packaging/depsync.yaml":                     "depsync.yaml",
		"packaging/copyright":                        "doc/copyright",
		"packaging/lintian-overrides":                "lintian-overrides",
		"README.md":                                  "doc/README.md",
		"examples/manager.yaml":                      "doc/examples/manager.yaml",
		"examples/worker.yaml":                       "doc/examples/worker.yaml",
		"examples/monitoring/depsync-rules.yml":      "monitoring/depsync-rules.yml",
		"examples/monitoring/depsync-rules_test.yml": "monitoring/depsync-rules_test.yml",
		"examples/monitoring/depsync-dashboard.json": "monitoring/depsync-dashboard.json",
	}
	for src, dst := range copies {
		b, err := os.ReadFile(filepath.Join(o.Repo, src))
		if err != nil {
			return nil, fmt.Errorf("stage: %w", err)
		}
		if err := write(dir, dst, b); err != nil {
			return nil, err
		}
	}
	if err := write(dir, "doc/changelog.gz", gz([]byte(changelog(o.Version, o.Maintainer, o.Epoch)))); err != nil {
		return nil, err
	}
	if err := write(dir, "rpm-changelog.yml", []byte(rpmChangelog(o.Version, o.Maintainer, o.Epoch))); err != nil {
		return nil, err
	}
	env := append(os.Environ(), fmt.Sprintf("SOURCE_DATE_EPOCH=%d", o.Epoch.Unix()))
	for shell, dst := range map[string]string{"bash": "depsync.bash", "zsh": "_depsync", "fish": "depsync.fish"} {
		out, err := run(ctx, env, o.HostBin, "completion", shell)
		if err != nil {
			return nil, err
		}
		if err := write(dir, "completions/"+dst, out); err != nil {
			return nil, err
		}
	}
	raw := filepath.Join(dir, "man.raw")
	if err := os.MkdirAll(raw, 0o755); err != nil {
		return nil, fmt.Errorf("stage: %w", err)
	}
	defer os.RemoveAll(raw)
	if _, err := run(ctx, env, o.HostBin, "gen-man", raw); err != nil {
		return nil, err
	}
	ents, err := os.ReadDir(raw)
	if err != nil {
		return nil, fmt.Errorf("stage: %w", err)
	}
	var pages []string
	for _, e := range ents {
		b, err := os.ReadFile(filepath.Join(raw, e.Name()))
		if err != nil {
			return nil, fmt.Errorf("stage: %w", err)
		}
		if err := write(dir, "man/"+e.Name()+".gz", gz(b)); err != nil {
			return nil, err
		}
		pages = append(pages, e.Name()+".gz")
	}
	sort.Strings(pages)
	if len(pages) == 0 {
		return nil, fmt.Errorf("stage: %s gen-man wrote no page", o.HostBin)
	}
	return pages, nil
}

func write(dir, rel string, b []byte) error {
	if err := os.WriteFile(filepath.Join(dir, rel), b, 0o644); err != nil {
		return fmt.Errorf("stage: %w", err)
	}
	return nil
}

func run(ctx context.Context, env []string, bin string, args ...string) ([]byte, error) {
	ctx, cancel := context.WithTimeout(ctx, time.Minute)
	defer cancel()
	cmd := exec.CommandContext(ctx, bin, args...)
	cmd.Env = env
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	if err != nil {
		return nil, fmt.Errorf("stage: %s %s: %w: %s", bin, strings.Join(args, " "), err, strings.TrimSpace(stderr.String()))
	}
	return out, nil
}

// gz compresses b the same way every time (no name, no time, best
// compression, as Debian wants for man pages and changelogs).
func gz(b []byte) []byte {
	var buf bytes.Buffer
	w, _ := gzip.NewWriterLevel(&buf, gzip.BestCompression) // a valid level: no error
	w.Write(b)                                              // a bytes.Buffer does not fail
	w.Close()
	return buf.Bytes()
}

// changelog is the package's Debian-format changelog: one entry, the
// version being packaged, dated at the commit; the history is git's.
func changelog(version, maintainer string, at time.Time) string {
	return fmt.Sprintf("depsync (%s) unstable; urgency=medium\n\n"+
		"  * Built from the depsync source tree; see its git log for the changes.\n\n"+
		" -- %s  %s\n", version, maintainer, at.UTC().Format(time.RFC1123Z))
}

// rpmChangelog is the same entry for the .rpm, in nFPM's changelog format.
func rpmChangelog(version, maintainer string, at time.Time) string {
	return fmt.Sprintf("- semver: %q\n  date: %s\n  packager: %q\n  changes:\n"+
		"    - note: Built from the depsync source tree; see its git log for the changes.\n",
		version, at.UTC().Format(time.RFC3339), maintainer)
}
