package carbonapp

import (
	"archive/zip"
	"bytes"
	"encoding/binary"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"
)

// entry is one zip entry of a test C-App.
type entry struct {
	name  string
	body  string
	store bool // zip.Store instead of zip.Deflate
	// raw: write body as already-compressed data, declaring these sizes
	// (forged headers for zip-bomb tests).
	raw          bool
	uncompressed uint64
}

func dir(name string) entry { return entry{name: name} }

func file(name, body string) entry { return entry{name: name, body: body} }

// buildZip writes entries, in order, into a zip.
func buildZip(t testing.TB, entries []entry) []byte {
	t.Helper()
	var buf bytes.Buffer
	w := zip.NewWriter(&buf)
	for _, e := range entries {
		switch {
		case e.raw:
			fw, err := w.CreateRaw(&zip.FileHeader{
				Name: e.name, Method: zip.Deflate, CRC32: 0x12345678,
				CompressedSize64: uint64(len(e.body)), UncompressedSize64: e.uncompressed,
			})
			require.NoError(t, err)
			_, err = fw.Write([]byte(e.body))
			require.NoError(t, err)
		case strings.HasSuffix(e.name, "/") && e.body == "":
			_, err := w.CreateHeader(&zip.FileHeader{Name: e.name, Method: zip.Store})
			require.NoError(t, err)
		default:
			m := zip.Deflate
			if e.store {
				m = zip.Store
			}
			fw, err := w.CreateHeader(&zip.FileHeader{Name: e.name, Method: m})
			require.NoError(t, err)
			_, err = fw.Write([]byte(e.body))
			require.NoError(t, err)
		}
	}
	require.NoError(t, w.Close())
	return buf.Bytes()
}

const goodArtifactsXML = `<?xml version="1.0" encoding="UTF-8"?><artifacts>
    <artifact name="HelloApp" version="1.0.0" type="carbon/application">
        <dependency artifact="HelloAPI" version="1.0.0" include="true" serverRole="EnterpriseServiceBus"/>
        <dependency artifact="HelloSeq" version="1.0.0" serverRole="EnterpriseServiceBus"/>
    </artifact>
</artifacts>
`

func artifactXMLFor(name, version, typ, role, file string) string {
	return `<?xml version="1.0" encoding="UTF-8"?><artifact name="` + name + `" version="` + version +
		`" type="` + typ + `" serverRole="` + role + `">
    <file>` + file + `</file>
</artifact>
`
}

// goodEntries is a small valid C-App: HelloApp 1.0.0 with an API and a sequence.
func goodEntries() []entry {
	return []entry{
		dir("HelloAPI_1.0.0/"),
		file("HelloAPI_1.0.0/artifact.xml", artifactXMLFor("HelloAPI", "1.0.0", "synapse/api", "EnterpriseServiceBus", "HelloAPI-1.0.0.xml")),
		file("HelloAPI_1.0.0/HelloAPI-1.0.0.xml", `<api xmlns="http://ws.apache.org/ns/synapse" name="HelloAPI" context="/hello"><resource methods="GET"/></api>`),
		dir("HelloSeq_1.0.0/"),
		file("HelloSeq_1.0.0/artifact.xml", artifactXMLFor("HelloSeq", "1.0.0", "synapse/sequence", "EnterpriseServiceBus", "HelloSeq-1.0.0.xml")),
		file("HelloSeq_1.0.0/HelloSeq-1.0.0.xml", `<sequence xmlns="http://ws.apache.org/ns/synapse" name="HelloSeq"><log/></sequence>`),
		file("artifacts.xml", goodArtifactsXML),
	}
}

// with returns entries with name's body replaced (or the entry added).
func with(entries []entry, name, body string) []entry {
	out := append([]entry(nil), entries...)
	for i := range out {
		if out[i].name == name {
			out[i].body = body
			return out
		}
	}
	return append(out, file(name, body))
}

// without returns entries without name.
func without(entries []entry, name string) []entry {
	var out []entry
	for _, e := range entries {
		if e.name != name {
			out = append(out, e)
		}
	}
	return out
}

// centralRecord returns the offset of the central directory record of name.
func centralRecord(t testing.TB, data []byte, name string) int {
	t.Helper()
	for i := 0; i+centralLen <= len(data); i++ {
		if binary.LittleEndian.Uint32(data[i:]) != sigCentral {
			continue
		}
		n := int(binary.LittleEndian.Uint16(data[i+28:]))
		if i+centralLen+n <= len(data) && string(data[i+centralLen:i+centralLen+n]) == name {
			return i
		}
	}
	t.Fatalf("no central record for %q", name)
	return 0
}

// localRecord returns the offset of the local header of name.
func localRecord(t testing.TB, data []byte, name string) int {
	t.Helper()
	for i := 0; i+localLen <= len(data); i++ {
		if binary.LittleEndian.Uint32(data[i:]) != sigLocal {
			continue
		}
		n := int(binary.LittleEndian.Uint16(data[i+26:]))
		if i+localLen+n <= len(data) && string(data[i+localLen:i+localLen+n]) == name {
			return i
		}
	}
	t.Fatalf("no local header for %q", name)
	return 0
}

// endOffset returns the offset of the end of central directory record.
func endOffset(data []byte) int { return bytes.LastIndex(data, []byte("PK\x05\x06")) }
