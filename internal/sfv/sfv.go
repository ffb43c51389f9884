// Package sfv parses the HTTP structured fields (RFC 8941) depsync reads:
// the Content-Digest header (RFC 9530) with which a C-App's bytes travel
// between nodes, and formats that header's value.
package sfv

import (
	"encoding/base64"
	"errors"
	"fmt"
	"strings"
)

// ParseContentDigest returns the sha-256 of an RFC 9530 Content-Digest
// header: a structured-field dictionary (RFC 8941 section 3.2) such as
// "sha-512=:...:, sha-256=:<base64>:". The field's lines are combined with
// commas, as RFC 9110 combines them; when a key appears twice the last
// value wins; a header that does not parse as a dictionary is refused as a
// whole (RFC 8941 section 4.2: parsing fails, nothing of it is used).
func ParseContentDigest(values []string) ([]byte, error) {
	const need = "Content-Digest header with sha-256 required (RFC 9530): sha-256=:<base64 of the body's SHA-256>:"
	if len(values) == 0 {
		return nil, errors.New(need)
	}
	dict, err := parseDictionary(strings.Join(values, ","))
	if err != nil {
		return nil, fmt.Errorf("Content-Digest is not a structured-field dictionary (RFC 8941): %w", err)
	}
	v, ok := dict["sha-256"]
	if !ok {
		return nil, errors.New(need)
	}
	sum, isBytes := v.([]byte)
	if !isBytes {
		return nil, errors.New("Content-Digest: sha-256 must be a byte sequence, sha-256=:<base64>:")
	}
	if len(sum) != 32 {
		return nil, errors.New("Content-Digest: sha-256 is not the base64 of 32 bytes")
	}
	return sum, nil
}

// ErrDigestMismatch: the bytes received are not those a Content-Digest
// named.
var ErrDigestMismatch = errors.New("content digest mismatch: the bytes received are not the ones sent")

// sfParser parses RFC 8941 structured fields, as much as a dictionary of
// digests needs: every item type is parsed (so that no member can hide
// another), but only byte sequences keep their value.
type sfParser struct {
	s string
	i int
}

// member values: []byte for a byte sequence, struct{} for anything else.
func parseDictionary(s string) (map[string]any, error) {
	p := &sfParser{s: strings.Trim(s, " \t")}
	out := map[string]any{}
	if p.s == "" {
		return out, nil
	}
	for {
		key, err := p.key()
		if err != nil {
			return nil, err
		}
		var val any = struct{}{} // a bare key is the boolean true
		if p.peek() == '=' {
			p.i++
			if p.peek() == '(' {
				err = p.innerList()
			} else {
				val, err = p.bareItem()
				if err == nil {
					err = p.params()
				}
			}
		} else {
			err = p.params()
		}
		if err != nil {
			return nil, err
		}
		out[key] = val // the last one wins
		p.ows()
		if p.i == len(p.s) {
			return out, nil
		}
		if p.peek() != ',' {
			return nil, fmt.Errorf("expected ',' at offset %d", p.i)
		}
		p.i++
		p.ows()
		if p.i == len(p.s) {
			return nil, errors.New("trailing comma")
		}
	}
}

func (p *sfParser) peek() byte {
	if p.i < len(p.s) {
		return p.s[p.i]
	}
	return 0
}

func (p *sfParser) ows() {
	for p.i < len(p.s) && (p.s[p.i] == ' ' || p.s[p.i] == '\t') {
		p.i++
	}
}

func (p *sfParser) key() (string, error) {
	start := p.i
	if c := p.peek(); !(c >= 'a' && c <= 'z' || c == '*') {
		return "", fmt.Errorf("a key must start with a lower-case letter or '*' (offset %d)", p.i)
	}
	for p.i < len(p.s) {
		c := p.s[p.i]
		if !(c >= 'a' && c <= 'z' || c >= '0' && c <= '9' || strings.IndexByte("_-.*", c) >= 0) {
			break
		}
		p.i++
	}
	return p.s[start:p.i], nil
}

