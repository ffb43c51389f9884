// Package pki makes what a depsync cluster needs to talk TLS with no other
// tool: a cluster CA, one key pair per node signed by it (server and client
// usage, every name and IP of the node as SANs) and a random API token, in
// the manner of `consul tls` or `cockroach cert`; and later key pairs for
// more nodes signed by that same CA. Every name and IP belongs to one node,
// never a wildcard, so that a certificate of the cluster passes for one
// node only.
package pki

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/hex"
	"encoding/pem"
	"errors"
	"fmt"
	"io/fs"
	"math/big"
	"net"
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"time"
)

// File names in the output directory.
const (
	CACertFile = "ca.crt"
	CAKeyFile  = "ca.key"
	TokenFile  = "token"
)

// Validity of what Init writes. Long, because renewing means touching every
// node; the CA key should be kept offline.
const (
	CAValidity   = 10 * 365 * 24 * time.Hour
	NodeValidity = 5 * 365 * 24 * time.Hour
)

// ErrExists is returned when a file Init would write is already there.
var ErrExists = errors.New("already exists")

// ErrBadHost is returned for a --host value that is not names and IPs.
var ErrBadHost = errors.New("bad host")

// DefaultPort is the port of a node's peer URL when its --host gives none
// (the port of depsync's default listen address).
const DefaultPort = 9780

// Host is one node: its DNS names and IP addresses, in the order given.
// The first of them names its files. Port is the port its peer URL
// carries; it is not part of the certificate.
type Host struct {
	Names []string
	IPs   []net.IP
	First string
	Port  int
}

var dnsName = regexp.MustCompile(`^[A-Za-z0-9]([A-Za-z0-9-]{0,61}[A-Za-z0-9])?(\.[A-Za-z0-9]([A-Za-z0-9-]{0,61}[A-Za-z0-9])?)*$`)

// ParseHost parses "NAME[:PORT][,NAME|IP...]": the names and IPs of one
// node, comma-separated. Any one of them may carry the port of the node's
// peer URL (an IPv6 address then in brackets: [::1]:9443); more than one
// port must agree. Without one, Port is DefaultPort.
func ParseHost(spec string) (Host, error) {
	var h Host
	seen := map[string]bool{}
	for _, part := range strings.Split(spec, ",") {
		part = strings.TrimSpace(part)
		if part == "" {
			continue
		}
		if strings.Contains(part, "*") {
			return Host{}, fmt.Errorf("%w %q: %q is a wildcard: a certificate valid for every name of a domain would pass "+
				"for any node, and a worker could not tell its manager; list each node's own names", ErrBadHost, spec, part)
		}
		host, port, err := splitHostPort(part)
		if err != nil {
			return Host{}, fmt.Errorf("%w %q: %w", ErrBadHost, spec, err)
		}
		if port != 0 {
			if h.Port != 0 && h.Port != port {
				return Host{}, fmt.Errorf("%w %q: two ports, %d and %d: give the node's port once", ErrBadHost, spec, h.Port, port)
			}
			h.Port = port
		}
		key := strings.ToLower(host)
		if seen[key] {
			continue
		}
		seen[key] = true
		if ip := net.ParseIP(key); ip != nil {
			h.IPs = append(h.IPs, ip)
		} else if dnsName.MatchString(key) && len(key) <= 253 {
			h.Names = append(h.Names, key)
		} else {
			return Host{}, fmt.Errorf("%w %q: %q is neither a DNS name nor an IP address", ErrBadHost, spec, part)
		}
		if h.First == "" {
			h.First = key
		}
	}
	if h.First == "" {
		return Host{}, fmt.Errorf("%w %q: give a node's name, then its other names and IPs, comma-separated", ErrBadHost, spec)
	}
	if h.Port == 0 {
		h.Port = DefaultPort
	}
	return h, nil
}

// PeerURL is the node's URL as a peer of the others: https:// its first
// name or IP (an IPv6 address in brackets) and its port, DefaultPort when
// the Host has none.
func (h Host) PeerURL() string {
	port := h.Port
	if port == 0 {
		port = DefaultPort
	}
	return "https://" + net.JoinHostPort(h.First, strconv.Itoa(port))
}

// splitHostPort splits one part of a --host into its name or IP and its
// port (0 when none). A bare IPv6 address has no port: its colons are its
// own, so a port needs the brackets ([::1]:9443).
func splitHostPort(part string) (string, int, error) {
	switch {
	case strings.HasPrefix(part, "["):
		end := strings.Index(part, "]")
		if end < 0 {
			return "", 0, fmt.Errorf("%q has no closing ]", part)
		}
		host, rest := part[1:end], part[end+1:]
		if ip := net.ParseIP(host); ip == nil || ip.To4() != nil {
			return "", 0, fmt.Errorf("%q: only an IPv6 address goes in brackets", part)
		}
		if rest == "" {
			return host, 0, nil
		}
		if !strings.HasPrefix(rest, ":") {
			return "", 0, fmt.Errorf("%q: after ] comes :PORT or nothing", part)
		}
		port, err := parsePort(part, rest[1:])
		return host, port, err
	case strings.Count(part, ":") == 1:
		host, p, _ := strings.Cut(part, ":")
		port, err := parsePort(part, p)
		return host, port, err
	default: // a name, an IPv4 address, or a bare IPv6 address
		return part, 0, nil
	}
}

