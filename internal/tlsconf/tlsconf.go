// Package tlsconf builds the TLS configuration of depsync's HTTP clients
// from tls.ca_file (and, for a manager's reconciler, tls.cert_file and
// tls.key_file), the same way for every client: the deploy client, the
// daemon's notices and the CLI.
package tlsconf

import (
	"crypto/tls"
	"crypto/x509"
	"fmt"

	"github.com/depsync/depsync/internal/regfile"
)

// Options say what a client trusts and what it presents.
type Options struct {
	// CAFile is a PEM bundle of the CAs that sign the nodes' certificates
	// (tls.ca_file); empty means the system roots.
	CAFile string
	// CertFile and KeyFile, when set, are the certificate and key the
	// client presents when a node asks for one (tls.cert_file and
	// tls.key_file).
	CertFile, KeyFile string
	// Base, when set, is used (cloned) instead of a configuration made
	// from CAFile, which is then ignored; tests set it.
	Base *tls.Config
}

// Client returns the client TLS configuration of o, or nil (Go's defaults)
// when o asks for nothing. It fails when a file cannot be read or holds no
// certificate; errors name the config key.
func Client(o Options) (*tls.Config, error) {
	cfg := o.Base
	if cfg != nil {
		cfg = cfg.Clone()
	} else if o.CAFile != "" {
		pool, err := CAPool(o.CAFile)
		if err != nil {
			return nil, err
		}
		cfg = &tls.Config{MinVersion: tls.VersionTLS12, RootCAs: pool}
	}
	if o.CertFile == "" && o.KeyFile == "" {
		return cfg, nil
	}
	cert, err := LoadKeyPair(o.CertFile, o.KeyFile)
	if err != nil {
		return nil, fmt.Errorf("tls.cert_file/tls.key_file: %w", err)
	}
	if cfg == nil {
		cfg = &tls.Config{MinVersion: tls.VersionTLS12}
	}
	// Always this certificate, whatever CAs the node says it accepts: the
	// node decides, and says why in its reply. It is read again at each
	// handshake, so a renewed certificate is used without a restart (the
	// one read at start while the files are mid-rewrite).
	certFile, keyFile := o.CertFile, o.KeyFile
	cfg.GetClientCertificate = func(*tls.CertificateRequestInfo) (*tls.Certificate, error) {
		if kp, err := LoadKeyPair(certFile, keyFile); err == nil {
			return &kp, nil
		}
		return &cert, nil
	}
	return cfg, nil
}

// maxKeyFile bounds tls.cert_file and tls.key_file: a certificate chain
// and a key are a few kilobytes.
const maxKeyFile = 1 << 20

// LoadKeyPair is tls.LoadX509KeyPair of regular files only, each read up
// to a sane size: a FIFO or a device is an error naming it, not a hang.
func LoadKeyPair(certFile, keyFile string) (tls.Certificate, error) {
	certPEM, err := regfile.ReadFile(certFile, maxKeyFile)
	if err != nil {
		return tls.Certificate{}, err
	}
	keyPEM, err := regfile.ReadFile(keyFile, maxKeyFile)
	if err != nil {
		return tls.Certificate{}, err
	}
	return tls.X509KeyPair(certPEM, keyPEM)
}

// maxCAFile bounds tls.ca_file: a bundle of every public CA is about
// 200 KB.
const maxCAFile = 4 << 20

// CAPool reads the PEM certificates of file (tls.ca_file) into a pool. A
// FIFO or a device is refused, not waited on or read for ever.
func CAPool(file string) (*x509.CertPool, error) {
	pem, err := regfile.ReadFile(file, maxCAFile)
	if err != nil {
		return nil, fmt.Errorf("tls.ca_file: %w", err)
	}
	pool := x509.NewCertPool()
	if !pool.AppendCertsFromPEM(pem) {
		return nil, fmt.Errorf("tls.ca_file %s: no PEM certificate in it", file)
	}
	return pool, nil
}