func (p *sfParser) params() error {
	for p.peek() == ';' {
		p.i++
		for p.peek() == ' ' {
			p.i++
		}
		if _, err := p.key(); err != nil {
			return err
		}
		if p.peek() == '=' {
			p.i++
			if _, err := p.bareItem(); err != nil {
				return err
			}
		}
	}
	return nil
}

func (p *sfParser) innerList() error {
	p.i++ // '('
	for p.i < len(p.s) {
		for p.peek() == ' ' {
			p.i++
		}
		if p.peek() == ')' {
			p.i++
			return p.params()
		}
		if _, err := p.bareItem(); err != nil {
			return err
		}
		if err := p.params(); err != nil {
			return err
		}
		if c := p.peek(); c != ' ' && c != ')' {
			return fmt.Errorf("bad inner list at offset %d", p.i)
		}
	}
	return errors.New("unterminated inner list")
}

func (p *sfParser) bareItem() (any, error) {
	c := p.peek()
	switch {
	case c == ':':
		end := strings.IndexByte(p.s[p.i+1:], ':')
		if end < 0 {
			return nil, errors.New("unterminated byte sequence")
		}
		enc := p.s[p.i+1 : p.i+1+end]
		p.i += end + 2
		for _, r := range enc {
			if !(r >= 'A' && r <= 'Z' || r >= 'a' && r <= 'z' || r >= '0' && r <= '9' || r == '+' || r == '/' || r == '=') {
				return nil, errors.New("byte sequence is not base64")
			}
		}
		b, err := base64.StdEncoding.DecodeString(enc)
		if err != nil {
			// RFC 8941 lets parsers accept missing padding.
			if b, err = base64.RawStdEncoding.DecodeString(strings.TrimRight(enc, "=")); err != nil {
				return nil, errors.New("byte sequence is not base64")
			}
		}
		return b, nil
	case c == '"':
		for p.i++; p.i < len(p.s); p.i++ {
			switch p.s[p.i] {
			case '\\':
				p.i++
				if c := p.peek(); c != '"' && c != '\\' {
					return nil, errors.New("bad escape in string")
				}
			case '"':
				p.i++
				return struct{}{}, nil
			default:
				if p.s[p.i] < 0x20 || p.s[p.i] > 0x7e {
					return nil, errors.New("bad character in string")
				}
			}
		}
		return nil, errors.New("unterminated string")
	case c == '?':
		if p.i+1 >= len(p.s) || (p.s[p.i+1] != '0' && p.s[p.i+1] != '1') {
			return nil, errors.New("bad boolean")
		}
		p.i += 2
		return struct{}{}, nil
	case c == '-' || c >= '0' && c <= '9':
		start := p.i
		if c == '-' {
			p.i++
		}
		digits := 0
		for p.i < len(p.s) && (p.s[p.i] >= '0' && p.s[p.i] <= '9' || p.s[p.i] == '.') {
			p.i++
			digits++
		}
		if digits == 0 || digits > 16 || p.s[p.i-1] == '.' || strings.Count(p.s[start:p.i], ".") > 1 {
			return nil, errors.New("bad number")
		}
		return struct{}{}, nil
	case c == '*' || c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z':
		for p.i++; p.i < len(p.s); p.i++ {
			c := p.s[p.i]
			if !(c > 0x20 && c < 0x7f && strings.IndexByte("\"(),;<=>?@[\\]{}", c) < 0) || c == '=' {
				break
			}
		}
		return struct{}{}, nil
	}
	return nil, fmt.Errorf("unexpected %q at offset %d", c, p.i)
}

// ContentDigest formats a SHA-256 as an RFC 9530 Content-Digest value.
func ContentDigest(sum []byte) string {
	return "sha-256=:" + base64.StdEncoding.EncodeToString(sum) + ":"
}
