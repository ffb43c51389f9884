// Package testcapp builds small, valid Carbon Applications (.car files) for
// tests and benchmarks: a carbon/application artifacts.xml with one
// synapse/api dependency, the way WSO2's Integration Studio lays them out.
package testcapp

import (
	"archive/zip"
	"bytes"
	"crypto/rand"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"testing"
)

type options struct {
	pad       int64
	artifacts []string
	extra     map[string][]byte
	id        string
}

// Option changes what Build puts in the archive.
type Option func(*options)

// Pad adds an entry of n incompressible random bytes (stored, not
// deflated), so the archive is at least n bytes: for size limits and
// benchmarks (Pad(200<<20) makes a 200 MB C-App).
func Pad(n int64) Option { return func(o *options) { o.pad = n } }

// Artifacts names the synapse/api artifacts the app depends on (default
// "api_a"). Each gets a folder <name>_<version>/ with artifact.xml and a
// small XML file.
func Artifacts(names ...string) Option {
	return func(o *options) { o.artifacts = append([]string(nil), names...) }
}

// Extra adds arbitrary entries (path inside the archive -> content).
func Extra(files map[string][]byte) Option {
	return func(o *options) {
		if o.extra == nil {
			o.extra = map[string][]byte{}
		}
		for k, v := range files {
			o.extra[k] = v
		}
	}
}

// Build returns the bytes of a valid C-App called name at version.
func Build(t testing.TB, name, version string, opts ...Option) []byte {
	t.Helper()
	var buf bytes.Buffer
	if err := WriteTo(&buf, name, version, opts...); err != nil {
		t.Fatalf("testcapp: %v", err)
	}
	return buf.Bytes()
}

// Write builds a C-App and writes it to dir/file, returning the path.
func Write(t testing.TB, dir, file, name, version string, opts ...Option) string {
	t.Helper()
	p := filepath.Join(dir, file)
	f, err := os.Create(p)
	if err != nil {
		t.Fatalf("testcapp: %v", err)
	}
	if err := WriteTo(f, name, version, opts...); err != nil {
		f.Close()
		t.Fatalf("testcapp: %v", err)
	}
	if err := f.Close(); err != nil {
		t.Fatalf("testcapp: %v", err)
	}
	return p
}

// WriteTo streams a C-App to w; large padding is never held in memory.
func WriteTo(w io.Writer, name, version string, opts ...Option) error {
	o := options{artifacts: []string{"api_a"}}
	for _, opt := range opts {
		opt(&o)
	}
	zw := zip.NewWriter(w)
	add := func(path string, data []byte) error {
		fw, err := zw.Create(path)
		if err != nil {
			return err
		}
		_, err = fw.Write(data)
		return err
	}
	var deps bytes.Buffer
	for _, a := range o.artifacts {
		fmt.Fprintf(&deps, `    <dependency artifact="%s" version="1.0.0" include="true" serverRole="EnterpriseServiceBus"/>`+"\n", a)
	}
	artifacts := fmt.Sprintf(`<?xml version="1.0" encoding="UTF-8"?>
<artifacts>
  <artifact name="%s" version="%s" type="carbon/application">
%s  </artifact>
</artifacts>
`, name, version, deps.String())
	if err := add("artifacts.xml", []byte(artifacts)); err != nil {
		return err
	}
	for _, a := range o.artifacts {
		dir := a + "_1.0.0/"
		art := fmt.Sprintf(`<?xml version="1.0" encoding="UTF-8"?>
<artifact name="%s" version="1.0.0" type="synapse/api" serverRole="EnterpriseServiceBus">
  <file>%s.xml</file>
</artifact>
`, a, a)
		if err := add(dir+"artifact.xml", []byte(art)); err != nil {
			return err
		}
		api := fmt.Sprintf(`<api xmlns="http://ws.apache.org/ns/synapse" name="%s" context="/%s"><resource methods="GET"><inSequence><respond/></inSequence></resource></api>
`, a, a)
		if err := add(dir+a+".xml", []byte(api)); err != nil {
			return err
		}
	}
	for path, data := range o.extra {
		if err := add(path, data); err != nil {
			return err
		}
	}
	if o.pad > 0 {
		fw, err := zw.CreateHeader(&zip.FileHeader{Name: "padding.bin", Method: zip.Store})
		if err != nil {
			return err
		}
		if _, err := io.CopyN(fw, rand.Reader, o.pad); err != nil {
			return err
		}
	}
	return zw.Close()
}
