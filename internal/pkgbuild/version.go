package pkgbuild

import (
	"fmt"
	"regexp"
	"strings"
)

// describeRe matches `git describe --tags --always --dirty` after a vX.Y.Z
// tag: v1.2.3, v1.2.3-rc1, v1.2.3-4-gabc1234, each maybe with -dirty.
var describeRe = regexp.MustCompile(`^v(\d+\.\d+\.\d+)(-[0-9A-Za-z.]*[A-Za-z][0-9A-Za-z.]*)?(-(\d+)-g([0-9a-f]+))?$`)

// hashRe matches describe's output without any tag: an abbreviated hash.
var hashRe = regexp.MustCompile(`^[0-9a-f]{4,40}$`)

// Version turns git describe's output into a package version that dpkg and
// rpm both order right: v1.2.3 is 1.2.3, a pre-release v1.2.3-rc1 is
// 1.2.3~rc1 (before 1.2.3), 4 commits after v1.2.3 is 1.2.3+4.gabc1234
// (after it), a tree without tags is 0.0.0+gabc1234, and a dirty tree adds
// .dirty. The binary itself reports describe's output unchanged.
func Version(describe string) (string, error) {
	d, dirty := strings.CutSuffix(strings.TrimSpace(describe), "-dirty")
	if m := describeRe.FindStringSubmatch(d); m != nil {
		v := m[1]
		if m[2] != "" {
			v += "~" + strings.TrimPrefix(m[2], "-")
		}
		if m[3] != "" {
			v += "+" + m[4] + ".g" + m[5]
		}
		if dirty {
			v += sep(v) + "dirty"
		}
		return v, nil
	}
	if m := hashRe.FindStringSubmatch(d); m != nil {
		v := "0.0.0+g" + m[0]
		if dirty {
			v += ".dirty"
		}
		return v, nil
	}
	return "", fmt.Errorf("version %q: want git describe's output after a vX.Y.Z tag (v1.2.3, v1.2.3-4-gabc1234) or a commit hash", describe)
}

// sep is what joins .dirty: a "+" starts the local part when there is none.
func sep(v string) string {
	if strings.Contains(v, "+") {
		return "."
	}
	return "+"
}
