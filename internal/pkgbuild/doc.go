// Package pkgbuild lays out what an installed depsync is (the binary, the
// systemd units, the config file, man pages, completions, docs and the
// monitoring kit) and turns that one list into .deb and .rpm packages with
// nFPM, or copies it under a DESTDIR for make install. Packages are
// reproducible: every time in them is SOURCE_DATE_EPOCH.
package pkgbuild
