package config

import "net"

// SelfURL is the base URL peers reach this node at, as a manager sends it
// with its notices: https when the server side of TLS is set (tls.cert_file
// and tls.key_file), else http, and the listen address, with node_name in
// place of a wildcard host (empty, 0.0.0.0 or ::), which a peer cannot
// reach. It is "" when listen is not host:port (Validate refuses that).
func (c *Config) SelfURL() string {
	u, ok := c.listenURL(c.NodeName)
	if !ok {
		return ""
	}
	return u
}

// LocalURL is this node's base URL as seen from the node itself, what the
// CLI asks when no --node is given: as SelfURL, but with 127.0.0.1 in place
// of a wildcard host, since a server listening on every address answers on
// loopback too, whatever node_name resolves to. When listen is not
// host:port it is kept as is after the scheme, so that the check of the
// node's URL names it.
func (c *Config) LocalURL() string {
	u, ok := c.listenURL("127.0.0.1")
	if !ok {
		return c.scheme() + "://" + c.Listen
	}
	return u
}

// listenURL is scheme://listen with wildcard in place of a wildcard host.
func (c *Config) listenURL(wildcard string) (string, bool) {
	host, port, err := net.SplitHostPort(c.Listen)
	if err != nil {
		return "", false
	}
	if ip := net.ParseIP(host); host == "" || ip != nil && ip.IsUnspecified() {
		host = wildcard
	}
	return c.scheme() + "://" + net.JoinHostPort(host, port), true
}

func (c *Config) scheme() string {
	if c.TLS.Enabled() {
		return "https"
	}
	return "http"
}
