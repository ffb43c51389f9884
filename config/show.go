package config

import (
	"fmt"

	"go.yaml.in/yaml/v3"
)

// MarshalYAML writes the carbon section as config check prints it:
// tenants: all when that is what was set, rather than the empty list of
// ids it leaves in Tenants.
func (c Carbon) MarshalYAML() (any, error) {
	type plain Carbon // without this method
	var n yaml.Node
	if err := n.Encode(plain(c)); err != nil {
		return nil, fmt.Errorf("carbon: %w", err)
	}
	if !c.AllTenants {
		return &n, nil
	}
	for i := 0; i+1 < len(n.Content); i += 2 {
		if n.Content[i].Value == "tenants" {
			n.Content[i+1] = &yaml.Node{Kind: yaml.ScalarNode, Tag: "!!str", Value: TenantsAll}
		}
	}
	return &n, nil
}
