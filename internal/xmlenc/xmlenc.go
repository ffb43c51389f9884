// Package xmlenc is depsync's one list of the encodings an XML declaration
// may name in the files it reads (Carbon's config files, C-App
// descriptors, the synapse files it proves complete): UTF-8, and the
// ASCII-based single-byte encodings, which are read as ISO-8859-1.
//
// Reading windows-1252 (and US-ASCII) as ISO-8859-1 is exact for every
// byte but 0x80-0x9F of windows-1252, which Carbon's files do not hold in
// the names and values depsync reads; it keeps one byte one character, so
// that a file depsync edits (config/carbonxml) keeps every byte it does
// not change. Any other encoding (UTF-16, Shift_JIS, ...) is refused.
package xmlenc

import (
	"fmt"
	"io"
	"strings"

	"golang.org/x/text/encoding/charmap"
)

// singleByte lists the labels read as ISO-8859-1, in lower case.
var singleByte = map[string]bool{
	"iso-8859-1": true, "iso8859-1": true, "iso_8859-1": true, "latin1": true, "latin-1": true, "l1": true,
	"us-ascii": true, "ascii": true, "windows-1252": true, "cp1252": true,
}

// SingleByte reports whether label, an XML declaration's encoding in any
// case, names an encoding read as ISO-8859-1.
func SingleByte(label string) bool { return singleByte[strings.ToLower(label)] }

// UTF8 reports whether label names UTF-8 ("UTF-8" or "utf8", any case).
func UTF8(label string) bool {
	l := strings.ToLower(label)
	return l == "utf-8" || l == "utf8"
}

// CharsetReader is an encoding/xml Decoder.CharsetReader for this list:
// it reads UTF-8 as is, a single-byte encoding as ISO-8859-1, and refuses
// any other.
func CharsetReader(label string, r io.Reader) (io.Reader, error) {
	switch {
	case UTF8(label):
		return r, nil
	case SingleByte(label):
		return charmap.ISO8859_1.NewDecoder().Reader(r), nil
	}
	return nil, fmt.Errorf("encoding %q is not supported: save the file as UTF-8", label)
}
