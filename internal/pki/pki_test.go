package pki

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/tls"
	"crypto/x509"
	"encoding/hex"
	"encoding/pem"
	"errors"
	"net"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestParseHost(t *testing.T) {
	tests := []struct {
		spec      string
		first     string
		names     []string
		ips       []string
		port      int // checked when not 0
		wantError bool
	}{
		{spec: "node1", first: "node1", names: []string{"node1"}},
		{spec: "node1.example.com,node1,10.0.0.1", first: "node1.example.com", names: []string{"node1.example.com", "node1"}, ips: []string{"10.0.0.1"}},
		{spec: "127.0.0.1,localhost", first: "127.0.0.1", names: []string{"localhost"}, ips: []string{"127.0.0.1"}},
		{spec: "Node1, ::1 ,node1", first: "node1", names: []string{"node1"}, ips: []string{"::1"}},
		{spec: "n,*.cluster.example", wantError: true},
		{spec: "", wantError: true},
		{spec: " , ", wantError: true},
		{spec: "../etc/passwd", wantError: true},
		{spec: "node_1", wantError: true},
		{spec: "*.example.com", wantError: true},
		{spec: "node1,bad name", wantError: true},
		{spec: "-node", wantError: true},
		// A port (for the printed peer URL) on any one part; IPv6 with a port needs brackets.
		{spec: "node1", first: "node1", names: []string{"node1"}, port: 9780},
		{spec: "node1:9443,10.0.0.1", first: "node1", names: []string{"node1"}, ips: []string{"10.0.0.1"}, port: 9443},
		{spec: "node1,10.0.0.1:9443", first: "node1", names: []string{"node1"}, ips: []string{"10.0.0.1"}, port: 9443},
		{spec: "10.0.0.1:443", first: "10.0.0.1", ips: []string{"10.0.0.1"}, port: 443},
		{spec: "[::1]:9443,node1", first: "::1", names: []string{"node1"}, ips: []string{"::1"}, port: 9443},
		{spec: "[fe80::1]", first: "fe80::1", ips: []string{"fe80::1"}, port: 9780},
		{spec: "node1:9443,node1:9443", first: "node1", names: []string{"node1"}, port: 9443},
		{spec: "node1:9443,10.0.0.1:9444", wantError: true},
		{spec: "node1:0", wantError: true},
		{spec: "node1:65536", wantError: true},
		{spec: "node1:https", wantError: true},
		{spec: "node1:", wantError: true},
		{spec: "node1:+80", wantError: true},
		{spec: "[node1]:9443", wantError: true},
		{spec: "[::1", wantError: true},
		{spec: "::1:9443x", wantError: true},
		{spec: "[::1]9443", wantError: true},
	}
	for _, tt := range tests {
		t.Run(tt.spec, func(t *testing.T) {
			h, err := ParseHost(tt.spec)
			if tt.wantError {
				require.ErrorIs(t, err, ErrBadHost)
				return
			}
			require.NoError(t, err)
			assert.Equal(t, tt.first, h.First)
			assert.Equal(t, tt.names, h.Names)
			var ips []string
			for _, ip := range h.IPs {
				ips = append(ips, ip.String())
			}
			assert.Equal(t, tt.ips, ips)
			if tt.port != 0 {
				assert.Equal(t, tt.port, h.Port)
			}
		})
	}
}

func TestHostPeerURL(t *testing.T) {
	for spec, want := range map[string]string{
		"node1":                  "https://node1:9780",
		"Node1.Example.com:9443": "https://node1.example.com:9443",
		"10.0.0.1:443,node1":     "https://10.0.0.1:443",
		"[fd00::1]:9443":         "https://[fd00::1]:9443",
		"::1":                    "https://[::1]:9780",
	} {
		assert.Equal(t, want, mustHost(t, spec).PeerURL(), spec)
	}
	assert.Equal(t, "https://n:9780", Host{First: "n"}.PeerURL(), "no port: the default")
}

func mustHost(t *testing.T, spec string) Host {
	h, err := ParseHost(spec)
	require.NoError(t, err)
	return h
}

