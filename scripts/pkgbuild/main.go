// Command pkgbuild builds depsync's .deb and .rpm packages (make package)
// or installs the same files under a DESTDIR (make install), from binaries
// already built (bin/linux_<arch>/depsync). Every time written is
// SOURCE_DATE_EPOCH, so the same commit gives the same bytes.
package main

import (
	"context"
	"flag"
	"fmt"
	"os"
	"os/signal"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"time"

	"github.com/depsync/depsync/internal/pkgbuild"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	err := run(ctx, os.Args[1:])
	stop()
	if err != nil {
		fmt.Fprintln(os.Stderr, "pkgbuild:", err)
		os.Exit(1)
	}
}

func run(ctx context.Context, args []string) error {
	fl := flag.NewFlagSet("pkgbuild", flag.ContinueOnError)
	describe := fl.String("version", "", "git describe --tags --always --dirty")
	arches := fl.String("arch", "amd64,arm64", "architectures to package (GOARCH), comma-separated")
	bins := fl.String("bins", "bin", "folder of the binaries: <bins>/linux_<arch>/depsync")
	hostBin := fl.String("host-bin", "", "a depsync binary that runs here, for man pages and completions")
	out := fl.String("out", "dist", "where the packages go")
	maintainer := fl.String("maintainer", "depsync maintainers <depsync@users.noreply.github.com>", "the packages' Maintainer")
	install := fl.Bool("install", false, "install the files under -destdir/-prefix instead of packaging")
	prefix := fl.String("prefix", "/usr/local", "with -install: the prefix (bin, lib/systemd, share)")
	destdir := fl.String("destdir", "", "with -install: the root the files go under")
	if err := fl.Parse(args); err != nil {
		return err
	}
	epoch, err := sourceDateEpoch(os.Getenv("SOURCE_DATE_EPOCH"))
	if err != nil {
		return err
	}
	version, err := pkgbuild.Version(*describe)
	if err != nil {
		return err
	}
	repo, err := os.Getwd()
	if err != nil {
		return err
	}
	stage, err := os.MkdirTemp("", "depsync-stage-")
	if err != nil {
		return err
	}
	defer os.RemoveAll(stage)
	o := pkgbuild.StageOptions{Repo: repo, HostBin: *hostBin, Version: version, Epoch: epoch,
		Maintainer: *maintainer, Prefix: "/usr"}
	if *install {
		o.Prefix = *prefix
	}
	pages, err := pkgbuild.Stage(ctx, stage, o)
	if err != nil {
		return err
	}
	if *install {
		if err := link(*hostBin, filepath.Join(stage, "depsync")); err != nil {
			return err
		}
		kept, err := pkgbuild.Install(stage, *destdir, pkgbuild.Files(pkgbuild.InstallLayout(*prefix), pages))
		for _, k := range kept {
			fmt.Fprintf(os.Stderr, "pkgbuild: %s exists: left as it is\n", k)
		}
		return err
	}
	for _, arch := range strings.Split(*arches, ",") {
		if err := link(filepath.Join(*bins, "linux_"+arch, "depsync"), filepath.Join(stage, "depsync")); err != nil {
			return err
		}
		paths, err := pkgbuild.Build(stage, repo, *out, pkgbuild.Package{Version: version, Arch: arch,
			Maintainer: *maintainer, Epoch: epoch}, pages)
		if err != nil {
			return err
		}
		for _, p := range paths {
			fmt.Println(p)
		}
	}
	return nil
}

// link puts a copy of the binary src at dst (replacing the previous
// architecture's): packagers would package a symbolic link as a link.
func link(src, dst string) error {
	b, err := os.ReadFile(src)
	if err != nil {
		return fmt.Errorf("binary: %w (build it first: make package builds bin/linux_<arch>/depsync)", err)
	}
	if err := os.WriteFile(dst, b, 0o755); err != nil {
		return fmt.Errorf("binary: %w", err)
	}
	return nil
}

func sourceDateEpoch(s string) (time.Time, error) {
	if s == "" {
		return time.Time{}, fmt.Errorf("SOURCE_DATE_EPOCH is not set (the Makefile sets it to the commit's time: git log -1 --format=%%ct)")
	}
	sec, err := strconv.ParseInt(s, 10, 64)
	if err != nil {
		return time.Time{}, fmt.Errorf("SOURCE_DATE_EPOCH %q: must be seconds since 1970: %w", s, err)
	}
	return time.Unix(sec, 0).UTC(), nil
}