func parsePort(part, p string) (int, error) {
	n, err := strconv.Atoi(p)
	if err != nil || n < 1 || n > 65535 || strings.TrimLeft(p, "0123456789") != "" {
		return 0, fmt.Errorf("%q: the port must be a number from 1 to 65535", part)
	}
	return n, nil
}

// Options say what Init writes.
type Options struct {
	// Dir is the output directory; it is created (0700) when missing.
	Dir   string
	Hosts []Host
	// CADir, when set, is the folder of the cluster's existing CA (ca.crt
	// and ca.key, as Init wrote them): Init then signs the hosts' key pairs
	// with it and writes no CA and no token, refusing a host whose names or
	// IPs a certificate of that CA in CADir or Dir already holds.
	CADir string
	// Now is the clock (default time.Now).
	Now func() time.Time
}

// NodeFiles are the files of one node.
type NodeFiles struct {
	Host     Host
	CertFile string
	KeyFile  string
}

// Result lists what Init wrote (or, with Options.CADir, used), as
// absolute paths. Token is "" when CADir holds no token file.
type Result struct {
	CACert, CAKey, Token string
	Nodes                []NodeFiles
	// NewCA is whether Init made the CA and the token (no Options.CADir).
	NewCA bool
}

// Init writes ca.crt, ca.key, token and <first name>.crt/.key for each
// host into opts.Dir. Keys and the token are mode 0600, certificates 0644.
// It refuses to overwrite: when any of these files exists it writes nothing
// and returns an error wrapping ErrExists. No two hosts may share a name or
// an IP (ErrBadHost), so that each certificate is valid for one node only:
// what lets a worker tell its manager's certificate from another node's.
// With opts.CADir it signs with that CA instead (see Options.CADir).
func Init(opts Options) (*Result, error) {
	if opts.Now == nil {
		opts.Now = time.Now
	}
	if len(opts.Hosts) == 0 {
		return nil, fmt.Errorf("%w: no host: give one --host per node", ErrBadHost)
	}
	dir, err := filepath.Abs(opts.Dir)
	if err != nil {
		return nil, err
	}
	if err := checkDistinct(opts.Hosts); err != nil {
		return nil, err
	}
	res := &Result{
		CACert: filepath.Join(dir, CACertFile),
		CAKey:  filepath.Join(dir, CAKeyFile),
		Token:  filepath.Join(dir, TokenFile),
		NewCA:  opts.CADir == "",
	}
	var ca *clusterCA
	if !res.NewCA {
		if ca, err = loadCA(opts.CADir); err != nil {
			return nil, err
		}
		res.CACert, res.CAKey, res.Token = ca.certFile, ca.keyFile, ca.tokenFile
		if err := ca.checkUnsigned(opts.Hosts, dir); err != nil {
			return nil, err
		}
	}
	for _, h := range opts.Hosts {
		if h.First == "ca" || h.First == TokenFile {
			return nil, fmt.Errorf("%w: a node cannot be named %s: its files would clash with the CA's or the token", ErrBadHost, h.First)
		}
		res.Nodes = append(res.Nodes, NodeFiles{Host: h,
			CertFile: filepath.Join(dir, h.First+".crt"), KeyFile: filepath.Join(dir, h.First+".key")})
	}
	var exist []string
	for _, p := range res.files() {
		if _, err := os.Lstat(p); err == nil {
			exist = append(exist, p)
		}
	}
	if len(exist) > 0 {
		return nil, fmt.Errorf("%s %w: nothing written; move it away or choose another --out", strings.Join(exist, ", "), ErrExists)
	}

	// Everything is made in memory first: a failure leaves nothing behind.
	now := opts.Now()
	var out []file
	if res.NewCA {
		var files []file
		if ca, files, err = newCA(res, now); err != nil {
			return nil, err
		}
		out = append(out, files...)
	}
	for _, n := range res.Nodes {
		files, err := ca.sign(n, now)
		if err != nil {
			return nil, err
		}
		out = append(out, files...)
	}
	if res.NewCA {
		tok := make([]byte, 32)
		if _, err := rand.Read(tok); err != nil {
			return nil, err
		}
		out = append(out, file{res.Token, []byte(hex.EncodeToString(tok) + "\n"), 0o600})
	}
	if err := writeAll(dir, out); err != nil {
		return nil, err
	}
	return res, nil
}

