package main

import (
	"errors"

	"github.com/spf13/cobra"
)

// clientTLS is the TLS context of a command that talks to nodes, from its
// flags: what a config file would otherwise have to carry.
type clientTLS struct {
	caFile, certFile, keyFile string
}

// nodeCommands are the commands that talk to nodes over the API: they take
// the flags of clientTLS.
var nodeCommands = [][]string{{"status"}, {"approve"}, {"capp", "push"}, {"capp", "list"}, {"capp", "rm"}, {"doctor"}}

// clientContextHelp ends the --help of every command of nodeCommands.
const clientContextHelp = `

Talking to nodes needs no config file: --ca-file names the CA that signed
the nodes' certificates (else tls.ca_file of the config, or
DEPSYNC_TLS_CA_FILE; the ca.crt of depsync tls init), the token comes from
--token-file (else token_file, or DEPSYNC_TOKEN), and --cert-file with
--key-file give a client certificate to present to nodes that ask for one
(a node's own tls.cert_file, or DEPSYNC_TLS_CERT_FILE, is its server's and
is presented only by capp push/rm --force, when no --cert-file is given). For example:
  DEPSYNC_TOKEN=... depsync capp list --node https://node1:9780 --ca-file ca.crt`

// addClientFlags gives each of nodeCommands under root the flags of
// clientTLS, read into a, and says so in its --help.
func addClientFlags(root *cobra.Command, a *app) {
	for _, path := range nodeCommands {
		c, _, err := root.Find(path)
		if err != nil || c == root {
			continue
		}
		f := c.Flags()
		f.StringVar(&a.tls.caFile, "ca-file", "", "PEM file of the CA that signed the nodes' certificates (default tls.ca_file or DEPSYNC_TLS_CA_FILE)")
		f.StringVar(&a.tls.certFile, "cert-file", "", "client certificate (PEM) to present to nodes that ask for one; with --key-file")
		f.StringVar(&a.tls.keyFile, "key-file", "", "key (PEM) of --cert-file")
		c.Long += clientContextHelp
	}
}

// overrides are the config keys the flags set.
func (t clientTLS) overrides() map[string]any {
	if t.caFile == "" {
		return nil
	}
	return map[string]any{"tls.ca_file": t.caFile}
}

// check refuses half a client certificate.
func (t clientTLS) check() error {
	if (t.certFile == "") != (t.keyFile == "") {
		return usageError{errors.New("--cert-file and --key-file go together: give both or neither")}
	}
	return nil
}
