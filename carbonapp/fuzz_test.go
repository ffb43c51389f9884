package carbonapp

import (
	"crypto/sha256"
	"encoding/hex"
	"math/rand/v2"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// FuzzParse: no input panics, every rejection is a typed *Error, and what is
// accepted holds together. Run it with
//
//	go test -run XXX -fuzz FuzzParse -fuzztime 5m ./carbonapp/
func FuzzParse(f *testing.F) {
	f.Add(good(f))
	f.Add(buildZip(f, append(goodEntries(),
		dir("metadata/"),
		file("metadata/HelloAPI_swagger_1.0.0/artifact.xml", artifactXMLFor("HelloAPI_swagger", "1.0.0", "synapse/metadata", "EnterpriseServiceBus", "s.yaml")),
		file("metadata/HelloAPI_swagger_1.0.0/s.yaml", "openapi: 3.0.1\n"),
		file("metadata.xml", appXML(depAPI, `<dependency artifact="HelloAPI_swagger" version="1.0.0" serverRole="EnterpriseServiceBus"/>`)),
		file("descriptor.xml", "<project/>"),
		entry{name: "HelloAPI_1.0.0/lib.zip", body: string(good(f)), store: true})))
	for _, tc := range errCases() {
		f.Add(tc.data(f))
	}
	if root := os.Getenv("DEPSYNC_TESTDATA"); root != "" {
		files, err := filepath.Glob(filepath.Join(root, "capps", "*", "*.car"))
		require.NoError(f, err)
		for _, p := range files {
			if data, err := os.ReadFile(p); err == nil && len(data) < 256<<10 {
				f.Add(data)
			}
		}
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		app, err := parseBytes(data, "fuzz.car", Limits{})
		checkParsed(t, data, app, err)
	})
}

// FuzzDescriptors fuzzes the XML inside a well-formed zip, where FuzzParse
// rarely gets (its mutations mostly break the zip):
//
//	go test -run XXX -fuzz FuzzDescriptors -fuzztime 2m ./carbonapp/
func FuzzDescriptors(f *testing.F) {
	f.Add(goodArtifactsXML, artifactXMLFor("HelloSeq", "1.0.0", "synapse/sequence", "EnterpriseServiceBus", "HelloSeq-1.0.0.xml"), "")
	f.Add(appXML(depAPI), "<artifacts><artifact name=\"HelloSeq\" version=\"1.0.0\"><file>../x</file></artifact></artifacts>", appXML(depSeq))
	f.Add("<artifact name=\"A\" type=\"carbon/application\"><dependency artifact=\"HelloSeq\" version=\"1.0.0\" serverRole=\"R\"/></artifact>",
		"<?xml version=\"1.0\" encoding=\"ISO-8859-1\"?><artifact name=\"HelloSeq\" version=\"1.0.0\" serverRole=\"R\"/>", "<x>")
	f.Fuzz(func(t *testing.T, artifacts, artifact, metadata string) {
		entries := with(with(goodEntries(), "artifacts.xml", artifacts), "HelloSeq_1.0.0/artifact.xml", artifact)
		if metadata != "" {
			entries = with(entries, "metadata.xml", metadata)
		}
		data := buildZip(t, entries)
		app, err := parseBytes(data, "fuzz.car", Limits{})
		checkParsed(t, data, app, err)
	})
}

// checkParsed: every rejection is a typed *Error, and what is accepted holds
// together.
func checkParsed(t *testing.T, data []byte, app *App, err error) {
	t.Helper()
	if err != nil {
		if KindOf(err) == "" {
			t.Fatalf("untyped error: %v", err)
		}
		if app != nil {
			t.Fatalf("an app with an error")
		}
		return
	}
	sum := sha256.Sum256(data)
	if app.SHA256 != hex.EncodeToString(sum[:]) || app.Size != int64(len(data)) {
		t.Fatalf("sha256/size do not match the input")
	}
	if app.Name == "" || app.ID == "" || !strings.HasPrefix(app.ID, app.Name) || strings.ContainsAny(app.ID, "/\\\x00") {
		t.Fatalf("bad identity %q/%q", app.Name, app.ID)
	}
	for _, d := range app.Dependencies {
		if strings.TrimSpace(d.ServerRole) == "" {
			t.Fatalf("dependency %q without serverRole accepted", d.Artifact)
		}
		found := false
		for _, a := range app.Artifacts {
			found = found || (a.Name == d.Artifact && a.Version == d.Version)
		}
		if !found {
			t.Fatalf("unresolved dependency %q accepted", d.Artifact)
		}
	}
	for _, a := range app.Artifacts {
		for _, f := range a.Files {
			if checkName(f) != nil {
				t.Fatalf("unsafe <file> %q accepted", f)
			}
		}
	}
}

// allocated returns the bytes fn allocates.
func allocated(fn func()) uint64 {
	var before, after runtime.MemStats
	runtime.GC()
	runtime.ReadMemStats(&before)
	fn()
	runtime.ReadMemStats(&after)
	return after.TotalAlloc - before.TotalAlloc
}

// Parsing allocates about the same whatever the file holds or claims: zip
// bombs are refused before inflating, big entries are streamed.
func TestBoundedMemory(t *testing.T) {
	big := make([]byte, 16<<20)
	_, err := rand.NewChaCha8([32]byte{1}).Read(big)
	require.NoError(t, err)
	tests := []struct {
		name    string
		entries []entry
		ok      bool
	}{
		{"forged 1 TiB entry", append(goodEntries(), entry{name: "HelloAPI_1.0.0/bomb.bin", body: "\x03\x00", raw: true, uncompressed: 1 << 40}), false},
		{"4 MiB of zeros", append(goodEntries(), file("HelloAPI_1.0.0/zeros.bin", strings.Repeat("\x00", 4<<20))), false},
		{"16 MiB stored entry", append(goodEntries(), entry{name: "HelloAPI_1.0.0/big.bin", body: string(big), store: true}), true},
		{"16 MiB deflated entry", append(goodEntries(), entry{name: "HelloAPI_1.0.0/big.bin", body: string(big)}), true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			data := buildZip(t, tt.entries)
			var err error
			n := allocated(func() { _, err = parseBytes(data, "HelloApp_1.0.0.car", Limits{}) })
			if tt.ok {
				require.NoError(t, err)
			} else {
				require.ErrorIs(t, err, ErrTooLarge)
			}
			assert.Less(t, n, uint64(4<<20), "allocated %d bytes for a %d-byte file", n, len(data))
		})
	}
}
