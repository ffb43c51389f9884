package main

import (
	"errors"
	"fmt"
	"io"
	"strings"

	"github.com/spf13/cobra"

	"github.com/depsync/depsync/internal/pki"
)

func newTLSCmd(a *app) *cobra.Command {
	cmd := &cobra.Command{
		Use:   "tls",
		Short: "Make the certificates and token of a cluster",
	}
	cmd.AddCommand(newTLSInitCmd(a))
	return cmd
}

func newTLSInitCmd(a *app) *cobra.Command {
	var out, caDir string
	var hosts []string
	cmd := &cobra.Command{
		Use:   "init --out DIR --host NAME[:PORT][,NAME|IP...] [--host ...]",
		Short: "Write a cluster CA, a certificate per node and an API token",
		Long: `Write into DIR everything a cluster needs to talk HTTPS with no other tool:

  ca.crt, ca.key          a cluster CA (ECDSA P-256, valid 10 years)
  <name>.crt, <name>.key  per --host, a key pair signed by that CA for every
                          name and IP of the --host (as SANs), with server
                          and client usage (valid 5 years); <name> is the
                          first name given
  token                   a random 256-bit API token (64 hex characters)

Keys and the token are mode 0600. Nothing is overwritten: if any of these
files exists, nothing is written and the exit code is 2.

Each name and IP belongs to one node: two --host sharing a name or an IP,
and wildcard names (*.example.com), are refused (exit 2), since a worker
takes as its manager the certificate of the cluster valid for the manager's
host, and that must be the manager's alone.

--ca-dir DIR signs more nodes with the cluster CA already in DIR (ca.crt,
ca.key): only their .crt/.key are written into --out (which may be DIR),
and a node whose names or IPs a certificate of that CA in DIR or --out
already holds is refused.

Then, for each node, it prints the lines of its depsync.yaml (tls: and
token_file:). Copy ca.crt, token and the node's own .crt/.key to it; keep
ca.key off the nodes (it signs new certificates). Peers are then https://
URLs with one of the names or IPs of their --host; the URL printed for each
node carries the port given with its --host (NAME:PORT, an IPv6 address in
brackets: [::1]:9443), 9780 when none. The port is only for that URL: the
certificate holds names and IPs, and the node listens where its listen: says.

Exit codes: 0 written, 1 writing failed, 2 bad input or a file exists.`,
		Example: `  # a manager and a worker
  depsync tls init --out /etc/depsync/pki \
      --host node1.example.com,node1,10.0.0.1 --host node2.example.com,node2,10.0.0.2
  # nodes listening on 9443: the printed peer URLs say so
  depsync tls init --out /etc/depsync/pki --host node1.example.com:9443,10.0.0.1 --host node2.example.com:9443
  # later, a third node signed by the same CA
  depsync tls init --ca-dir /etc/depsync/pki --out /etc/depsync/pki --host node3.example.com,10.0.0.3`,
		Args: cobra.NoArgs,
		RunE: func(_ *cobra.Command, _ []string) error {
			if out == "" {
				return usageError{errors.New("--out DIR is required: where to write the files")}
			}
			if len(hosts) == 0 {
				return usageError{errors.New("--host is required: one per node, its names and IPs comma-separated")}
			}
			var hs []pki.Host
			for _, spec := range hosts {
				h, err := pki.ParseHost(spec)
				if err != nil {
					return badInput(fmt.Errorf("--host: %w", err))
				}
				hs = append(hs, h)
			}
			res, err := pki.Init(pki.Options{Dir: out, Hosts: hs, CADir: caDir})
			switch {
			case errors.Is(err, pki.ErrExists), errors.Is(err, pki.ErrBadHost), errors.Is(err, pki.ErrNoCA):
				return badInput(err)
			case err != nil:
				return failed(fmt.Errorf("tls init: %w", err))
			}
			return printTLSInit(a.stdout, res)
		},
	}
	f := cmd.Flags()
	f.StringVar(&out, "out", "", "directory to write into (created 0700 if missing)")
	f.StringVar(&caDir, "ca-dir", "", "sign with the cluster CA in this directory (ca.crt, ca.key) instead of making a new CA and token")
	f.StringArrayVar(&hosts, "host", nil, "a node's names and IPs, comma-separated, the first naming its files, one with :PORT for its peer URL (default 9780; repeatable, one per node)")
	return cmd
}

// printTLSInit prints what was written and each node's config lines, with
// the paths as written (change them if the files are copied elsewhere).
func printTLSInit(w io.Writer, res *pki.Result) error {
	token := res.Token
	if res.NewCA {
		fmt.Fprintf(w, "wrote %s, %s (keep it off the nodes) and %s\n", res.CACert, res.CAKey, res.Token)
	} else {
		fmt.Fprintf(w, "signed with %s (%s)\n", res.CACert, res.CAKey)
		if token == "" {
			token = "(the cluster's token file: none next to " + res.CACert + ")"
		}
	}
	for _, n := range res.Nodes {
		var all []string
		all = append(all, n.Host.Names...)
		for _, ip := range n.Host.IPs {
			all = append(all, ip.String())
		}
		fmt.Fprintf(w, "\n# %s (%s): %s, %s\n", n.Host.First, strings.Join(all, ", "), n.CertFile, n.KeyFile)
		fmt.Fprintf(w, "# its depsync.yaml (paths as written here; change them if you copy the files elsewhere):\n")
		fmt.Fprintf(w, "token_file: %s\n", token)
		fmt.Fprintf(w, "tls:\n  cert_file: %s\n  key_file: %s\n  ca_file: %s\n", n.CertFile, n.KeyFile, res.CACert)
		fmt.Fprintf(w, "# its URL as a peer: %s\n", n.Host.PeerURL())
	}
	return nil
}
