package pkgbuild

import "testing"

func TestVersion(t *testing.T) {
	for _, tc := range []struct{ in, want string }{
		{"v1.2.3", "1.2.3"},
		{"v1.2.3\n", "1.2.3"},
		{"v1.2.3-rc1", "1.2.3~rc1"},
		{"v1.2.3-4-gabc1234", "1.2.3+4.gabc1234"},
		{"v1.2.3-4-gabc1234-dirty", "1.2.3+4.gabc1234.dirty"},
		{"v1.2.3-dirty", "1.2.3+dirty"},
		{"v1.2.3-rc1-2-gabc1234", "1.2.3~rc1+2.gabc1234"},
		{"3a1a82b", "0.0.0+g3a1a82b"},
		{"3a1a82b-dirty", "0.0.0+g3a1a82b.dirty"},
	} {
		got, err := Version(tc.in)
		if err != nil || got != tc.want {
			t.Errorf("Version(%q) = %q, %v; want %q", tc.in, got, err, tc.want)
		}
	}
	for _, bad := range []string{"", "dev", "1.2.3", "v1.2", "v1.2.3 ; rm -rf /", "v1.2.3-4-gXYZ"} {
		if got, err := Version(bad); err == nil {
			t.Errorf("Version(%q) = %q, want an error", bad, got)
		}
	}
}
