package deploy

import (
	"regexp"
	"strings"

	"github.com/depsync/depsync/carbonapp"
)

// MaxNameLen is the longest C-App file name accepted, in bytes.
const MaxNameLen = 255

var nameRE = regexp.MustCompile(`^[A-Za-z0-9][A-Za-z0-9._-]*$`)

// ValidName reports whether file is a C-App file name the API accepts: a
// single path element of letters, digits, '.', '_' and '-', starting with a
// letter or digit, a C-App name (carbonapp.IsCApp: ending in ".car"), at
// most MaxNameLen bytes, and no "..". Such a name needs no escaping in a
// URL, which is what lets the API reject every encoded trick by looking at
// the raw path.
func ValidName(file string) bool {
	return len(file) <= MaxNameLen && carbonapp.IsCApp(file) && nameRE.MatchString(file) && !strings.Contains(file, "..")
}

// tempPrefix starts the name of every temporary file the Store writes:
// dot-prefixed and never ending in ".car", so Carbon's deployer and
// depsync's watcher both ignore it.
const tempPrefix = ".depsync-"

func isTemp(name string) bool { return strings.HasPrefix(name, tempPrefix) }
