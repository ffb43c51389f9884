package gate

import (
	"encoding/xml"
	"errors"
	"io"
	"strings"

	"github.com/depsync/depsync/internal/lease"
	"github.com/depsync/depsync/internal/regfile"
	"github.com/depsync/depsync/internal/xmlenc"
)

// maxProofXML is the largest XML file parsed to prove it complete; a
// larger one waits for the quiet time.
const maxProofXML = 8 << 20

// Complete reports whether the file is provably whole now, so that it
// need not wait for the quiet time: nobody has it open for writing (the
// kernel grants a read lease only then) and, for an XML artifact, it parses
// as a complete, well-formed document with the same signature before and
// after the read. A C-App is proven by the gate's ValidCApp, which reads it
// whole with the same check around the read. Anything else that is closed
// counts as complete: a later write is a new change, committed again. Where
// leases are not to be had nothing is proven, and the quiet time applies.
func (g *Gate) Complete(rel, abs string, sig Sig) bool {
	if !lease.Closed(abs) {
		return false
	}
	if !isXML(rel) {
		return true
	}
	if sig.Size > maxProofXML || !wellFormedXML(abs) {
		return false
	}
	after, err := Stat(abs)
	return err == nil && after == sig
}

func isXML(p string) bool { return strings.HasSuffix(strings.ToLower(p), ".xml") }

// wellFormedXML reports whether the file holds one complete, well-formed
// XML document: a root element closed at the end, nothing but comments,
// processing instructions and space after it. A file cut short anywhere
// fails.
func wellFormedXML(abs string) bool {
	f, _, err := regfile.Open(abs)
	if err != nil {
		return false
	}
	defer f.Close()
	// Bounded: a file that grew past the limit since its stat is not
	// proven here, and waits for the quiet time.
	dec := xml.NewDecoder(io.LimitReader(f, maxProofXML))
	// Carbon's files may declare a single-byte encoding; one depsync does
	// not read is not proven here, and the file waits for the quiet time.
	dec.CharsetReader = xmlenc.CharsetReader
	depth, roots := 0, 0
	for {
		tok, err := dec.Token()
		if errors.Is(err, io.EOF) {
			return roots == 1 && depth == 0
		}
		if err != nil {
			return false
		}
		switch t := tok.(type) {
		case xml.StartElement:
			if depth == 0 {
				roots++
			}
			depth++
		case xml.EndElement:
			depth--
		case xml.CharData:
			if depth == 0 && strings.TrimSpace(string(t)) != "" {
				return false
			}
		}
	}
}
