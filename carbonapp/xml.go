package carbonapp

import (
	"bytes"
	"encoding/xml"
	"errors"
	"io"
	"strings"

	"github.com/depsync/depsync/internal/xmlenc"
)

// node is an element of a descriptor, kept only when it matters: the root,
// and <artifact>, <dependency> and <file> elements down to depth 3. Memory is
// bounded by the descriptor's size whatever it holds.
type node struct {
	name  string
	attrs []xml.Attr
	line  int
	text  strings.Builder
	kids  []*node
}

func (n *node) attr(name string) (string, bool) {
	for _, a := range n.attrs {
		if a.Name.Local == name {
			return a.Value, true
		}
	}
	return "", false
}

func (n *node) children(name string) []*node {
	var out []*node
	for _, k := range n.kids {
		if k.name == name {
			out = append(out, k)
		}
	}
	return out
}

func keepElement(depth int, name string) bool {
	if depth == 1 {
		return true
	}
	return depth <= 3 && (name == "artifact" || name == "dependency" || name == "file")
}

// parseXML parses a descriptor the way a strict XML parser (Carbon's StAX)
// does: one root element, nothing but markup and white space around it.
// Errors are ErrMalformedXML naming entry and line.
func parseXML(entry string, data []byte) (*node, error) {
	data = bytes.TrimPrefix(data, []byte("\xef\xbb\xbf"))
	d := xml.NewDecoder(bytes.NewReader(data))
	d.CharsetReader = xmlenc.CharsetReader
	var (
		root  *node
		stack []*node // kept elements; nil for skipped ones
		done  bool    // the root element is closed
	)
	malformed := func(line int, format string, args ...any) *Error {
		return newErr(KindMalformedXML, entry, line, "malformed XML: "+format+": fix it and rebuild the C-App", args...)
	}
	for {
		line, _ := d.InputPos()
		tok, err := d.Token()
		if err == io.EOF {
			break
		}
		if err != nil {
			var se *xml.SyntaxError
			if errors.As(err, &se) {
				msg := strings.TrimPrefix(se.Msg, "xml: ")
				if se.Msg == "unexpected EOF" {
					msg = "unexpected end of file (unclosed element?)"
				}
				e := malformed(se.Line, "%s", msg)
				e.Err = err
				return nil, e
			}
			l, _ := d.InputPos()
			e := malformed(l, "%s", strings.TrimPrefix(err.Error(), "xml: "))
			e.Err = err
			return nil, e
		}
		switch t := tok.(type) {
		case xml.StartElement:
			if done {
				return nil, malformed(line, "a second root element <%s> after the first one closed", t.Name.Local)
			}
			depth := len(stack) + 1
			var n *node
			parentKept := len(stack) == 0 || stack[len(stack)-1] != nil
			if parentKept && keepElement(depth, t.Name.Local) {
				n = &node{name: t.Name.Local, attrs: t.Attr, line: line}
				if root == nil {
					root = n
				} else {
					p := stack[len(stack)-1]
					p.kids = append(p.kids, n)
				}
			}
			stack = append(stack, n)
		case xml.EndElement:
			stack = stack[:len(stack)-1]
			if len(stack) == 0 {
				done = true
			}
		case xml.CharData:
			if len(stack) == 0 {
				if len(bytes.TrimSpace(t)) != 0 {
					return nil, malformed(line, "text outside the root element")
				}
				continue
			}
			if n := stack[len(stack)-1]; n != nil {
				n.text.Write(t)
			}
		}
	}
	if root == nil {
		l, _ := d.InputPos()
		return nil, malformed(l, "no root element (empty file?)")
	}
	if !done {
		l, _ := d.InputPos()
		return nil, malformed(l, "unexpected end of file (unclosed element?)")
	}
	return root, nil
}
