package gate

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"unicode/utf8"

	"github.com/depsync/depsync/internal/regfile"
)

// Odd paths: what a synced tree may hold that svn must not see as it is.
// A symlink would be committed as an svn:special link (an absolute one
// dangles on every worker, and the C-App it replaced is never deployed
// there); a FIFO blocks whoever opens it; a name svn cannot take (not UTF-8,
// a control character) fails every svn run that meets it. Each is rejected
// and reported as an invalid C-App is (/v1/status "rejected", the
// depsync_rejected_files metrics, one log line), looked at again only when
// it changes, and never taken for the deletion of the file it replaced:
// the repository keeps the last version. Everything else goes on.

// Reasons of the rejections of odd paths (the metrics' reason label).
const (
	reasonSymlink    = "symlink"
	reasonIrregular  = "not_regular_file"
	reasonBadName    = "bad_name"
	ReasonSVNRefused = "svn_refused"
)

// BadName says why svn cannot take a path's name, or "" when it can: svn
// keeps paths as UTF-8 (E000022, and every status of the folder holding
// such a name fails) without control characters (E160005 for a newline).
func BadName(rel string) string {
	if !utf8.ValidString(rel) {
		return "not valid UTF-8"
	}
	for _, r := range rel {
		if r < 0x20 || r == 0x7f {
			return fmt.Sprintf("a control character (%U)", r)
		}
	}
	return ""
}

// oddKind says why a file of this mode is not synced ("" for a regular
// file or a directory), with the reason for the metrics.
func oddKind(m fs.FileMode) (reason, kind string) {
	if m.IsRegular() || m.IsDir() {
		return "", ""
	}
	if m&fs.ModeSymlink != 0 {
		return reasonSymlink, "symlink"
	}
	return reasonIrregular, regfile.Kind(m)
}

// Odd rejects rel when it is an odd path (see above) and reports whether
// it is rejected, now or still: deleted tells svn status says it is gone,
// unaddable that its new folder holds a name svn cannot read. A path gone
// from disk is not odd: it is a deletion, or looked at again later.
func (g *Gate) Odd(rel string, deleted, unaddable bool) bool {
	abs := filepath.Join(g.dir, filepath.FromSlash(rel))
	fi, err := os.Lstat(abs)
	if err != nil {
		return false
	}
	sig := SigOf(fi)
	if r, ok := g.rejected[rel]; ok && r.sig == sig && oddReason(r.Reason) {
		return true // judged already; its next change brings it back
	}
	var reason string
	var why error
	if b := BadName(rel); b != "" && !deleted {
		reason = reasonBadName
		why = fmt.Errorf("its name holds %s, which svn cannot commit: rename it", b)
	} else if unaddable {
		reason = reasonBadName
		why = errors.New("its new folder holds a name svn cannot read, and svn cannot add anything there: rename that one")
	} else if r, kind := oddKind(fi.Mode()); r != "" {
		reason = r
		why = fmt.Errorf("a %s, not a regular file: never committed as a link nor read; put the file itself here", kind)
	}
	if reason == "" {
		if r, ok := g.rejected[rel]; ok && oddReason(r.Reason) {
			g.log.Info("path no longer odd; committing it", "path", rel)
			g.unreject(rel) // fixed: it goes on like any file
		}
		return false
	}
	g.Reject(rel, sig, reason, "path not committed; it is looked at again when it changes", why)
	return true
}

// oddReason reports whether a rejection's reason is an odd path's (the
// gate also rejects invalid C-Apps, judged by ValidCApp).
func oddReason(r string) bool {
	switch r {
	case reasonSymlink, reasonIrregular, reasonBadName, ReasonSVNRefused:
		return true
	}
	return false
}
