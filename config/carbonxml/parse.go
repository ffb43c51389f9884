package carbonxml

import (
	"bytes"
	"encoding/xml"
	"errors"
	"fmt"
	"io"
	"regexp"
	"sort"
	"strings"
	"unicode/utf8"

	"github.com/depsync/depsync/config"
	"github.com/depsync/depsync/internal/xmlenc"
)

// span is a byte range [start, end) of the original file.
type span struct{ start, end int }

// element is an element found by parsing, located in the original bytes.
type element struct {
	name  xml.Name
	attrs []xml.Attr // namespace-translated, as encoding/xml returns them
	elem  span       // the whole element, tags included
	open  span       // the start tag
	close span       // the end tag; empty when the element is self-closing
	text  string     // character data directly inside (decoded)
	line  int
}

func (e *element) selfClosing() bool { return e.close.start == e.close.end }

// document is what Edit and Read need to know about a carbon.xml.
type document struct {
	src        []byte
	singleByte bool   // the encoding is ISO-8859-1 or another ASCII-based single-byte one
	nl         string // the file's line end
	root       element
	rootSelf   bool      // <Server/>
	rootKid    *element  // the first element child of the root, for its indent
	blocks     []element // live <DeploymentSynchronizer> children of the root
	children   [][]element
	lineStarts []int
}

var (
	xmlDecl  = regexp.MustCompile(`^<\?xml[^>]*?\bencoding\s*=\s*["']([A-Za-z0-9._:-]+)["']`)
	utf8BOM  = []byte{0xEF, 0xBB, 0xBF}
	utf16BOM = [][]byte{{0xFE, 0xFF}, {0xFF, 0xFE}}
)

// encodingOf reads the encoding declaration and says whether the file is a
// single-byte ASCII-based encoding (which is read as ISO-8859-1).
func encodingOf(src []byte) (singleByte bool, err error) {
	for _, bom := range utf16BOM {
		if bytes.HasPrefix(src, bom) {
			return false, fmt.Errorf("%w: UTF-16 (convert the file to UTF-8 or ISO-8859-1)", ErrUnsupportedEncoding)
		}
	}
	head := bytes.TrimPrefix(src, utf8BOM)
	if len(head) > 200 {
		head = head[:200]
	}
	m := xmlDecl.FindSubmatch(head)
	if m == nil {
		return false, nil
	}
	switch enc := string(m[1]); {
	case xmlenc.UTF8(enc):
		return false, nil
	case xmlenc.SingleByte(enc):
		return true, nil
	}
	return false, fmt.Errorf("%w: %q (depsync edits UTF-8 and ISO-8859-1 files)", ErrUnsupportedEncoding, m[1])
}

// parse checks that src is a well-formed carbon.xml and locates the root,
// the live blocks and their children by byte offsets.
func parse(src []byte) (*document, error) {
	single, err := encodingOf(src)
	if err != nil {
		return nil, err
	}
	d := &document{src: src, singleByte: single, nl: lineEnd(src), lineStarts: lineStarts(src)}

	// The decoder sees UTF-8. A single-byte file is widened byte by byte
	// and offsets are mapped back through orig.
	in := src
	var orig []int
	if single {
		in, orig = widen(src)
	}
	at := func(off int) int {
		if orig != nil {
			return orig[off]
		}
		return off
	}

	dec := xml.NewDecoder(bytes.NewReader(in))
	dec.Strict = true
	dec.CharsetReader = func(_ string, r io.Reader) (io.Reader, error) { return r, nil } // already UTF-8

	var (
		depth    int
		rootSeen bool
		inBlock  bool
		block    element
		kids     []element
		kid      *element
	)
	for {
		startOff := int(dec.InputOffset())
		tok, err := dec.Token()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			return nil, d.syntaxError(at(int(dec.InputOffset())), err)
		}
		endOff := int(dec.InputOffset())
		s, e := at(startOff), at(endOff)
		switch t := tok.(type) {
		case xml.StartElement:
			depth++
			el := element{name: t.Name, attrs: t.Attr, elem: span{s, -1}, open: span{s, e}, line: d.line(s)}
			switch {
			case depth == 1:
				if rootSeen {
					return nil, &SyntaxError{Line: el.line, Column: d.column(s), Msg: "a second root element <" + t.Name.Local + ">"}
				}
				rootSeen = true
				if t.Name.Local != rootName || (t.Name.Space != CarbonNS && t.Name.Space != "") {
					return nil, fmt.Errorf("%w: the root element is <%s>%s, not Carbon's <Server xmlns=%q>",
						ErrNotCarbonXML, t.Name.Local, nsNote(t.Name.Space), CarbonNS)
				}
				d.root = el
			case depth == 2:
				if d.rootKid == nil {
					k := el
					d.rootKid = &k
				}
				if t.Name.Local == blockName && t.Name.Space == d.root.name.Space {
					inBlock, block, kids = true, el, nil
				}
			case depth == 3 && inBlock:
				kids = append(kids, el)
				kid = &kids[len(kids)-1]
			}
		case xml.EndElement:
			switch {
			case depth == 1:
				d.root.elem.end = e
				d.root.close = span{s, e}
				d.rootSelf = s == e
			case depth == 2 && inBlock:
				block.elem.end = e
				block.close = span{s, e}
				d.blocks = append(d.blocks, block)
				d.children = append(d.children, kids)
				inBlock = false
			case depth == 3 && inBlock:
				kid.elem.end = e
				kid.close = span{s, e}
				kid = nil
			}
			depth--
		case xml.CharData:
			if depth == 0 && len(bytes.TrimSpace(bytes.TrimPrefix(t, []byte("\ufeff")))) > 0 {
				return nil, &SyntaxError{Line: d.line(s), Column: d.column(s), Msg: "text outside the root element"}
			}
			if depth == 3 && kid != nil {
				kid.text += string(t)
			}
		}
	}
	if !rootSeen {
		return nil, &SyntaxError{Line: d.line(len(src)), Column: d.column(len(src)), Msg: "no root element"}
	}
	return d, nil
}

