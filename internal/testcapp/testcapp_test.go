package testcapp

import (
	"archive/zip"
	"bytes"
	"io"
	"os"
	"strings"
	"testing"
)

func TestBuild(t *testing.T) {
	b := Build(t, "App", "1.0.0")
	zr, err := zip.NewReader(bytes.NewReader(b), int64(len(b)))
	if err != nil {
		t.Fatal(err)
	}
	names := map[string]bool{}
	for _, f := range zr.File {
		names[f.Name] = true
	}
	for _, want := range []string{"artifacts.xml", "api_a_1.0.0/artifact.xml", "api_a_1.0.0/api_a.xml"} {
		if !names[want] {
			t.Errorf("missing %s in %v", want, names)
		}
	}
	f, err := zr.Open("artifacts.xml")
	if err != nil {
		t.Fatal(err)
	}
	data, err := io.ReadAll(f)
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(string(data), `name="App" version="1.0.0" type="carbon/application"`) {
		t.Errorf("artifacts.xml: %s", data)
	}
}

func TestPadAndWrite(t *testing.T) {
	p := Write(t, t.TempDir(), "A_1.0.0.car", "A", "1.0.0", Pad(1<<20))
	fi, err := os.Stat(p)
	if err != nil {
		t.Fatal(err)
	}
	if fi.Size() < 1<<20 {
		t.Fatalf("size %d", fi.Size())
	}
	// Two builds differ only by padding randomness.
	if bytes.Equal(Build(t, "A", "1", Pad(10)), Build(t, "A", "1", Pad(10))) {
		t.Fatal("padding is not random")
	}
}
