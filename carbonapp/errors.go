package carbonapp

import (
	"errors"
	"fmt"
	"strings"
)

// Kind says why a file is not a C-App Carbon would deploy. Its string form is
// stable and meant for machines (JSON output, metrics labels).
type Kind string

// The kinds of Error, one per sentinel.
const (
	KindIncomplete           Kind = "incomplete"
	KindNotZip               Kind = "not_zip"
	KindNoArtifactsXML       Kind = "no_artifacts_xml"
	KindMalformedXML         Kind = "malformed_xml"
	KindNoApplication        Kind = "no_application"
	KindNoServerRole         Kind = "no_server_role"
	KindUnresolvedDependency Kind = "unresolved_dependency"
	KindUnsafeEntry          Kind = "unsafe_entry"
	KindTooLarge             Kind = "too_large"
)

// sentinel is the error behind each Kind: errors.Is(err, ErrX) matches every
// *Error of that kind.
type sentinel struct {
	kind Kind
	text string
}

func (s *sentinel) Error() string { return s.text }

// One sentinel per Kind, for errors.Is.
var (
	// ErrIncomplete: the file is empty, truncated (no end of central
	// directory) or changed while it was read: it is probably still being
	// copied, so wait and look again.
	ErrIncomplete error = &sentinel{KindIncomplete, "incomplete C-App"}
	// ErrNotZip: the file is not a zip, or a corrupt one.
	ErrNotZip error = &sentinel{KindNotZip, "not a zip"}
	// ErrNoArtifactsXML: there is no artifacts.xml at the root of the zip.
	ErrNoArtifactsXML error = &sentinel{KindNoArtifactsXML, "no root artifacts.xml"}
	// ErrMalformedXML: a descriptor Carbon reads is not well-formed XML.
	ErrMalformedXML error = &sentinel{KindMalformedXML, "malformed XML"}
	// ErrNoApplication: artifacts.xml has no usable carbon/application artifact.
	ErrNoApplication error = &sentinel{KindNoApplication, "no carbon/application artifact"}
	// ErrNoServerRole: a dependency has no serverRole (Carbon crashes on it).
	ErrNoServerRole error = &sentinel{KindNoServerRole, "dependency without serverRole"}
	// ErrUnresolvedDependency: a dependency names no artifact in the C-App
	// (Carbon silently drops the whole application).
	ErrUnresolvedDependency error = &sentinel{KindUnresolvedDependency, "unresolved dependency"}
	// ErrUnsafeEntry: an entry or file name could escape the folder it is
	// extracted to, or is ambiguous (absolute, "..", backslash, NUL,
	// duplicate, overlapping, different in the local header).
	ErrUnsafeEntry error = &sentinel{KindUnsafeEntry, "unsafe zip entry"}
	// ErrTooLarge: a limit is exceeded (file size, entry count, total
	// uncompressed size, compression ratio). Nothing was inflated.
	ErrTooLarge error = &sentinel{KindTooLarge, "too large"}
)

var sentinels = map[Kind]error{
	KindIncomplete:           ErrIncomplete,
	KindNotZip:               ErrNotZip,
	KindNoArtifactsXML:       ErrNoArtifactsXML,
	KindMalformedXML:         ErrMalformedXML,
	KindNoApplication:        ErrNoApplication,
	KindNoServerRole:         ErrNoServerRole,
	KindUnresolvedDependency: ErrUnresolvedDependency,
	KindUnsafeEntry:          ErrUnsafeEntry,
	KindTooLarge:             ErrTooLarge,
}

// Kinds lists every Kind, in a stable order.
func Kinds() []Kind {
	return []Kind{KindIncomplete, KindNotZip, KindNoArtifactsXML, KindMalformedXML, KindNoApplication,
		KindNoServerRole, KindUnresolvedDependency, KindUnsafeEntry, KindTooLarge}
}

// Err returns the sentinel of k (nil for an unknown kind).
func (k Kind) Err() error { return sentinels[k] }

// Error is why a file is not a valid C-App. Use errors.Is with a sentinel
// (ErrIncomplete, ...) to test the kind, or errors.As to read the details.
type Error struct {
	Kind Kind
	File string // the zip entry concerned, e.g. "Foo_1.0.0/artifact.xml"; empty for the whole file
	Line int    // 1-based line in File, when known
	Msg  string // what is wrong and what to do about it
	Err  error  // the underlying cause, if any
}

func (e *Error) Error() string {
	var b strings.Builder
	if e.File != "" {
		b.WriteString(e.File)
		if e.Line > 0 {
			fmt.Fprintf(&b, ":%d", e.Line)
		}
		b.WriteString(": ")
	}
	b.WriteString(e.Msg)
	return b.String()
}

// Is reports whether target is the sentinel of e's kind.
func (e *Error) Is(target error) bool {
	s, ok := target.(*sentinel)
	return ok && s.kind == e.Kind
}

// Unwrap returns the underlying cause.
func (e *Error) Unwrap() error { return e.Err }

// IsIncomplete reports whether err says the file is incomplete: empty,
// truncated or changed while read, most likely because it is still being
// copied. A watcher should wait for it to settle and parse it again.
func IsIncomplete(err error) bool { return errors.Is(err, ErrIncomplete) }

// KindOf returns the kind of err, or "" when err is nil or not a C-App error
// (an I/O error, say).
func KindOf(err error) Kind {
	var e *Error
	if errors.As(err, &e) {
		return e.Kind
	}
	return ""
}

func newErr(k Kind, file string, line int, format string, args ...any) *Error {
	return &Error{Kind: k, File: file, Line: line, Msg: fmt.Sprintf(format, args...)}
}

func wrapErr(k Kind, file string, cause error, format string, args ...any) *Error {
	e := newErr(k, file, 0, format, args...)
	e.Err = cause
	return e
}