func nsNote(ns string) string {
	if ns == "" {
		return ""
	}
	return " in namespace " + ns
}

// syntaxError turns a decoder error into a SyntaxError at the offset the
// decoder had reached.
func (d *document) syntaxError(off int, err error) error {
	msg := err.Error()
	var se *xml.SyntaxError
	if errors.As(err, &se) {
		msg = se.Msg
	}
	return &SyntaxError{Line: d.line(off), Column: d.column(off), Msg: msg}
}

// widen converts ISO-8859-1 bytes to UTF-8 and returns, for every offset of
// the result, the offset of the original byte.
func widen(src []byte) ([]byte, []int) {
	out := make([]byte, 0, len(src)+len(src)/8)
	orig := make([]int, 0, len(src)+len(src)/8+1)
	for i, b := range src {
		if b < utf8.RuneSelf {
			out = append(out, b)
			orig = append(orig, i)
			continue
		}
		out = utf8.AppendRune(out, rune(b))
		orig = append(orig, i, i)
	}
	orig = append(orig, len(src))
	return out, orig
}

// lineEnd returns the file's line end: "\r\n" when its first line ends so.
func lineEnd(src []byte) string {
	if i := bytes.IndexByte(src, '\n'); i > 0 && src[i-1] == '\r' {
		return "\r\n"
	}
	return "\n"
}

func lineStarts(src []byte) []int {
	starts := []int{0}
	for i, b := range src {
		if b == '\n' {
			starts = append(starts, i+1)
		}
	}
	return starts
}

// line returns the 1-based line of an offset.
func (d *document) line(off int) int {
	return sort.Search(len(d.lineStarts), func(i int) bool { return d.lineStarts[i] > off })
}

// column returns the 1-based column of an offset, counting characters.
func (d *document) column(off int) int {
	if off > len(d.src) {
		off = len(d.src)
	}
	ls := d.lineStarts[d.line(off)-1]
	if d.singleByte {
		return off - ls + 1
	}
	return utf8.RuneCount(d.src[ls:off]) + 1
}

// indentAt returns the whitespace before off on its line and whether only
// whitespace precedes off there.
func (d *document) indentAt(off int) (string, bool) {
	ls := d.lineStarts[d.line(off)-1]
	pre := d.src[ls:off]
	if len(bytes.Trim(pre, " \t")) != 0 {
		return "", false
	}
	return string(pre), true
}

// lineStartOf returns the offset of the start of off's line.
func (d *document) lineStartOf(off int) int { return d.lineStarts[d.line(off)-1] }

// readBlock returns the values of the live block (Present false if none).
func (d *document) readBlock() (*Block, error) {
	b := &Block{}
	if len(d.blocks) == 0 {
		return b, nil
	}
	if err := d.single(); err != nil {
		return nil, err
	}
	b.Present = true
	b.Line = d.blocks[0].line
	seen := map[string]bool{}
	for _, k := range d.children[0] {
		name := k.name.Local
		if !owned(name) {
			b.Extra = append(b.Extra, name)
			continue
		}
		if seen[name] {
			continue // Carbon reads the first
		}
		seen[name] = true
		switch name {
		case keyEnabled:
			b.Enabled = isTrue(k.text)
		case keyAutoCommit:
			b.AutoCommit = isTrue(k.text)
		case keyAutoCheckout:
			b.AutoCheckout = isTrue(k.text)
		case keyRepositoryType:
			b.RepositoryType = strings.TrimSpace(k.text)
		case keySvnURL:
			b.SvnURL = strings.TrimSpace(k.text)
		case keySvnUser:
			b.SvnUser = k.text
		case keySvnPassword:
			if alias, ok := secretAliasOf(k.attrs); ok {
				b.SecureVault, b.SecretAlias = true, alias
			} else {
				b.SvnPassword = config.Secret(k.text)
			}
		case keyAppendTenantID:
			b.SvnURLAppendTenantID = isTrue(k.text)
		}
	}
	return b, nil
}

// single checks that there is at most one live block and that it has each
// of depsync's children at most once.
func (d *document) single() error {
	if len(d.blocks) > 1 {
		lines := make([]string, len(d.blocks))
		for i, b := range d.blocks {
			lines[i] = fmt.Sprint(b.line)
		}
		return fmt.Errorf("%w: at lines %s; keep one (comment the other out)", ErrDuplicateBlock, strings.Join(lines, " and "))
	}
	if len(d.blocks) == 1 {
		first := map[string]int{}
		for _, k := range d.children[0] {
			if !owned(k.name.Local) {
				continue
			}
			if l, ok := first[k.name.Local]; ok {
				return fmt.Errorf("%w: <%s> at lines %d and %d; keep one", ErrDuplicateChild, k.name.Local, l, k.line)
			}
			first[k.name.Local] = k.line
		}
	}
	return nil
}

// isTrue reads a boolean the way Java's Boolean.parseBoolean does.
func isTrue(s string) bool { return strings.EqualFold(strings.TrimSpace(s), "true") }

// secretAliasOf returns the svns:secretAlias attribute of an element.
func secretAliasOf(attrs []xml.Attr) (string, bool) {
	for _, a := range attrs {
		if a.Name.Local == "secretAlias" && a.Name.Space == SecureVaultNS {
			return a.Value, true
		}
	}
	return "", false
}
