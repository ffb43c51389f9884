package pki

import (
	"crypto"
	"crypto/tls"
	"crypto/x509"
	"encoding/pem"
	"errors"
	"fmt"
	"net"
	"os"
	"path/filepath"
	"strings"

	"github.com/depsync/depsync/internal/regfile"
)

// ErrNoCA is returned when Options.CADir holds no usable cluster CA.
var ErrNoCA = errors.New("no usable cluster CA")

// maxPEMFile bounds what is read of a certificate or key file.
const maxPEMFile = 64 << 10

// clusterCA is the CA that signs the nodes' certificates.
type clusterCA struct {
	cert *x509.Certificate
	key  crypto.Signer
	// Where it was read from (loadCA); tokenFile is "" when there is none.
	certFile, keyFile, tokenFile, dir string
}

// loadCA reads ca.crt and ca.key from dir and checks that they are a CA
// and its key.
func loadCA(dir string) (*clusterCA, error) {
	dir, err := filepath.Abs(dir)
	if err != nil {
		return nil, err
	}
	ca := &clusterCA{dir: dir, certFile: filepath.Join(dir, CACertFile), keyFile: filepath.Join(dir, CAKeyFile)}
	certPEM, err := regfile.ReadFile(ca.certFile, maxPEMFile)
	if err != nil {
		return nil, fmt.Errorf("%w in %s: %w", ErrNoCA, dir, err)
	}
	keyPEM, err := regfile.ReadFile(ca.keyFile, maxPEMFile)
	if err != nil {
		return nil, fmt.Errorf("%w in %s: %w", ErrNoCA, dir, err)
	}
	pair, err := tls.X509KeyPair(certPEM, keyPEM)
	if err != nil {
		return nil, fmt.Errorf("%w in %s: %s and %s: %w", ErrNoCA, dir, CACertFile, CAKeyFile, err)
	}
	cert, err := x509.ParseCertificate(pair.Certificate[0])
	if err != nil {
		return nil, fmt.Errorf("%w in %s: %w", ErrNoCA, dir, err)
	}
	signer, ok := pair.PrivateKey.(crypto.Signer)
	if !cert.IsCA || !ok {
		return nil, fmt.Errorf("%w in %s: %s is not a CA certificate", ErrNoCA, dir, ca.certFile)
	}
	ca.cert, ca.key = cert, signer
	if fi, err := os.Stat(filepath.Join(dir, TokenFile)); err == nil && fi.Mode().IsRegular() {
		ca.tokenFile = filepath.Join(dir, TokenFile)
	}
	return ca, nil
}

// signed returns the node certificates this CA signed that lie in its own
// folder or in dir (the certificates it made there, by their .crt files).
func (ca *clusterCA) signed(dir string) []*x509.Certificate {
	var out []*x509.Certificate
	dirs := []string{ca.dir}
	if dir != ca.dir {
		dirs = append(dirs, dir)
	}
	for _, d := range dirs {
		entries, err := os.ReadDir(d)
		if err != nil {
			continue // Init makes an --out that does not exist yet
		}
		for _, e := range entries {
			if !strings.HasSuffix(e.Name(), ".crt") || e.Name() == CACertFile || !e.Type().IsRegular() {
				continue
			}
			b, err := regfile.ReadFile(filepath.Join(d, e.Name()), maxPEMFile)
			if err != nil {
				continue
			}
			blk, _ := pem.Decode(b)
			if blk == nil || blk.Type != "CERTIFICATE" {
				continue
			}
			c, err := x509.ParseCertificate(blk.Bytes)
			if err == nil && !c.IsCA && c.CheckSignatureFrom(ca.cert) == nil {
				out = append(out, c)
			}
		}
	}
	return out
}

// checkUnsigned refuses a host whose first name, names or IPs a node
// certificate of this CA (in its folder or in dir) already holds: two
// certificates valid for one name would let one node pass for another.
func (ca *clusterCA) checkUnsigned(hosts []Host, dir string) error {
	for _, c := range ca.signed(dir) {
		taken := Host{First: strings.ToLower(c.Subject.CommonName), IPs: c.IPAddresses}
		for _, n := range c.DNSNames {
			taken.Names = append(taken.Names, strings.ToLower(n))
		}
		for _, h := range hosts {
			if what := shared(h, taken); what != "" {
				return fmt.Errorf("%w: %s of %s is already in the certificate of %s signed by %s; "+
					"each name and IP belongs to one node (move that certificate away if it is to be replaced)",
					ErrBadHost, what, h.First, c.Subject.CommonName, ca.certFile)
			}
		}
	}
	return nil
}

// checkDistinct refuses two hosts sharing a name or an IP.
func checkDistinct(hosts []Host) error {
	for i := range hosts {
		for j := range i {
			if what := shared(hosts[i], hosts[j]); what != "" {
				return fmt.Errorf("%w: %s is in both %s and %s: each name and IP belongs to one node, "+
					"so that a certificate passes for that node only", ErrBadHost, what, hosts[j].First, hosts[i].First)
			}
		}
	}
	return nil
}

// shared names a name or IP that a and b both hold (their first names
// count as names), or returns "".
func shared(a, b Host) string {
	names := func(h Host) map[string]bool {
		m := map[string]bool{}
		if net.ParseIP(h.First) == nil {
			m[h.First] = true
		}
		for _, n := range h.Names {
			m[n] = true
		}
		return m
	}
	bn := names(b)
	for n := range names(a) {
		if bn[n] {
			return "the name " + n
		}
	}
	for _, ip := range a.IPs {
		for _, other := range b.IPs {
			if ip.Equal(other) {
				return "the IP " + ip.String()
			}
		}
	}
	return ""
}