// newCA makes the cluster CA and the files that hold it.
func newCA(res *Result, now time.Time) (*clusterCA, []file, error) {
	caKey, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		return nil, nil, err
	}
	caTmpl := &x509.Certificate{
		SerialNumber:          serial(),
		Subject:               pkix.Name{CommonName: "depsync cluster CA", Organization: []string{"depsync"}},
		NotBefore:             now.Add(-time.Hour),
		NotAfter:              now.Add(CAValidity),
		IsCA:                  true,
		BasicConstraintsValid: true,
		MaxPathLenZero:        true,
		KeyUsage:              x509.KeyUsageCertSign | x509.KeyUsageCRLSign | x509.KeyUsageDigitalSignature,
	}
	caDER, err := x509.CreateCertificate(rand.Reader, caTmpl, caTmpl, &caKey.PublicKey, caKey)
	if err != nil {
		return nil, nil, fmt.Errorf("CA certificate: %w", err)
	}
	caCert, err := x509.ParseCertificate(caDER)
	if err != nil {
		return nil, nil, err
	}
	k, err := keyPEM(caKey)
	if err != nil {
		return nil, nil, err
	}
	return &clusterCA{cert: caCert, key: caKey},
		[]file{{res.CACert, pemBlock("CERTIFICATE", caDER), 0o644}, {res.CAKey, k, 0o600}}, nil
}

// sign makes a node's key pair, signed by the CA, and the files that hold it.
func (ca *clusterCA) sign(n NodeFiles, now time.Time) ([]file, error) {
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		return nil, err
	}
	tmpl := &x509.Certificate{
		SerialNumber: serial(),
		Subject:      pkix.Name{CommonName: n.Host.First, Organization: []string{"depsync"}},
		DNSNames:     n.Host.Names,
		IPAddresses:  n.Host.IPs,
		NotBefore:    now.Add(-time.Hour),
		NotAfter:     now.Add(NodeValidity),
		KeyUsage:     x509.KeyUsageDigitalSignature,
		// Server for its API, client for the manager's pushes that a
		// worker can then tell by certificate.
		ExtKeyUsage: []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth, x509.ExtKeyUsageClientAuth},
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, ca.cert, &key.PublicKey, ca.key)
	if err != nil {
		return nil, fmt.Errorf("certificate of %s: %w", n.Host.First, err)
	}
	k, err := keyPEM(key)
	if err != nil {
		return nil, err
	}
	return []file{{n.CertFile, pemBlock("CERTIFICATE", der), 0o644}, {n.KeyFile, k, 0o600}}, nil
}

// writeAll writes the files into dir (made 0700 if missing), all or none.
func writeAll(dir string, out []file) error {
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return err
	}
	var written []string
	for _, f := range out {
		if err := f.write(); err != nil {
			for _, w := range written {
				_ = os.Remove(w)
			}
			if errors.Is(err, fs.ErrExist) {
				return fmt.Errorf("%s %w (it appeared meanwhile): nothing written", f.path, ErrExists)
			}
			return err
		}
		written = append(written, f.path)
	}
	return nil
}

// files are the files Init writes.
func (r *Result) files() []string {
	var out []string
	if r.NewCA {
		out = append(out, r.CACert, r.CAKey, r.Token)
	}
	for _, n := range r.Nodes {
		out = append(out, n.CertFile, n.KeyFile)
	}
	return out
}

type file struct {
	path string
	data []byte
	mode fs.FileMode
}

// write creates the file (never over an existing one) with its mode,
// whatever the umask, synced to disk.
func (f file) write() error {
	h, err := os.OpenFile(f.path, os.O_WRONLY|os.O_CREATE|os.O_EXCL, f.mode)
	if err != nil {
		return err
	}
	_, err = h.Write(f.data)
	if err == nil {
		err = h.Chmod(f.mode)
	}
	if err == nil {
		err = h.Sync()
	}
	if cerr := h.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		_ = os.Remove(f.path)
	}
	return err
}

func serial() *big.Int {
	n, err := rand.Int(rand.Reader, new(big.Int).Lsh(big.NewInt(1), 127))
	if err != nil {
		panic(err) // crypto/rand does not fail on supported platforms
	}
	return n.Add(n, big.NewInt(1))
}

func pemBlock(typ string, der []byte) []byte {
	return pem.EncodeToMemory(&pem.Block{Type: typ, Bytes: der})
}

func keyPEM(k *ecdsa.PrivateKey) ([]byte, error) {
	der, err := x509.MarshalPKCS8PrivateKey(k)
	if err != nil {
		return nil, err
	}
	return pemBlock("PRIVATE KEY", der), nil
}
