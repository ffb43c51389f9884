package pkgbuild

import (
	"fmt"
	"os"
	"path/filepath"
	"time"

	"github.com/goreleaser/nfpm/v2"
	"github.com/goreleaser/nfpm/v2/deb"
	"github.com/goreleaser/nfpm/v2/files"
	"github.com/goreleaser/nfpm/v2/rpm"
)

// Package is what a package says about itself.
type Package struct {
	Version    string // see Version
	Arch       string // GOARCH: amd64 or arm64
	Maintainer string
	Epoch      time.Time // SOURCE_DATE_EPOCH: every time in the package
}

// description is the packages' description: a summary line, then the body.
const description = `Keep WSO2 Carbon deployment directories in step
depsync keeps the deployment directories of WSO2 Carbon nodes (EI Analytics
and other Carbon 4.x products) in step, outside the JVM: a manager commits
its repository/deployment/server to SVN and tells its workers at once; when
there is no SVN server it pushes C-Apps straight to its peers over an
authenticated HTTPS API. Mass deletions wait for a person's approval.`

// DebName and RPMName are the packages' file names:
// depsync_<version>_<arch>.deb and depsync-<version>-1.<rpm arch>.rpm.
func DebName(p Package) string { return fmt.Sprintf("depsync_%s_%s.deb", p.Version, debArch(p.Arch)) }

// RPMName is the file name of the .rpm of p.
func RPMName(p Package) string {
	return fmt.Sprintf("depsync-%s-1.%s.rpm", p.Version, rpmArch(p.Arch))
}

// debArch is Debian's name of a GOARCH: the same for amd64 and arm64.
func debArch(goarch string) string { return goarch }

// rpmArch is RPM's name of a GOARCH.
func rpmArch(goarch string) string {
	switch goarch {
	case "amd64":
		return "x86_64"
	case "arm64":
		return "aarch64"
	}
	return goarch
}

// Build writes the .deb and the .rpm of p into out from the staging
// directory stage (see Stage; stage/depsync is p.Arch's binary), and
// returns their paths.
func Build(stage, repo, out string, p Package, manpages []string) ([]string, error) {
	if p.Epoch.IsZero() {
		return nil, fmt.Errorf("package: no SOURCE_DATE_EPOCH: the packages would carry today's date")
	}
	if err := os.MkdirAll(out, 0o755); err != nil {
		return nil, fmt.Errorf("package: %w", err)
	}
	var paths []string
	for _, f := range []struct {
		name     string
		layout   Layout
		packager nfpm.Packager
		format   string
	}{
		{DebName(p), DebLayout(), deb.Default, "deb"},
		{RPMName(p), RPMLayout(), rpm.DefaultRPM, "rpm"},
	} {
		info := p.info(stage, repo, f.format, f.layout, manpages)
		if err := nfpm.PrepareForPackager(info, f.format); err != nil {
			return nil, fmt.Errorf("package %s: %w", f.name, err)
		}
		path := filepath.Join(out, f.name)
		if err := writePackage(path, f.packager, info); err != nil {
			return nil, err
		}
		paths = append(paths, path)
	}
	return paths, nil
}

func writePackage(path string, pk nfpm.Packager, info *nfpm.Info) error {
	tmp := path + ".tmp"
	w, err := os.Create(tmp)
	if err != nil {
		return fmt.Errorf("package: %w", err)
	}
	defer os.Remove(tmp)
	if err := pk.Package(info, w); err != nil {
		w.Close()
		return fmt.Errorf("package %s: %w", filepath.Base(path), err)
	}
	if err := w.Close(); err != nil {
		return fmt.Errorf("package %s: %w", filepath.Base(path), err)
	}
	if err := os.Rename(tmp, path); err != nil {
		return fmt.Errorf("package: %w", err)
	}
	return nil
}

// info is the package's nFPM description in format (deb or rpm).
func (p Package) info(stage, repo, format string, l Layout, manpages []string) *nfpm.Info {
	var contents files.Contents
	for _, f := range Files(l, manpages) {
		c := &files.Content{Destination: f.Dst, FileInfo: &files.ContentFileInfo{Mode: os.FileMode(f.Mode), MTime: p.Epoch}}
		if f.Kind != Dir {
			c.Source = filepath.Join(stage, f.Src)
		}
		switch {
		case f.Kind == Dir:
			c.Type = files.TypeDir
		case f.Kind == Config:
			c.Type = files.TypeConfigNoReplace
		case f.Kind == Doc && format == "rpm":
			c.Type = files.TypeRPMDoc
		case f.Kind == License && format == "rpm":
			c.Type = files.TypeRPMLicense
		case f.Kind == DebOnly:
			c.Packager = "deb"
		}
		contents = append(contents, c)
	}
	scripts := filepath.Join(repo, "packaging/scripts")
	info := &nfpm.Info{
		Name:          "depsync",
		Arch:          p.Arch,
		Platform:      "linux",
		Version:       p.Version,
		VersionSchema: "none",
		Section:       "admin",
		Priority:      "optional",
		Maintainer:    p.Maintainer,
		Description:   description,
		Vendor:        "depsync",
		Homepage:      "https://github.com/depsync/depsync",
		License:       "none chosen yet (see the copyright file)",
		MTime:         p.Epoch,
		Overridables: nfpm.Overridables{
			Contents:   contents,
			Umask:      0o022,
			Recommends: []string{"subversion"},
			Scripts: nfpm.Scripts{
				PostInstall: filepath.Join(scripts, "postinstall.sh"),
				PreRemove:   filepath.Join(scripts, "preremove.sh"),
				PostRemove:  filepath.Join(scripts, "postremove.sh"),
			},
			Deb: nfpm.Deb{Compression: "xz", Predepends: []string{"passwd"}},
			RPM: nfpm.RPM{
				Summary:     "Keep WSO2 Carbon deployment directories in step",
				Group:       "System Environment/Daemons",
				BuildHost:   "depsync",
				Compression: "xz",
				Packager:    p.Maintainer,
			},
		},
	}
	if format == "rpm" {
		// rpm wants a release; a Debian revision would make the .deb a
		// non-native package with a changelog of its own.
		info.Release = "1"
		info.Depends = []string{"shadow-utils"} // useradd, in postinstall
		info.Changelog = filepath.Join(stage, "rpm-changelog.yml")
	}
	return info
}
