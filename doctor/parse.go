package doctor

import (
	"bufio"
	"bytes"
	"encoding/xml"
	"errors"
	"fmt"
	"io"
	"regexp"
	"strings"
	"unicode/utf8"

	"github.com/depsync/depsync/internal/xmlenc"
)

// elem is one live element of a parsed XML file. Comments, processing
// instructions and directives are dropped by the parser, so a look-alike
// element inside <!-- ... --> never becomes an elem.
type elem struct {
	name  string // local name
	attrs map[string]string
	text  string // character data directly inside, trimmed
	raw   string // the same, untrimmed: the event processor uses a hostName as written
	kids  []*elem
	line  int
}

// kid returns the first child named name, or nil.
func (e *elem) kid(name string) *elem {
	if e == nil {
		return nil
	}
	for _, k := range e.kids {
		if k.name == name {
			return k
		}
	}
	return nil
}

// all returns the children named name.
func (e *elem) all(name string) []*elem {
	if e == nil {
		return nil
	}
	var out []*elem
	for _, k := range e.kids {
		if k.name == name {
			out = append(out, k)
		}
	}
	return out
}

// path follows first children by name: path("a", "b") is ./a/b.
func (e *elem) path(names ...string) *elem {
	for _, n := range names {
		e = e.kid(n)
	}
	return e
}

// with returns the first child named name whose attribute attr is val.
func (e *elem) with(name, attr, val string) *elem {
	for _, k := range e.all(name) {
		if k.attrs[attr] == val {
			return k
		}
	}
	return nil
}

// textOf is the trimmed text of e, "" for a missing element.
func (e *elem) textOf() string {
	if e == nil {
		return ""
	}
	return e.text
}

// ParseError is a file that does not parse: the file (relative to the home)
// and the line the parser stopped at.
type ParseError struct {
	File string `json:"file"`
	Line int    `json:"line,omitempty"`
	Err  string `json:"error"`
}

func (e ParseError) Error() string {
	if e.Line > 0 {
		return fmt.Sprintf("%s line %d: %s", e.File, e.Line, e.Err)
	}
	return fmt.Sprintf("%s: %s", e.File, e.Err)
}

var xmlEncoding = regexp.MustCompile(`^<\?xml[^>]*?\bencoding\s*=\s*["']([A-Za-z0-9._:-]+)["']`)

// parseXML parses src like Carbon's DOM/StAX readers: well-formedness is
// required, comments are ignored, a declared ISO-8859-1 encoding is honoured.
func parseXML(src []byte) (*elem, error) {
	src = bytes.TrimPrefix(src, []byte{0xEF, 0xBB, 0xBF})
	head := src
	if len(head) > 200 {
		head = head[:200]
	}
	if m := xmlEncoding.FindSubmatch(head); m != nil {
		switch enc := string(m[1]); {
		case xmlenc.SingleByte(enc):
			src = widen(src)
		case xmlenc.UTF8(enc):
		default:
			return nil, &ParseError{Line: 1, Err: fmt.Sprintf("unsupported encoding %q (use UTF-8 or ISO-8859-1)", m[1])}
		}
	}
	lines := lineStarts(src)
	lineAt := func(off int64) int {
		lo, hi := 0, len(lines)
		for lo+1 < hi {
			mid := (lo + hi) / 2
			if int64(lines[mid]) <= off {
				lo = mid
			} else {
				hi = mid
			}
		}
		return lo + 1
	}
	d := xml.NewDecoder(bytes.NewReader(src))
	d.Strict = true
	// The bytes are already UTF-8 (widened above); only the label remains.
	d.CharsetReader = func(_ string, r io.Reader) (io.Reader, error) { return r, nil }
	var root *elem
	var stack []*elem
	var texts []*strings.Builder
	for {
		off := d.InputOffset()
		tok, err := d.Token()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			var se *xml.SyntaxError
			if errors.As(err, &se) {
				return nil, &ParseError{Line: se.Line, Err: se.Msg}
			}
			return nil, &ParseError{Line: lineAt(d.InputOffset()), Err: err.Error()}
		}
		switch t := tok.(type) {
		case xml.StartElement:
			e := &elem{name: t.Name.Local, attrs: map[string]string{}, line: lineAt(off)}
			for _, a := range t.Attr {
				if a.Name.Space == "xmlns" || a.Name.Local == "xmlns" {
					continue
				}
				e.attrs[a.Name.Local] = a.Value
			}
			if len(stack) == 0 {
				if root != nil {
					return nil, &ParseError{Line: e.line, Err: "a second root element <" + e.name + ">"}
				}
				root = e
			} else {
				p := stack[len(stack)-1]
				p.kids = append(p.kids, e)
			}
			stack = append(stack, e)
			texts = append(texts, &strings.Builder{})
		case xml.EndElement:
			e := stack[len(stack)-1]
			e.text = strings.TrimSpace(texts[len(texts)-1].String())
			e.raw = texts[len(texts)-1].String()
			stack, texts = stack[:len(stack)-1], texts[:len(texts)-1]
		case xml.CharData:
			if len(texts) > 0 {
				texts[len(texts)-1].Write(t)
			}
		}
	}
	if root == nil {
		return nil, &ParseError{Err: "no root element"}
	}
	return root, nil
}

