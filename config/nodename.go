package config

import "fmt"

// MaxNodeNameLength bounds node_name: a DNS name's length.
const MaxNodeNameLength = 253

// CheckNodeName says what is wrong with a node_name, or nil. The name goes
// into the Depsync-Reconciler header, the notices' and commits' text, log
// lines and, with a wildcard listen address, the URL peers are told: so
// it is printable ASCII without spaces (no control character, newline or
// non-ASCII letter, which a header would refuse or a peer would read
// garbled), at most MaxNodeNameLength bytes.
func CheckNodeName(name string) error {
	if name == "" {
		return fmt.Errorf("must not be empty")
	}
	if len(name) > MaxNodeNameLength {
		return fmt.Errorf("is %d bytes, more than %d", len(name), MaxNodeNameLength)
	}
	for i := 0; i < len(name); i++ {
		if b := name[i]; b <= ' ' || b >= 0x7f {
			return fmt.Errorf("byte %d is %q: a node_name goes into an HTTP header and peers' URLs, so it must be "+
				"printable ASCII without spaces, such as node1.example.com", i+1, name[i:i+1])
		}
	}
	return nil
}
