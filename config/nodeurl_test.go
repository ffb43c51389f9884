package config

import (
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
)

func TestNormalURL(t *testing.T) {
	for _, tc := range []struct{ in, want, err string }{
		{"http://127.0.0.1:9781", "http://127.0.0.1:9781", ""},
		{"HTTP://127.0.0.1:9781/", "http://127.0.0.1:9781", ""},
		{"https://Manager.example", "https://manager.example:443", ""},
		{"https://Manager.example:443/", "https://manager.example:443", ""},
		{"http://m", "http://m:80", ""},
		{"http://[::1]:9780", "http://[::1]:9780", ""},
		{"ftp://m", "", "only http and https"},
		{"javascript:alert(1)", "", "only http and https"},
		{"http://u:p@m:1", "", "credentials"},
		{"http:///x", "", "no host"},
		{"http://m:1/?x=1", "", "a query"},
		{"http://m:1?", "", "a query"},
		{"http://m:1#f", "", "a query or fragment"},
		{"http://m:1/evil", "", "a path"},
		{"http://m:1/%zz", "", "not a URL"},
	} {
		got, err := NormalURL(tc.in)
		if tc.err != "" {
			if assert.Error(t, err, tc.in) {
				assert.Contains(t, err.Error(), tc.err, tc.in)
			}
			continue
		}
		assert.NoError(t, err, tc.in)
		assert.Equal(t, tc.want, got, tc.in)
	}
}

func TestRedactNodeURL(t *testing.T) {
	for in, want := range map[string]string{
		"http://h:1/a;password=secret":         "http://h:1/a;password=<redacted>",
		"http://h/" + strings.Repeat("a", 300): "http://h/" + strings.Repeat("a", 256-len("http://h/")) + "...",
		// Moved from deploy's RedactURL, which it replaces.
		"https://node1:9780":                   "https://node1:9780",
		"http://user:pass@127.0.0.1:9780/x":    "http://127.0.0.1:9780/x",
		"http://user@host":                     "http://host",
		"https://h:1/?token=secret#frag":       "https://h:1/",
		"http://a:b@c@host:1":                  "http://host:1",
		"not a url :// x:y@z":                  "not a url ://z",
		"user:pass@host":                       "host",
		"http://[::1]:9780":                    "http://[::1]:9780",
		"http://u:p%2F@h/p?q=1":                "http://h/p",
		"javascript:alert(1)#x":                "javascript:alert(1)",
		"http://h:1#pass":                      "http://h:1",
		"http://u:secret@h:1?x=y#z":            "http://h:1",
		"https://node1:9780/prefix/":           "https://node1:9780/prefix/",
		"":                                     "",
		"http://user:p:a:s:s@127.0.0.1:9780/":  "http://127.0.0.1:9780/",
		"https://node1.example.com:9780/v1?":   "https://node1.example.com:9780/v1",
		"https://node1.example.com:9780/v1#":   "https://node1.example.com:9780/v1",
		"http://user:pass@h:1/a@b":             "http://h:1/a@b",
		"HTTP://User:Pass@H:1":                 "HTTP://H:1",
		"http://:pass@h":                       "http://h",
		"http://user:pass@":                    "http://",
		"http://h/with space?and=query":        "http://h/with space",
		"ftp://u:p@files.example/pub?x#y":      "ftp://files.example/pub",
		"http://u:p@h:1/path/../etc?x":         "http://h:1/path/../etc",
		"https://u:p@[fe80::1%25eth0]:9780/?a": "https://[fe80::1%25eth0]:9780/",
	} {
		got := RedactNodeURL(in)
		assert.Equal(t, want, got, in)
		assert.NotContains(t, got, "pass@", in)
		assert.NotContains(t, got, "secret", in)
	}
}