// widen converts ISO-8859-1 bytes to UTF-8.
func widen(src []byte) []byte {
	out := make([]byte, 0, len(src))
	for _, b := range src {
		out = utf8.AppendRune(out, rune(b))
	}
	return out
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

// parseProperties reads a Java properties file as java.util.Properties.load
// does (Spark's Utils.getPropertiesFromFile), then trims the values as Spark
// does: '#' and '!' comment lines, a key ending at the first unescaped space,
// tab, '=' or ':', backslash continuation lines and escapes, the later line
// winning. Lines are kept so a fix can point at them.
func parseProperties(src []byte) (map[string]prop, error) {
	if !utf8.Valid(src) {
		src = widen(src)
	}
	out := map[string]prop{}
	sc := bufio.NewScanner(bytes.NewReader(src))
	sc.Buffer(make([]byte, 64*1024), 1024*1024)
	lineNo := 0
	var logical strings.Builder
	start := 0
	cont := false
	for sc.Scan() {
		lineNo++
		l := strings.TrimRight(sc.Text(), "\r")
		if cont {
			l = strings.TrimLeft(l, " \t\f")
		} else {
			l = strings.TrimLeft(l, " \t\f")
			if l == "" || l[0] == '#' || l[0] == '!' {
				continue
			}
			start = lineNo
			logical.Reset()
		}
		// An odd number of trailing backslashes continues the line.
		n := 0
		for i := len(l) - 1; i >= 0 && l[i] == '\\'; i-- {
			n++
		}
		if n%2 == 1 {
			logical.WriteString(l[:len(l)-1])
			cont = true
			continue
		}
		logical.WriteString(l)
		cont = false
		k, v, err := splitProperty(logical.String())
		if err != nil {
			return nil, &ParseError{Line: start, Err: err.Error()}
		}
		out[k] = prop{value: strings.TrimSpace(v), line: start}
	}
	if cont {
		k, v, err := splitProperty(logical.String())
		if err != nil {
			return nil, &ParseError{Line: start, Err: err.Error()}
		}
		out[k] = prop{value: strings.TrimSpace(v), line: start}
	}
	return out, sc.Err()
}

// prop is one property and the line it starts on.
type prop struct {
	value string
	line  int
}

func splitProperty(l string) (key, val string, err error) {
	i := 0
	for i < len(l) {
		c := l[i]
		if c == '\\' {
			i += 2
			continue
		}
		if c == ' ' || c == '\t' || c == '\f' || c == '=' || c == ':' {
			break
		}
		i++
	}
	if i > len(l) {
		i = len(l)
	}
	keyRaw, rest := l[:i], l[i:]
	rest = strings.TrimLeft(rest, " \t\f")
	if rest != "" && (rest[0] == '=' || rest[0] == ':') {
		rest = strings.TrimLeft(rest[1:], " \t\f")
	}
	if key, err = unescape(keyRaw); err != nil {
		return "", "", err
	}
	if val, err = unescape(rest); err != nil {
		return "", "", err
	}
	return key, val, nil
}

func unescape(s string) (string, error) {
	if !strings.Contains(s, `\`) {
		return s, nil
	}
	var b strings.Builder
	for i := 0; i < len(s); i++ {
		c := s[i]
		if c != '\\' || i+1 >= len(s) {
			b.WriteByte(c)
			continue
		}
		i++
		switch s[i] {
		case 't':
			b.WriteByte('\t')
		case 'n':
			b.WriteByte('\n')
		case 'r':
			b.WriteByte('\r')
		case 'f':
			b.WriteByte('\f')
		case 'u':
			if i+5 > len(s) {
				return "", fmt.Errorf(`malformed \uxxxx escape`)
			}
			var r rune
			for _, h := range s[i+1 : i+5] {
				var d rune
				switch {
				case h >= '0' && h <= '9':
					d = h - '0'
				case h >= 'a' && h <= 'f':
					d = h - 'a' + 10
				case h >= 'A' && h <= 'F':
					d = h - 'A' + 10
				default:
					return "", fmt.Errorf(`malformed \uxxxx escape`)
				}
				r = r<<4 | d
			}
			b.WriteRune(r)
			i += 4
		default:
			b.WriteByte(s[i])
		}
	}
	return b.String(), nil
}
