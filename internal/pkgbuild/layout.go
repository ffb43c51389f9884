package pkgbuild

import (
	"path"
	"slices"
)

// Kind says how a file is installed.
type Kind int

const (
	// Plain is a file the package owns and replaces on upgrade.
	Plain Kind = iota
	// Config is a config file the package manager never overwrites (a
	// dpkg conffile, an rpm %config(noreplace)); make install skips it
	// when it exists.
	Config
	// Dir is an empty directory the package owns.
	Dir
	// Doc is documentation: a plain file, marked %doc in the .rpm.
	Doc
	// License is the licence text: a plain file, %license in the .rpm.
	License
	// DebOnly is a file only the .deb has (lintian's overrides).
	DebOnly
)

// File is one installed file: Src is relative to the staging directory
// (see Stage), Dst is the absolute path on the target.
type File struct {
	Src  string
	Dst  string
	Mode uint32
	Kind Kind
}

// Layout is where the files go.
type Layout struct {
	// Prefix is /usr for packages, /usr/local (or any) for make install.
	Prefix string
	// Sysconf is where depsync's config folder goes: /etc.
	Sysconf string
	// ZshDir is where the zsh completion goes: Debian's zsh reads
	// vendor-completions, Fedora's and the /usr/local one site-functions.
	ZshDir string
	// LicenseDir is where the licence goes: the doc folder, or
	// /usr/share/licenses/depsync on RPM systems.
	LicenseDir string
}

// DebLayout, RPMLayout and InstallLayout are the layouts of the .deb, the
// .rpm and make install under prefix.
func DebLayout() Layout {
	return Layout{Prefix: "/usr", Sysconf: "/etc", ZshDir: "/usr/share/zsh/vendor-completions",
		LicenseDir: "/usr/share/doc/depsync"}
}

// RPMLayout is the layout of the .rpm.
func RPMLayout() Layout {
	return Layout{Prefix: "/usr", Sysconf: "/etc", ZshDir: "/usr/share/zsh/site-functions",
		LicenseDir: "/usr/share/licenses/depsync"}
}

// InstallLayout is the layout of make install PREFIX=prefix.
func InstallLayout(prefix string) Layout {
	return Layout{Prefix: prefix, Sysconf: "/etc", ZshDir: path.Join(prefix, "share/zsh/site-functions"),
		LicenseDir: path.Join(prefix, "share/doc/depsync")}
}

// Files is everything an installed depsync is, for the layout l; manpages
// are the names of the staged pages (depsync.1.gz, depsync-capp-push.1.gz, ...).
func Files(l Layout, manpages []string) []File {
	p := func(rel string) string { return path.Join(l.Prefix, rel) }
	doc := p("share/doc/depsync")
	share := p("share/depsync")
	fs := []File{
		{Src: "depsync", Dst: p("bin/depsync"), Mode: 0o755},
		{Src: "systemd/depsync.service", Dst: p("lib/systemd/system/depsync.service"), Mode: 0o644},
		{Src: "systemd/depsync@.service", Dst: p("lib/systemd/system/depsync@.service"), Mode: 0o644},
		{Src: "depsync.yaml", Dst: path.Join(l.Sysconf, "depsync/depsync.yaml"), Mode: 0o640, Kind: Config},
		{Src: "completions/depsync.bash", Dst: p("share/bash-completion/completions/depsync"), Mode: 0o644},
		{Src: "completions/_depsync", Dst: path.Join(l.ZshDir, "_depsync"), Mode: 0o644},
		{Src: "completions/depsync.fish", Dst: p("share/fish/vendor_completions.d/depsync.fish"), Mode: 0o644},
		{Src: "doc/README.md", Dst: path.Join(doc, "README.md"), Mode: 0o644, Kind: Doc},
		{Src: "doc/copyright", Dst: path.Join(l.LicenseDir, "copyright"), Mode: 0o644, Kind: License},
		{Src: "doc/changelog.gz", Dst: path.Join(doc, "changelog.gz"), Mode: 0o644, Kind: Doc},
		{Src: "doc/examples/manager.yaml", Dst: path.Join(doc, "examples/manager.yaml"), Mode: 0o644, Kind: Doc},
		{Src: "doc/examples/worker.yaml", Dst: path.Join(doc, "examples/worker.yaml"), Mode: 0o644, Kind: Doc},
		{Src: "monitoring/depsync-rules.yml", Dst: path.Join(share, "prometheus/depsync-rules.yml"), Mode: 0o644},
		{Src: "monitoring/depsync-rules_test.yml", Dst: path.Join(share, "prometheus/depsync-rules_test.yml"), Mode: 0o644},
		{Src: "monitoring/depsync-dashboard.json", Dst: path.Join(share, "grafana/depsync-dashboard.json"), Mode: 0o644},
		{Src: "lintian-overrides", Dst: p("share/lintian/overrides/depsync"), Mode: 0o644, Kind: DebOnly},
		{Dst: path.Join(l.Sysconf, "depsync"), Mode: 0o750, Kind: Dir},
	}
	for _, m := range slices.Sorted(slices.Values(manpages)) {
		fs = append(fs, File{Src: path.Join("man", m), Dst: p(path.Join("share/man/man1", m)), Mode: 0o644, Kind: Doc})
	}
	return fs
}
