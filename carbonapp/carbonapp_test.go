package carbonapp

import (
	"archive/zip"
	"bytes"
	"compress/gzip"
	"crypto/sha256"
	"encoding/binary"
	"encoding/hex"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func parseBytes(data []byte, name string, lim Limits) (*App, error) {
	return (&Parser{Limits: lim}).Parse(bytes.NewReader(data), int64(len(data)), name)
}

func TestParseValid(t *testing.T) {
	data := buildZip(t, goodEntries())
	app, err := Parse(bytes.NewReader(data), int64(len(data)), "HelloApp_1.0.0.car")
	require.NoError(t, err)

	sum := sha256.Sum256(data)
	assert.Equal(t, "HelloApp_1.0.0.car", app.File)
	assert.Equal(t, "HelloApp", app.Name)
	assert.Equal(t, "1.0.0", app.Version)
	assert.Equal(t, "HelloApp_1.0.0", app.ID)
	assert.Equal(t, hex.EncodeToString(sum[:]), app.SHA256)
	assert.Equal(t, int64(len(data)), app.Size)
	assert.Equal(t, []Dependency{
		{Artifact: "HelloAPI", Version: "1.0.0", ServerRole: "EnterpriseServiceBus", Include: true},
		{Artifact: "HelloSeq", Version: "1.0.0", ServerRole: "EnterpriseServiceBus", Include: true}, // no include attribute
	}, app.Dependencies)
	assert.Equal(t, []Artifact{
		{Name: "HelloAPI", Version: "1.0.0", Type: "synapse/api", ServerRole: "EnterpriseServiceBus", Files: []string{"HelloAPI-1.0.0.xml"}},
		{Name: "HelloSeq", Version: "1.0.0", Type: "synapse/sequence", ServerRole: "EnterpriseServiceBus", Files: []string{"HelloSeq-1.0.0.xml"}},
	}, app.Artifacts)
	assert.Empty(t, app.Warnings)
	assert.Equal(t, []string{"EnterpriseServiceBus"}, app.Roles())
}

func TestParseFile(t *testing.T) {
	data := buildZip(t, goodEntries())
	p := filepath.Join(t.TempDir(), "HelloApp-1.0.0.car")
	require.NoError(t, os.WriteFile(p, data, 0o600))
	app, err := ParseFile(p)
	require.NoError(t, err)
	assert.Equal(t, p, app.File)
	assert.Equal(t, "HelloApp_1.0.0", app.ID)
	assert.Empty(t, app.Warnings, "Name-Version.car is a usual file name")

	_, err = ParseFile(filepath.Join(t.TempDir(), "missing.car"))
	assert.ErrorIs(t, err, os.ErrNotExist)
	assert.Equal(t, Kind(""), KindOf(err))

	_, err = ParseFile(t.TempDir())
	assert.ErrorContains(t, err, "not a regular file")

	empty := filepath.Join(t.TempDir(), "Empty_1.0.0.car")
	require.NoError(t, os.WriteFile(empty, nil, 0o600))
	_, err = ParseFile(empty)
	assert.True(t, IsIncomplete(err), "%v", err)
}

// A file that grows while it is read is incomplete, even if what was read
// looked valid.
func TestParseFileChanging(t *testing.T) {
	p := filepath.Join(t.TempDir(), "HelloApp_1.0.0.car")
	require.NoError(t, os.WriteFile(p, good(t), 0o600))
	testHookParsed = func() {
		f, err := os.OpenFile(p, os.O_APPEND|os.O_WRONLY, 0)
		require.NoError(t, err)
		_, err = f.Write([]byte("more"))
		require.NoError(t, err)
		require.NoError(t, f.Close())
	}
	defer func() { testHookParsed = nil }()
	_, err := ParseFile(p)
	assert.True(t, IsIncomplete(err), "%v", err)
	assert.ErrorContains(t, err, "changed while it was read")
}

// errCase is a file that is not a valid C-App, and why.
type errCase struct {
	name   string
	data   func(t testing.TB) []byte
	limits Limits
	kind   Kind
	file   string   // Error.File, when set
	line   int      // Error.Line, when set
	msg    []string // in the message
}

func bytesOf(s string) func(testing.TB) []byte { return func(testing.TB) []byte { return []byte(s) } }

func zipOf(entries func() []entry) func(testing.TB) []byte {
	return func(t testing.TB) []byte { return buildZip(t, entries()) }
}

func good(t testing.TB) []byte { return buildZip(t, goodEntries()) }

// patched builds the good C-App and lets fn change its bytes.
func patched(fn func(t testing.TB, data []byte) []byte) func(testing.TB) []byte {
	return func(t testing.TB) []byte { return fn(t, good(t)) }
}

func withArtifacts(xml string) func(testing.TB) []byte {
	return zipOf(func() []entry { return with(goodEntries(), "artifacts.xml", xml) })
}

func appXML(deps ...string) string {
	return "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<artifacts>\n  <artifact name=\"HelloApp\" version=\"1.0.0\" type=\"carbon/application\">\n" +
		strings.Join(deps, "\n") + "\n  </artifact>\n</artifacts>\n"
}

const (
	depAPI = `    <dependency artifact="HelloAPI" version="1.0.0" include="true" serverRole="EnterpriseServiceBus"/>`
	depSeq = `    <dependency artifact="HelloSeq" version="1.0.0" include="true" serverRole="EnterpriseServiceBus"/>`
)

// innerTruncated is a C-App whose last entry is a connector .zip stored as
// is, cut just after that entry's data: the only end record in the file is the
// inner zip's, as while the .car is being copied.
func innerTruncated(t testing.TB) []byte {
	inner := buildZip(t, []entry{file("connector.xml", strings.Repeat("<connector/>\n", 50))})
	entries := append(goodEntries(),
		dir("conn_1.0.0/"),
		file("conn_1.0.0/artifact.xml", artifactXMLFor("conn", "1.0.0", "synapse/lib", "EnterpriseServiceBus", "conn-1.0.0.zip")),
		entry{name: "conn_1.0.0/conn-1.0.0.zip", body: string(inner), store: true})
	data := buildZip(t, entries)
	zr, err := zip.NewReader(bytes.NewReader(data), int64(len(data)))
	require.NoError(t, err)
	last := zr.File[len(zr.File)-1]
	off, err := last.DataOffset()
	require.NoError(t, err)
	return data[:off+int64(last.CompressedSize64)]
}

func errCases() []errCase {
	return []errCase{
		// incomplete: what a file still being copied looks like
		{name: "empty file", data: bytesOf(""), kind: KindIncomplete, msg: []string{"0 bytes", "still be copying"}},
		{name: "local header signature only", data: bytesOf("PK\x03\x04"), kind: KindIncomplete, msg: []string{"no end of central directory", "still be copying"}},
		{name: "first two bytes", data: bytesOf("PK"), kind: KindIncomplete},
		{name: "truncated in the middle", kind: KindIncomplete, data: patched(func(_ testing.TB, d []byte) []byte { return d[:len(d)/2] })},
		{name: "truncated before the end record", kind: KindIncomplete, data: patched(func(_ testing.TB, d []byte) []byte { return d[:endOffset(d)] })},
		{name: "truncated inside the end record", kind: KindIncomplete, data: patched(func(_ testing.TB, d []byte) []byte { return d[:len(d)-1] })},
		{name: "truncated after a stored inner zip", kind: KindIncomplete, data: innerTruncated, msg: []string{"stored inside"}},

		// not a zip, or a corrupt one
		{name: "text", data: bytesOf("this is not a zip, just text\n"), kind: KindNotZip, msg: []string{"not a zip file"}},
		{name: "one byte", data: bytesOf("x"), kind: KindNotZip},
		{name: "gzip", kind: KindNotZip, data: func(t testing.TB) []byte {
			var b bytes.Buffer
			w := gzip.NewWriter(&b)
			_, err := w.Write([]byte(goodArtifactsXML))
			require.NoError(t, err)
			require.NoError(t, w.Close())
			return b.Bytes()
		}},
		{name: "data before the first entry (self-extracting)", kind: KindNotZip, msg: []string{"precedes the first entry"},
			data: patched(func(_ testing.TB, d []byte) []byte { return append([]byte("#!/bin/sh\nexit 0\n"), d...) })},
		{name: "end record points to the wrong directory", kind: KindNotZip, msg: []string{"corrupt zip"},
			data: patched(func(_ testing.TB, d []byte) []byte {
				e := endOffset(d)
				binary.LittleEndian.PutUint32(d[e+16:], binary.LittleEndian.Uint32(d[e+16:])-7)
				return d
			})},
		{name: "mangled by a text-mode transfer", kind: KindNotZip, msg: []string{"corrupt zip"},
			data: patched(func(_ testing.TB, d []byte) []byte {
				var out []byte
				for _, b := range d {
					if b >= 0x80 {
						out = append(out, 0xef, 0xbf, 0xbd)
					} else {
						out = append(out, b)
					}
				}
				return out
			})},
		{name: "damaged entry data", kind: KindNotZip, msg: []string{"corrupt zip", "HelloAPI_1.0.0/HelloAPI-1.0.0.xml"},
			data: patched(func(t testing.TB, d []byte) []byte {
				zr, err := zip.NewReader(bytes.NewReader(d), int64(len(d)))
				require.NoError(t, err)
				for _, f := range zr.File {
					if f.Name == "HelloAPI_1.0.0/HelloAPI-1.0.0.xml" {
						off, err := f.DataOffset()
						require.NoError(t, err)
						d[off+int64(f.CompressedSize64)/2] ^= 0x55
					}
				}
				return d
			})},
		{name: "unsupported compression method", kind: KindNotZip, file: "HelloAPI_1.0.0/x.bin", msg: []string{"compression method 99"},
			data: func(t testing.TB) []byte {
				var buf bytes.Buffer
				w := zip.NewWriter(&buf)
				for _, e := range goodEntries() {
					fw, err := w.Create(e.name)
					require.NoError(t, err)
					_, err = fw.Write([]byte(e.body))
					require.NoError(t, err)
				}
				fw, err := w.CreateRaw(&zip.FileHeader{Name: "HelloAPI_1.0.0/x.bin", Method: 99, CompressedSize64: 3, UncompressedSize64: 3})
				require.NoError(t, err)
				_, err = fw.Write([]byte("abc"))
				require.NoError(t, err)
				require.NoError(t, w.Close())
				return buf.Bytes()
			}},
		{name: "encrypted entry", kind: KindNotZip, msg: []string{"encrypted"}, data: patched(func(t testing.TB, d []byte) []byte {
			c := centralRecord(t, d, "artifacts.xml")
			d[c+8] |= 1
			d[localRecord(t, d, "artifacts.xml")+6] |= 1
			return d
		})},
		{name: "split archive", kind: KindNotZip, msg: []string{"split archive"}, data: patched(func(_ testing.TB, d []byte) []byte {
			binary.LittleEndian.PutUint16(d[endOffset(d)+4:], 1)
			return d
		})},

		// no root artifacts.xml
		{name: "no artifacts.xml", kind: KindNoArtifactsXML, msg: []string{"no artifacts.xml at the root"},
			data: zipOf(func() []entry { return without(goodEntries(), "artifacts.xml") })},
		{name: "zipped with its enclosing folder", kind: KindNoArtifactsXML, msg: []string{`"HelloApp/artifacts.xml" is one folder down`},
			data: zipOf(func() []entry {
				var out []entry
				for _, e := range goodEntries() {
					e.name = "HelloApp/" + e.name
					out = append(out, e)
				}
				return out
			})},
		{name: "Artifacts.xml in another case", kind: KindNoArtifactsXML, data: zipOf(func() []entry {
			return append(without(goodEntries(), "artifacts.xml"), file("Artifacts.xml", goodArtifactsXML))
		})},

		// malformed XML, with file and line
		{name: "unclosed element", kind: KindMalformedXML, file: "artifacts.xml", msg: []string{"malformed XML", "fix it"},
			data: withArtifacts("<artifacts>\n  <artifact name=\"HelloApp\" version=\"1.0.0\" type=\"carbon/application\">\n")},
		{name: "mismatched end tag", kind: KindMalformedXML, file: "artifacts.xml", line: 4,
			data: withArtifacts("<?xml version=\"1.0\"?>\n<artifacts>\n  <artifact name=\"HelloApp\" version=\"1.0.0\" type=\"carbon/application\">\n  </artifacts>\n</artifacts>\n")},
		{name: "broken artifact.xml", kind: KindMalformedXML, file: "HelloSeq_1.0.0/artifact.xml", line: 3,
			data: zipOf(func() []entry {
				return with(goodEntries(), "HelloSeq_1.0.0/artifact.xml",
					"<?xml version=\"1.0\"?>\n<artifact name=\"HelloSeq\" version=\"1.0.0\" type=\"synapse/sequence\" serverRole=\"EnterpriseServiceBus\">\n    <file>HelloSeq-1.0.0.xml</fil>\n</artifact>\n")
			})},
		{name: "second root element", kind: KindMalformedXML, file: "artifacts.xml", msg: []string{"second root element"},
			data: withArtifacts(goodArtifactsXML + "<artifacts/>\n")},
		{name: "empty artifacts.xml", kind: KindMalformedXML, file: "artifacts.xml", msg: []string{"no root element"}, data: withArtifacts("")},
		{name: "text before the root", kind: KindMalformedXML, file: "artifacts.xml", data: withArtifacts("junk" + goodArtifactsXML)},
		{name: "undefined entity", kind: KindMalformedXML, file: "artifacts.xml", line: 5,
			data: withArtifacts(appXML(depAPI, `    <dependency artifact="HelloSeq&nbsp;" version="1.0.0" serverRole="EnterpriseServiceBus"/>`))},
		{name: "unsupported encoding", kind: KindMalformedXML, file: "artifacts.xml", msg: []string{"UTF-8"},
			data: withArtifacts(strings.Replace(goodArtifactsXML, "UTF-8", "EBCDIC", 1))},

		// no carbon/application artifact
		{name: "no application type", kind: KindNoApplication, file: "artifacts.xml", msg: []string{"carbon/application"},
			data: withArtifacts(strings.Replace(goodArtifactsXML, "carbon/application", "synapse/api", 1))},
		{name: "other root element", kind: KindNoApplication, file: "artifacts.xml", line: 1, msg: []string{"<project>"}, data: withArtifacts("<project/>")},
		{name: "empty artifacts", kind: KindNoApplication, file: "artifacts.xml", data: withArtifacts("<artifacts/>")},
		{name: "application without a name", kind: KindNoApplication, file: "artifacts.xml", line: 2, msg: []string{"no name"},
			data: withArtifacts(strings.Replace(goodArtifactsXML, `name="HelloApp" `, "", 1))},

		// dependency without serverRole
		{name: "dependency without serverRole", kind: KindNoServerRole, file: "artifacts.xml", line: 5, msg: []string{`"HelloSeq_1.0.0"`, "serverRole"},
			data: withArtifacts(appXML(depAPI, `    <dependency artifact="HelloSeq" version="1.0.0" include="true"/>`))},
		{name: "dependency with an empty serverRole", kind: KindNoServerRole, file: "artifacts.xml", line: 4,
			data: withArtifacts(appXML(strings.Replace(depAPI, "EnterpriseServiceBus", " ", 1), depSeq))},

		// unresolved dependency
		{name: "dependency on another version", kind: KindUnresolvedDependency, file: "artifacts.xml", line: 5, msg: []string{`"HelloSeq_1.0.1"`, "silently drops"},
			data: withArtifacts(appXML(depAPI, strings.Replace(depSeq, "1.0.0", "1.0.1", 1)))},
		{name: "folder without artifact.xml", kind: KindUnresolvedDependency, file: "artifacts.xml", line: 3, msg: []string{`"HelloAPI_1.0.0"`},
			data: zipOf(func() []entry { return without(goodEntries(), "HelloAPI_1.0.0/artifact.xml") })},
		{name: "many unresolved", kind: KindUnresolvedDependency, msg: []string{"7 dependencies", `"N_1"`, "and 2 more"},
			data: withArtifacts(appXML(depAPI, depSeq, strings.Repeat(`<dependency artifact="N" version="1" serverRole="EnterpriseServiceBus"/>`, 5),
				`<dependency artifact="N3" version="1" serverRole="EnterpriseServiceBus"/>`, `<dependency artifact="N4" version="1" serverRole="EnterpriseServiceBus"/>`))},
		{name: "two unresolved", kind: KindUnresolvedDependency, msg: []string{"2 dependencies", `"Nope_1.0.0"`, `"Nada_2"`},
			data: withArtifacts(appXML(depAPI, depSeq, `<dependency artifact="Nope" version="1.0.0" serverRole="EnterpriseServiceBus"/>`,
				`<dependency artifact="Nada" version="2" serverRole="EnterpriseServiceBus"/>`))},
		{name: "dependency only under metadata/", kind: KindUnresolvedDependency, msg: []string{`"HelloSeq_1.0.0"`},
			data: zipOf(func() []entry {
				var out []entry
				for _, e := range goodEntries() {
					if strings.HasPrefix(e.name, "HelloSeq_1.0.0/") {
						e.name = "metadata/" + e.name
					}
					out = append(out, e)
				}
				return out
			})},

		// unsafe entries
		{name: "dot-dot", kind: KindUnsafeEntry, msg: []string{`"../evil.xml"`, `".."`}, data: zipOf(func() []entry { return append(goodEntries(), file("../evil.xml", "x")) })},
		{name: "dot-dot inside", kind: KindUnsafeEntry, data: zipOf(func() []entry { return append(goodEntries(), file("HelloAPI_1.0.0/../../evil.xml", "x")) })},
		{name: "absolute", kind: KindUnsafeEntry, msg: []string{"absolute"}, data: zipOf(func() []entry { return append(goodEntries(), file("/etc/cron.d/evil", "x")) })},
		{name: "drive letter", kind: KindUnsafeEntry, msg: []string{"drive letter"}, data: zipOf(func() []entry { return append(goodEntries(), file("C:/evil", "x")) })},
		{name: "backslash", kind: KindUnsafeEntry, msg: []string{"backslash"}, data: zipOf(func() []entry { return append(goodEntries(), file(`..\..\evil`, "x")) })},
		{name: "NUL", kind: KindUnsafeEntry, msg: []string{"NUL"}, data: zipOf(func() []entry { return append(goodEntries(), file("evil.xml\x00.txt", "x")) })},
		{name: "not UTF-8", kind: KindUnsafeEntry, msg: []string{"UTF-8"}, data: zipOf(func() []entry { return append(goodEntries(), file("HelloAPI_1.0.0/caf\xe9.xml", "x")) })},
		{name: "dot element", kind: KindUnsafeEntry, data: zipOf(func() []entry { return append(goodEntries(), file("HelloAPI_1.0.0/./x.xml", "x")) })},
		{name: "empty element", kind: KindUnsafeEntry, data: zipOf(func() []entry { return append(goodEntries(), file("HelloAPI_1.0.0//x.xml", "x")) })},
		{name: "duplicate name", kind: KindUnsafeEntry, file: "artifacts.xml", msg: []string{"twice"},
			data: zipOf(func() []entry { return append(goodEntries(), file("artifacts.xml", goodArtifactsXML)) })},
		{name: "duplicate folder", kind: KindUnsafeEntry, data: zipOf(func() []entry { return append(goodEntries(), dir("HelloAPI_1.0.0/")) })},
		{name: "file and folder", kind: KindUnsafeEntry, msg: []string{"both a file and a folder"},
			data: zipOf(func() []entry { return append(goodEntries(), file("HelloAPI_1.0.0", "x")) })},
		{name: "file escaping its folder", kind: KindUnsafeEntry, file: "HelloSeq_1.0.0/artifact.xml", line: 2, msg: []string{"<file>", `"../../../etc/passwd"`},
			data: zipOf(func() []entry {
				return with(goodEntries(), "HelloSeq_1.0.0/artifact.xml", artifactXMLFor("HelloSeq", "1.0.0", "synapse/sequence", "EnterpriseServiceBus", "../../../etc/passwd"))
			})},
		{name: "local header names another file", kind: KindUnsafeEntry, file: "HelloAPI_1.0.0/HelloAPI-1.0.0.xml", msg: []string{"local header"},
			data: patched(func(t testing.TB, d []byte) []byte {
				l := localRecord(t, d, "HelloAPI_1.0.0/HelloAPI-1.0.0.xml")
				copy(d[l+localLen:], "../../../../../")
				return d
			})},
		{name: "overlapping entries", kind: KindUnsafeEntry, msg: []string{"overlaps"},
			data: patched(func(t testing.TB, d []byte) []byte {
				c := centralRecord(t, d, "HelloAPI_1.0.0/artifact.xml")
				binary.LittleEndian.PutUint32(d[c+20:], binary.LittleEndian.Uint32(d[c+20:])+40)
				return d
			})},
		{name: "application name with a slash", kind: KindUnsafeEntry, file: "artifacts.xml", msg: []string{"path separator"},
			data: withArtifacts(strings.Replace(goodArtifactsXML, `name="HelloApp"`, `name="../../HelloApp"`, 1))},

		// too large: rejected before anything is inflated
		{name: "file over the size limit", kind: KindTooLarge, limits: Limits{MaxFileSize: 100}, data: good, msg: []string{"over the limit of 100"}},
		{name: "too many entries", kind: KindTooLarge, limits: Limits{MaxEntries: 5}, data: good, msg: []string{"7 zip entries"}},
		{name: "too much uncompressed", kind: KindTooLarge, limits: Limits{MaxUncompressed: 300}, data: good, msg: []string{"more than 300 bytes"}},
		{name: "compression ratio of one entry", kind: KindTooLarge, file: "HelloAPI_1.0.0/zeros.bin", msg: []string{"ratio", "zip bomb"},
			data: zipOf(func() []entry {
				return append(goodEntries(), file("HelloAPI_1.0.0/zeros.bin", strings.Repeat("\x00", 4<<20)))
			})},
		{name: "forged uncompressed size", kind: KindTooLarge, msg: []string{"inflate to more than"},
			data: zipOf(func() []entry {
				return append(goodEntries(), entry{name: "HelloAPI_1.0.0/bomb.bin", body: "\x03\x00", raw: true, uncompressed: 1 << 40})
			})},
		{name: "forged ratio", kind: KindTooLarge, file: "HelloAPI_1.0.0/bomb.bin", msg: []string{"ratio"},
			data: zipOf(func() []entry {
				return append(goodEntries(), entry{name: "HelloAPI_1.0.0/bomb.bin", body: "\x03\x00", raw: true, uncompressed: 8 << 20})
			})},
		{name: "ratio of the whole file", kind: KindTooLarge, msg: []string{"ratio over the limit"},
			data: zipOf(func() []entry {
				out := goodEntries()
				for _, n := range []string{"a", "b", "c", "d", "e", "f"} {
					out = append(out, file("HelloAPI_1.0.0/"+n+".bin", strings.Repeat("\x00", 900<<10)))
				}
				return out
			})},
	}
}

func TestParseErrors(t *testing.T) {
	for _, tc := range errCases() {
		t.Run(tc.name, func(t *testing.T) {
			data := tc.data(t)
			app, err := parseBytes(data, "HelloApp_1.0.0.car", tc.limits)
			require.Error(t, err)
			assert.Nil(t, app)
			var e *Error
			require.ErrorAs(t, err, &e)
			assert.Equal(t, tc.kind, e.Kind, "%v", err)
			for _, k := range Kinds() {
				assert.Equal(t, k == tc.kind, errors.Is(err, k.Err()), "errors.Is(err, %s): %v", k, err)
			}
			assert.Equal(t, tc.kind == KindIncomplete, IsIncomplete(err))
			if tc.file != "" {
				assert.Equal(t, tc.file, e.File, "%v", err)
			}
			if tc.line != 0 {
				assert.Equal(t, tc.line, e.Line, "%v", err)
			}
			for _, m := range tc.msg {
				assert.Contains(t, err.Error(), m)
			}
		})
	}
}

// Every prefix of a valid C-App is incomplete: a watcher waits for it.
func TestLatin1(t *testing.T) {
	xml := strings.Replace(strings.Replace(goodArtifactsXML, "UTF-8", "ISO-8859-1", 1), `name="HelloApp"`, "name=\"H\xe9lloApp\"", 1)
	data := buildZip(t, with(goodEntries(), "artifacts.xml", xml))
	app, err := parseBytes(data, "x.car", Limits{})
	require.NoError(t, err)
	assert.Equal(t, "HélloApp_1.0.0", app.ID)
}

// Every encoding the other readers of Carbon's XML read as ISO-8859-1
// (internal/xmlenc) is read here too.
func TestSingleByteEncodings(t *testing.T) {
	for _, enc := range []string{"windows-1252", "cp1252", "iso_8859-1", "US-ASCII"} {
		xml := strings.Replace(goodArtifactsXML, "UTF-8", enc, 1)
		if !strings.EqualFold(enc, "US-ASCII") {
			xml = strings.Replace(xml, `name="HelloApp"`, "name=\"H\xe9lloApp\"", 1)
		}
		data := buildZip(t, with(goodEntries(), "artifacts.xml", xml))
		_, err := parseBytes(data, "x.car", Limits{})
		assert.NoError(t, err, enc)
	}
	xml := strings.Replace(goodArtifactsXML, "UTF-8", "UTF-16", 1)
	_, err := parseBytes(buildZip(t, with(goodEntries(), "artifacts.xml", xml)), "x.car", Limits{})
	assert.ErrorIs(t, err, ErrMalformedXML, "other encodings are refused")
}

func TestTruncatedIsIncomplete(t *testing.T) {
	for _, data := range [][]byte{good(t), buildZip(t, append(goodEntries(),
		entry{name: "HelloAPI_1.0.0/lib.zip", body: string(good(t)), store: true},
		file("metadata.xml", "<artifacts/>")))} {
		for n := range len(data) {
			_, err := parseBytes(data[:n], "x.car", Limits{})
			require.True(t, IsIncomplete(err), "prefix of %d/%d bytes: %v", n, len(data), err)
		}
	}
}

func TestWarnings(t *testing.T) {
	tests := []struct {
		name    string
		file    string
		entries func() []entry
		want    []string // substrings, one per expected warning, in order
	}{
		{name: "file named Name_Version", file: "HelloApp_1.0.0.car", entries: goodEntries},
		{name: "file named Name-Version", file: "HelloApp-1.0.0.car", entries: goodEntries},
		{name: "file named Name", file: "HelloApp.car", entries: goodEntries},
		{name: "file named otherwise", file: "Other_1.0.0.car", entries: goodEntries,
			want: []string{`file name "Other_1.0.0.car" does not match the C-App id "HelloApp_1.0.0"`}},
		{name: "extra top-level file and folder", file: "HelloApp_1.0.0.car", entries: func() []entry {
			return append(goodEntries(), file("HelloApp_1.0.0.car", "nested"), file(".DS_Store", "x"), file("__MACOSX/._x", "x"), file("metadata.xml", "<artifacts/>"))
		}, want: []string{`extra top-level file ".DS_Store"`, `extra top-level file "HelloApp_1.0.0.car"`, `folder __MACOSX/ has no artifact.xml`}},
		{name: "several server roles", file: "HelloApp_1.0.0.car", entries: func() []entry {
			return with(with(goodEntries(), "artifacts.xml", appXML(depAPI, strings.Replace(depSeq, "EnterpriseServiceBus", "DataServicesServer", 1))),
				"HelloSeq_1.0.0/artifact.xml", artifactXMLFor("HelloSeq", "1.0.0", "synapse/sequence", "DataServicesServer", "HelloSeq-1.0.0.xml"))
		}, want: []string{"role filtering: the dependencies target server roles DataServicesServer, EnterpriseServiceBus"}},
		{name: "roles differ between dependency and artifact", file: "HelloApp_1.0.0.car", entries: func() []entry {
			return with(goodEntries(), "HelloSeq_1.0.0/artifact.xml", artifactXMLFor("HelloSeq", "1.0.0", "synapse/sequence", "EnterpriseIntegrator", "HelloSeq-1.0.0.xml"))
		}, want: []string{`role filtering: dependency "HelloSeq_1.0.0" has serverRole "EnterpriseServiceBus" in artifacts.xml but "EnterpriseIntegrator"`}},
		{name: "artifact nobody depends on", file: "HelloApp_1.0.0.car", entries: func() []entry {
			return with(goodEntries(), "artifacts.xml", appXML(depAPI))
		}, want: []string{`artifact "HelloSeq_1.0.0" (HelloSeq_1.0.0/) is not a dependency in artifacts.xml`}},
		{name: "listed file missing", file: "HelloApp_1.0.0.car", entries: func() []entry {
			return without(goodEntries(), "HelloSeq_1.0.0/HelloSeq-1.0.0.xml")
		}, want: []string{`HelloSeq_1.0.0/artifact.xml lists the file "HelloSeq-1.0.0.xml", which is not in the zip`}},
		{name: "metadata folders and metadata.xml", file: "HelloApp_1.0.0.car", entries: func() []entry {
			return append(goodEntries(),
				dir("metadata/"),
				file("metadata/HelloAPI_swagger_1.0.0/artifact.xml", artifactXMLFor("HelloAPI_swagger", "1.0.0", "synapse/metadata", "EnterpriseServiceBus", "HelloAPI_swagger-1.0.0.yaml")),
				file("metadata/HelloAPI_swagger_1.0.0/HelloAPI_swagger-1.0.0.yaml", "openapi: 3.0.1\n"),
				file("metadata.xml", appXML(depAPI, depSeq, `<dependency artifact="HelloAPI_swagger" version="1.0.0" serverRole="EnterpriseServiceBus"/>`,
					`<dependency artifact="Gone" version="1.0.0" serverRole="EnterpriseServiceBus"/>`)),
				file("descriptor.xml", "<project><id>x</id></project>"))
		}, want: []string{`metadata.xml:7: dependency "Gone_1.0.0" matches no artifact folder`}},
		{name: "two folders with the same artifact", file: "HelloApp_1.0.0.car", entries: func() []entry {
			return append(goodEntries(), file("HelloAPI_1.0.1/artifact.xml", artifactXMLFor("HelloAPI", "1.0.0", "synapse/api", "EnterpriseServiceBus", "HelloAPI-1.0.0.xml")),
				file("HelloAPI_1.0.1/HelloAPI-1.0.0.xml", "<api/>"))
		}, want: []string{`folders HelloAPI_1.0.0/ and HelloAPI_1.0.1/ both hold artifact "HelloAPI_1.0.0"`, `artifact "HelloAPI_1.0.0" (HelloAPI_1.0.1/) is not a dependency`}},
		{name: "malformed metadata.xml", file: "HelloApp_1.0.0.car", entries: func() []entry {
			return append(goodEntries(), file("metadata.xml", "<artifacts>\n<artifact>\n</artifacts>"))
		}, want: []string{"metadata.xml:3: malformed XML"}},
		{name: "two application artifacts", file: "HelloApp_1.0.0.car", entries: func() []entry {
			return with(goodEntries(), "artifacts.xml", strings.Replace(goodArtifactsXML, "</artifacts>", `<artifact name="Old" version="0.1" type="carbon/application"/></artifacts>`, 1))
		}, want: []string{"2 <artifact> elements", `file name "HelloApp_1.0.0.car" does not match the C-App id "Old_0.1"`,
			`artifact "HelloAPI_1.0.0" (HelloAPI_1.0.0/) is not a dependency`, `artifact "HelloSeq_1.0.0" (HelloSeq_1.0.0/) is not a dependency`}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			data := buildZip(t, tt.entries())
			app, err := parseBytes(data, tt.file, Limits{})
			require.NoError(t, err)
			got := app.Warnings
			require.Len(t, got, len(tt.want), "warnings: %q", app.Warnings)
			for i, w := range tt.want {
				assert.Contains(t, got[i], w)
			}
		})
	}
}

func TestParseHashedTrustsTheGivenSum(t *testing.T) {
	data := good(t)
	r := bytes.NewReader(data)
	full, err := Parse(r, int64(len(data)), "App_1.0.0.car")
	require.NoError(t, err)
	hashed, err := (&Parser{}).ParseHashed(r, int64(len(data)), "App_1.0.0.car", full.SHA256)
	require.NoError(t, err)
	assert.Equal(t, full, hashed)
	// A broken C-App is still refused whatever sum is given.
	_, err = (&Parser{}).ParseHashed(bytes.NewReader(data[:len(data)/2]), int64(len(data)/2), "x.car", full.SHA256)
	assert.Error(t, err)
}