func TestInit(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "pki")
	res, err := Init(Options{Dir: dir, Hosts: []Host{mustHost(t, "node1,node1.example.com,10.0.0.1"), mustHost(t, "node2,127.0.0.1")}})
	require.NoError(t, err)

	modes := map[string]os.FileMode{"ca.crt": 0o644, "ca.key": 0o600, "token": 0o600,
		"node1.crt": 0o644, "node1.key": 0o600, "node2.crt": 0o644, "node2.key": 0o600}
	entries, err := os.ReadDir(dir)
	require.NoError(t, err)
	require.Len(t, entries, len(modes))
	for name, mode := range modes {
		fi, err := os.Stat(filepath.Join(dir, name))
		require.NoError(t, err, name)
		assert.Equal(t, mode, fi.Mode().Perm(), name)
	}

	tok, err := os.ReadFile(res.Token)
	require.NoError(t, err)
	raw, err := hex.DecodeString(strings.TrimSpace(string(tok)))
	require.NoError(t, err)
	assert.Len(t, raw, 32, "256 random bits")

	caPEM, err := os.ReadFile(res.CACert)
	require.NoError(t, err)
	ca := parseCert(t, caPEM)
	assert.True(t, ca.IsCA)
	assert.Equal(t, elliptic.P256(), ca.PublicKey.(*ecdsa.PublicKey).Curve)
	pool := x509.NewCertPool()
	pool.AddCert(ca)
	_, err = tls.LoadX509KeyPair(res.CACert, res.CAKey)
	require.NoError(t, err, "ca.key matches ca.crt")

	for _, n := range res.Nodes {
		_, err := tls.LoadX509KeyPair(n.CertFile, n.KeyFile)
		require.NoError(t, err)
		b, err := os.ReadFile(n.CertFile)
		require.NoError(t, err)
		c := parseCert(t, b)
		assert.False(t, c.IsCA)
		assert.Equal(t, n.Host.First, c.Subject.CommonName)
		for _, usage := range []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth, x509.ExtKeyUsageClientAuth} {
			_, err := c.Verify(x509.VerifyOptions{Roots: pool, KeyUsages: []x509.ExtKeyUsage{usage}})
			require.NoError(t, err, "%s usage %v", n.Host.First, usage)
		}
		for _, name := range n.Host.Names {
			require.NoError(t, c.VerifyHostname(name))
		}
		for _, ip := range n.Host.IPs {
			require.NoError(t, c.VerifyHostname(ip.String()))
		}
		assert.Error(t, c.VerifyHostname("elsewhere.example.com"))
	}
	assert.Equal(t, []net.IP{net.ParseIP("10.0.0.1").To4()}, ipv4(res.Nodes[0].Host.IPs))
}

func ipv4(ips []net.IP) []net.IP {
	var out []net.IP
	for _, ip := range ips {
		out = append(out, ip.To4())
	}
	return out
}

func parseCert(t *testing.T, b []byte) *x509.Certificate {
	t.Helper()
	blk, _ := pem.Decode(b)
	require.NotNil(t, blk)
	c, err := x509.ParseCertificate(blk.Bytes)
	require.NoError(t, err)
	return c
}

// TestInitRefusesToOverwrite: one file already there, and nothing is
// written at all.
func TestInitRefusesToOverwrite(t *testing.T) {
	for _, existing := range []string{"ca.crt", "ca.key", "token", "node2.key"} {
		t.Run(existing, func(t *testing.T) {
			dir := t.TempDir()
			require.NoError(t, os.WriteFile(filepath.Join(dir, existing), []byte("keep me"), 0o600))
			_, err := Init(Options{Dir: dir, Hosts: []Host{mustHost(t, "node1"), mustHost(t, "node2")}})
			require.ErrorIs(t, err, ErrExists)
			assert.Contains(t, err.Error(), existing)
			entries, err := os.ReadDir(dir)
			require.NoError(t, err)
			assert.Len(t, entries, 1, "nothing else written")
			b, err := os.ReadFile(filepath.Join(dir, existing))
			require.NoError(t, err)
			assert.Equal(t, "keep me", string(b))
		})
	}
}

func TestInitBadHosts(t *testing.T) {
	dir := t.TempDir()
	for _, hosts := range [][]Host{
		nil,
		{mustHost(t, "node1"), mustHost(t, "node1,10.0.0.2")},
		{mustHost(t, "ca")},
		{mustHost(t, "token")},
	} {
		_, err := Init(Options{Dir: dir, Hosts: hosts})
		require.True(t, errors.Is(err, ErrBadHost), "%v", err)
	}
	entries, err := os.ReadDir(dir)
	require.NoError(t, err)
	assert.Empty(t, entries)
}

// TestParseHostRefusesWildcards: a wildcard name would make one
// certificate valid for every node of a domain, so that a worker could not
// tell its manager from another node.
func TestParseHostRefusesWildcards(t *testing.T) {
	for _, spec := range []string{"n,*.cluster.example", "*.example.com", "n,*", "n,a.*.example"} {
		_, err := ParseHost(spec)
		require.ErrorIs(t, err, ErrBadHost, spec)
		assert.Contains(t, err.Error(), "wildcard", spec)
	}
}

