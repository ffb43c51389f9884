package xmlenc

import (
	"encoding/xml"
	"strings"
	"testing"
)

func TestLabels(t *testing.T) {
	for _, tc := range []struct {
		label            string
		singleByte, utf8 bool
	}{
		{"ISO-8859-1", true, false},
		{"iso8859-1", true, false},
		{"ISO_8859-1", true, false},
		{"Latin1", true, false},
		{"latin-1", true, false},
		{"L1", true, false},
		{"US-ASCII", true, false},
		{"ascii", true, false},
		{"windows-1252", true, false},
		{"CP1252", true, false},
		{"UTF-8", false, true},
		{"utf8", false, true},
		{"UTF-16", false, false},
		{"Shift_JIS", false, false},
		{"", false, false},
	} {
		if got := SingleByte(tc.label); got != tc.singleByte {
			t.Errorf("SingleByte(%q) = %v, want %v", tc.label, got, tc.singleByte)
		}
		if got := UTF8(tc.label); got != tc.utf8 {
			t.Errorf("UTF8(%q) = %v, want %v", tc.label, got, tc.utf8)
		}
	}
}

func TestCharsetReader(t *testing.T) {
	for _, tc := range []struct {
		doc, want string
		ok        bool
	}{
		{"<?xml version=\"1.0\" encoding=\"ISO-8859-1\"?><a>caf\xe9</a>", "café", true},
		{"<?xml version=\"1.0\" encoding=\"windows-1252\"?><a>caf\xe9</a>", "café", true},
		{"<?xml version=\"1.0\" encoding=\"utf8\"?><a>café</a>", "café", true},
		{"<?xml version=\"1.0\" encoding=\"UTF-16\"?><a>x</a>", "", false},
	} {
		d := xml.NewDecoder(strings.NewReader(tc.doc))
		d.CharsetReader = CharsetReader
		var v struct {
			Text string `xml:",chardata"`
		}
		err := d.Decode(&v)
		if (err == nil) != tc.ok || v.Text != tc.want {
			t.Errorf("%q: got %q, %v; want %q, ok %v", tc.doc, v.Text, err, tc.want, tc.ok)
		}
	}
}
