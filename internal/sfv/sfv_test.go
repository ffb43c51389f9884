package sfv

import (
	"bytes"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestParseContentDigest(t *testing.T) {
	a := bytes.Repeat([]byte{0xaa}, 32)
	b := bytes.Repeat([]byte{0xbb}, 32)
	enc := func(x []byte) string { return base64.StdEncoding.EncodeToString(x) }
	tests := []struct {
		name   string
		values []string
		want   []byte
		err    string
	}{
		{"plain", []string{"sha-256=:" + enc(a) + ":"}, a, ""},
		{"among others", []string{"sha-512=:AAAA:, sha-256=:" + enc(a) + ":"}, a, ""},
		{"two members: the last wins", []string{"sha-256=:" + enc(a) + ":, sha-256=:" + enc(b) + ":"}, b, ""},
		{"two lines: the last wins", []string{"sha-256=:" + enc(a) + ":", "sha-256=:" + enc(b) + ":"}, b, ""},
		{"parameters", []string{"sha-256=:" + enc(a) + ":;x=1;y"}, a, ""},
		{"tabs and spaces", []string{"  sha-512=:AAAA:,\tsha-256=:" + enc(a) + ":  "}, a, ""},
		{"no padding", []string{"sha-256=:" + base64.RawStdEncoding.EncodeToString(a) + ":"}, a, ""},
		{"other item types around", []string{`unixsum=42, x="a,sha-256=:AAAA:", y=(1 2 :AAAA:);p, z=?1, sha-256=:` + enc(a) + `:, w=tok/en:x, d=-1.5`}, a, ""},
		{"missing", []string{"sha-512=:AAAA:"}, nil, "sha-256 required"},
		{"no header", nil, nil, "sha-256 required"},
		{"empty", []string{""}, nil, "sha-256 required"},
		{"not a byte sequence", []string{"sha-256=abc"}, nil, "byte sequence"},
		{"a boolean", []string{"sha-256"}, nil, "byte sequence"},
		{"wrong length", []string{"sha-256=:AAAA:"}, nil, "32 bytes"},
		{"upper-case key is not ours", []string{"SHA-256=:" + enc(a) + ":"}, nil, "dictionary"},
		{"trailing comma", []string{"sha-256=:" + enc(a) + ":,"}, nil, "dictionary"},
		{"garbage after a member", []string{"sha-256=:" + enc(a) + ": x"}, nil, "dictionary"},
		{"bad base64", []string{"sha-256=:a*b:"}, nil, "dictionary"},
		{"unterminated", []string{"sha-256=:" + enc(a)}, nil, "dictionary"},
		{"a string hiding a digest is not one", []string{`x="sha-256=:` + enc(a) + `:"`}, nil, "sha-256 required"},
		{"later bad member fails the whole field", []string{"sha-256=:" + enc(a) + ":, sha-512=(1"}, nil, "dictionary"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := ParseContentDigest(tt.values)
			if tt.err != "" {
				require.Error(t, err)
				assert.Contains(t, err.Error(), tt.err)
				return
			}
			require.NoError(t, err)
			assert.Equal(t, tt.want, got)
		})
	}
}

func TestContentDigestRoundTrip(t *testing.T) {
	s := sha256.Sum256([]byte("x"))
	got, err := ParseContentDigest([]string{ContentDigest(s[:])})
	require.NoError(t, err)
	require.Equal(t, hex.EncodeToString(s[:]), hex.EncodeToString(got))
}