// TestInitRefusesSharedNamesAndIPs: no two hosts share a name or an IP,
// so that a certificate of the cluster is valid for one node only; nothing
// is written.
func TestInitRefusesSharedNamesAndIPs(t *testing.T) {
	for name, hosts := range map[string][]string{
		"shared ip":        {"node1,10.0.0.1", "node2,10.0.0.1"},
		"shared ipv6":      {"node1,::1", "node2,0:0::1"},
		"shared name":      {"node1,db.example", "node2,DB.example"},
		"first is other's": {"node1", "node2,node1"},
	} {
		t.Run(name, func(t *testing.T) {
			dir := t.TempDir()
			var hs []Host
			for _, s := range hosts {
				hs = append(hs, mustHost(t, s))
			}
			_, err := Init(Options{Dir: dir, Hosts: hs})
			require.ErrorIs(t, err, ErrBadHost)
			assert.Contains(t, err.Error(), "node1")
			assert.Contains(t, err.Error(), "node2")
			entries, err := os.ReadDir(dir)
			require.NoError(t, err)
			assert.Empty(t, entries, "nothing written")
		})
	}
}

// TestInitWithExistingCA: --ca-dir signs one more node with the cluster's
// CA, writing its key pair only; a node whose names or IPs a certificate of
// that CA already holds is refused.
func TestInitWithExistingCA(t *testing.T) {
	caDir := t.TempDir()
	first, err := Init(Options{Dir: caDir, Hosts: []Host{mustHost(t, "node1,10.0.0.1"), mustHost(t, "node2,10.0.0.2")}})
	require.NoError(t, err)
	caBefore, err := os.ReadFile(first.CAKey)
	require.NoError(t, err)

	out := t.TempDir()
	res, err := Init(Options{Dir: out, CADir: caDir, Hosts: []Host{mustHost(t, "node3,10.0.0.3")}})
	require.NoError(t, err)
	assert.Equal(t, first.CACert, res.CACert)
	assert.Equal(t, first.Token, res.Token)
	entries, err := os.ReadDir(out)
	require.NoError(t, err)
	assert.Len(t, entries, 2, "node3.crt and node3.key only")
	caPEM, err := os.ReadFile(first.CACert)
	require.NoError(t, err)
	pool := x509.NewCertPool()
	pool.AddCert(parseCert(t, caPEM))
	b, err := os.ReadFile(res.Nodes[0].CertFile)
	require.NoError(t, err)
	_, err = parseCert(t, b).Verify(x509.VerifyOptions{Roots: pool, KeyUsages: []x509.ExtKeyUsage{x509.ExtKeyUsageClientAuth}})
	require.NoError(t, err, "signed by the cluster CA")
	caAfter, err := os.ReadFile(first.CAKey)
	require.NoError(t, err)
	assert.Equal(t, caBefore, caAfter)

	// In the CA's own folder too.
	_, err = Init(Options{Dir: caDir, CADir: caDir, Hosts: []Host{mustHost(t, "node4,10.0.0.4")}})
	require.NoError(t, err)

	for name, spec := range map[string]string{
		"ip of node1":   "node5,10.0.0.1",
		"name of node2": "node5,node2",
		"node3 again":   "node3",
	} {
		t.Run(name, func(t *testing.T) {
			_, err := Init(Options{Dir: out, CADir: caDir, Hosts: []Host{mustHost(t, spec)}})
			require.Error(t, err)
			assert.True(t, errors.Is(err, ErrBadHost) || errors.Is(err, ErrExists), "%v", err)
			assert.NoFileExists(t, filepath.Join(out, "node5.crt"))
		})
	}

	// No CA there, or a key that is not the certificate's.
	_, err = Init(Options{Dir: t.TempDir(), CADir: t.TempDir(), Hosts: []Host{mustHost(t, "node6")}})
	require.ErrorIs(t, err, ErrNoCA)
	other := t.TempDir()
	_, err = Init(Options{Dir: other, Hosts: []Host{mustHost(t, "x")}})
	require.NoError(t, err)
	require.NoError(t, os.Remove(filepath.Join(other, "ca.key")))
	require.NoError(t, os.WriteFile(filepath.Join(other, "ca.key"), caBefore, 0o600))
	_, err = Init(Options{Dir: t.TempDir(), CADir: other, Hosts: []Host{mustHost(t, "node6")}})
	require.ErrorIs(t, err, ErrNoCA)
}
