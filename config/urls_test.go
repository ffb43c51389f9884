package config

import (
	"testing"

	"github.com/stretchr/testify/assert"
)

// TestSelfAndLocalURL: what peers are told (SelfURL) and what the node's
// own CLI asks (LocalURL) differ only for a wildcard listen address, which
// becomes node_name for peers and loopback for the node itself.
func TestSelfAndLocalURL(t *testing.T) {
	tlsOn := TLS{CertFile: "/etc/depsync/n.crt", KeyFile: "/etc/depsync/n.key"}
	tests := []struct {
		name        string
		listen      string
		tls         TLS
		self, local string
	}{
		{"loopback", "127.0.0.1:9780", TLS{}, "http://127.0.0.1:9780", "http://127.0.0.1:9780"},
		{"an address of the node", "10.0.0.5:9780", TLS{}, "http://10.0.0.5:9780", "http://10.0.0.5:9780"},
		{"a name", "node1.example:9780", TLS{}, "http://node1.example:9780", "http://node1.example:9780"},
		{"IPv4 wildcard", "0.0.0.0:9780", TLS{}, "http://node1:9780", "http://127.0.0.1:9780"},
		{"IPv6 wildcard", "[::]:9780", TLS{}, "http://node1:9780", "http://127.0.0.1:9780"},
		{"empty host", ":9780", TLS{}, "http://node1:9780", "http://127.0.0.1:9780"},
		{"IPv6 address", "[2001:db8::5]:9780", TLS{}, "http://[2001:db8::5]:9780", "http://[2001:db8::5]:9780"},
		{"TLS", "0.0.0.0:9780", tlsOn, "https://node1:9780", "https://127.0.0.1:9780"},
		{"CA only is not TLS", "127.0.0.1:9780", TLS{CAFile: "/etc/depsync/ca.crt"}, "http://127.0.0.1:9780", "http://127.0.0.1:9780"},
		{"not host:port", "node1", TLS{}, "", "http://node1"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c := &Config{Listen: tt.listen, NodeName: "node1", TLS: tt.tls}
			assert.Equal(t, tt.self, c.SelfURL(), "SelfURL")
			assert.Equal(t, tt.local, c.LocalURL(), "LocalURL")
		})
	}
}
