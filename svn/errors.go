package svn

import (
	"fmt"
	"regexp"
	"strconv"
	"strings"
)

// kindError is the type of the sentinel error kinds; hint tells what to do.
type kindError struct{ msg, hint string }

func (k *kindError) Error() string { return k.msg }

// Kinds of svn failures, for errors.Is. An *Error matches at most one of
// them (its Kind).
var (
	// ErrUnreachable: the server could not be reached (connection refused,
	// unknown host, network timeout, connection closed).
	ErrUnreachable error = &kindError{"server unreachable", "check the URL, the network and that the svn server is running"}
	// ErrAuth: authentication or authorization failed.
	ErrAuth error = &kindError{"authentication failed", "check svn.username and the password, and the user's access rights"}
	// ErrLocked: the working copy is locked (an interrupted svn left a
	// lock, or another svn runs on it).
	ErrLocked error = &kindError{"working copy locked", "run svn cleanup"}
	// ErrOutOfDate: a commit touched items changed in the repository since
	// the last update.
	ErrOutOfDate error = &kindError{"out of date", "update the working copy and retry"}
	// ErrNotWorkingCopy: the path is not (in) a working copy.
	ErrNotWorkingCopy error = &kindError{"not a working copy", "check it out first"}
	// ErrConflict: a text, property or tree conflict is in the way.
	ErrConflict error = &kindError{"conflict", "resolve the conflict (svn resolve) or revert"}
	// ErrObstructed: an unversioned or differently-kinded local item is in
	// the way.
	ErrObstructed error = &kindError{"obstructed", "a local item is in the way (e.g. a file replaced by a directory)"}
	// ErrNotFound: the path, URL, revision or repository does not exist.
	ErrNotFound error = &kindError{"not found", "check the path or URL"}
	// ErrExists: the item already exists in the repository.
	ErrExists error = &kindError{"already exists", "the item is already in the repository"}
	// ErrTimeout: the call's timeout (or the context's deadline) expired;
	// svn's process group was killed.
	ErrTimeout error = &kindError{"timed out", "svn was killed; the server may hang or the operation needs a longer timeout"}
	// ErrCanceled: the context was canceled; svn's process group was
	// killed.
	ErrCanceled error = &kindError{"canceled", ""}
	// ErrNotInstalled: svn is missing or too old.
	ErrNotInstalled error = &kindError{"svn not installed or too old", "install Subversion " + MinVersion + " or later (apt-get install subversion)"}
)

// Error is a failed svn run.
type Error struct {
	// Op is the svn subcommand ("update", "commit", ...).
	Op string
	// Target is the main path or URL the command was about.
	Target string
	// Args are svn's arguments without the global ones; they never hold
	// the password.
	Args []string
	// Codes are svn's error codes in order ("E155004"); warnings keep
	// their "W" prefix ("W155010").
	Codes []string
	// Message is svn's stderr (bounded, secrets scrubbed), or a
	// description of what failed.
	Message string
	// Kind is one of the Err* sentinels, or nil when unclassified.
	Kind error
	// ExitCode is svn's exit status, or -1 when it did not exit normally.
	ExitCode int
	// Err is the underlying Go error (exec failure, context error), if any.
	Err error
}

// Error formats as `svn OP TARGET: CODE: svn's message (kind: hint)`.
func (e *Error) Error() string {
	var b strings.Builder
	b.WriteString("svn ")
	b.WriteString(e.Op)
	if e.Target != "" {
		b.WriteString(" ")
		b.WriteString(e.Target)
	}
	b.WriteString(": ")
	code, msg := e.summary()
	if code != "" {
		b.WriteString(code)
		b.WriteString(": ")
	}
	if msg == "" && e.Err != nil {
		msg = e.Err.Error()
	}
	if msg == "" {
		msg = "failed"
		if e.ExitCode > 0 {
			msg += " with exit status " + strconv.Itoa(e.ExitCode)
		}
	}
	b.WriteString(msg)
	if k, ok := e.Kind.(*kindError); ok {
		b.WriteString(" (")
		b.WriteString(k.msg)
		if k.hint != "" {
			b.WriteString(": ")
			b.WriteString(k.hint)
		}
		b.WriteString(")")
	}
	return b.String()
}

// summary picks the most telling line of svn's message: the first one whose
// code decided Kind (skipping "details follow" wrappers), else the last error
// line, else the whole message.
func (e *Error) summary() (code, msg string) {
	if e.Kind == ErrTimeout || e.Kind == ErrCanceled {
		return "", firstLine(e.Message)
	}
	lines := parseDiagnostics(e.Message)
	if len(lines) == 0 {
		return "", firstLine(e.Message)
	}
	pick := -1
	for i, l := range lines {
		if e.Kind != nil && kindOfCode(l.code) == e.Kind && !uninformative(l) {
			pick = i
			break
		}
	}
	if pick < 0 {
		for i := len(lines) - 1; i >= 0; i-- {
			if !lines[i].warning {
				pick = i
				break
			}
		}
	}
	if pick < 0 {
		pick = len(lines) - 1
	}
	l := lines[pick]
	prefix := "E"
	if l.warning {
		prefix = "W"
	}
	return prefix + l.code, l.text
}

// uninformative reports lines that only wrap the real error.
func uninformative(d diagnostic) bool {
	return d.code == "170013" || // "Unable to connect to a repository at URL ..."
		strings.HasSuffix(d.text, "(details follow):") ||
		strings.HasPrefix(d.text, "Run 'svn cleanup' to remove locks")
}

func firstLine(s string) string {
	s = strings.TrimSpace(s)
	if i := strings.IndexByte(s, '\n'); i >= 0 {
		return s[:i]
	}
	return s
}

// Unwrap lets errors.Is match Kind and Err.
func (e *Error) Unwrap() []error {
	var errs []error
	if e.Kind != nil {
		errs = append(errs, e.Kind)
	}
	if e.Err != nil {
		errs = append(errs, e.Err)
	}
	return errs
}

// HasCode reports whether svn printed code ("E155004" or "155004").
func (e *Error) HasCode(code string) bool {
	code = strings.TrimLeft(code, "EW")
	for _, c := range e.Codes {
		if c[1:] == code {
			return true
		}
	}
	return false
}

// Code reports the code that decided Kind, or the first error code.
func (e *Error) Code() string {
	for _, c := range e.Codes {
		if e.Kind != nil && kindOfCode(c[1:]) == e.Kind {
			return c
		}
	}
	for _, c := range e.Codes {
		if c[0] == 'E' {
			return c
		}
	}
	return ""
}

// diagnostic is one "svn: E123456: text" (or "svn: warning: W123456: text")
// entry of svn's stderr, with continuation lines joined.
type diagnostic struct {
	code    string // digits only
	warning bool
	text    string
}

var diagRE = regexp.MustCompile(`^svn: (?:warning: )?([EW])(\d{6}): ?(.*)$`)

func parseDiagnostics(stderr string) []diagnostic {
	var out []diagnostic
	for _, line := range strings.Split(stderr, "\n") {
		line = strings.TrimRight(line, "\r")
		if m := diagRE.FindStringSubmatch(line); m != nil {
			out = append(out, diagnostic{code: m[2], warning: m[1] == "W", text: m[3]})
			continue
		}
		if len(out) > 0 && strings.TrimSpace(line) != "" && !strings.HasPrefix(line, "svn: ") {
			out[len(out)-1].text += " " + strings.TrimSpace(line)
		}
	}
	return out
}

// codes returns the codes of diags with their E/W prefix.
func codes(diags []diagnostic) []string {
	var cs []string
	for _, d := range diags {
		p := "E"
		if d.warning {
			p = "W"
		}
		cs = append(cs, p+d.code)
	}
	return cs
}

// codeKinds maps svn (and APR) error codes to kinds. Codes marked
// "observed" were printed by svn 1.14 in this package's tests; see
// TestErrorCodes.
var codeKinds = map[string]error{
	// Locked working copy.
	"155004": ErrLocked, // observed: WC_LOCKED "Working copy '...' locked."
	"155037": ErrLocked, // WC_CLEANUP_REQUIRED "Previous operation has not finished"

	// Out of date.
	"155011": ErrOutOfDate, // observed (file, http): WC_NOT_UP_TO_DATE
	"160028": ErrOutOfDate, // observed (file, svnserve): FS_TXN_OUT_OF_DATE
	"160024": ErrOutOfDate, // FS_CONFLICT "resource out of date; try updating"
	"160042": ErrOutOfDate, // FS_OUT_OF_DATE
	"170004": ErrOutOfDate, // observed (http): RA_OUT_OF_DATE

	// Conflicts.
	"155015": ErrConflict, // observed: WC_FOUND_CONFLICT "remains in conflict"
	"155027": ErrConflict, // WC_CONFLICT_RESOLVER_FAILURE

	// Obstructions and kind changes.
	"155000": ErrObstructed, // observed: WC_OBSTRUCTED_UPDATE (also "already a working copy for a different URL")
	"145001": ErrObstructed, // observed: NODE_UNEXPECTED_KIND "has unexpectedly changed kind"
	"155018": ErrObstructed, // WC_NODE_KIND_CHANGE
	"155035": ErrObstructed, // WC_PATH_UNEXPECTED_STATUS

	// Not a working copy.
	"155007": ErrNotWorkingCopy, // observed: WC_NOT_WORKING_COPY
	"155036": ErrNotWorkingCopy, // WC_UPGRADE_REQUIRED (an old-format working copy)

	// Not found.
	"155010": ErrNotFound, // observed (as warning): WC_PATH_NOT_FOUND "The node '...' was not found."
	"160013": ErrNotFound, // observed: FS_NOT_FOUND
	"160006": ErrNotFound, // observed: FS_NO_SUCH_REVISION
	"170000": ErrNotFound, // observed (as warning): RA_ILLEGAL_URL "non-existent in revision"
	"200009": ErrNotFound, // observed: ILLEGAL_TARGET "not under version control", "some targets don't exist"
	"200005": ErrNotFound, // observed (as warning): UNVERSIONED_RESOURCE
	"150000": ErrNotFound, // ENTRY_NOT_FOUND
	"175007": ErrNotFound, // RA_DAV_PATH_NOT_FOUND
	"180001": ErrNotFound, // observed: RA_LOCAL_REPOS_OPEN_FAILED (file:// repository missing)
	"210005": ErrNotFound, // RA_SVN_REPOS_NOT_FOUND
	"175003": ErrNotFound, // observed: RA_DAV_OPTIONS_REQ_FAILED (http URL is not a repository)
	"195012": ErrNotFound, // CLIENT_UNRELATED_RESOURCES "Unable to find repository location"

	// Already exists.
	"160020": ErrExists, // observed (all kinds): FS_ALREADY_EXISTS
	"175005": ErrExists, // RA_DAV_ALREADY_EXISTS
	"150002": ErrExists, // ENTRY_EXISTS

	// Authentication and authorization.
	"170001": ErrAuth, // observed (svnserve): RA_NOT_AUTHORIZED
	"215004": ErrAuth, // observed (http): AUTHN_FAILED
	"215000": ErrAuth, // AUTHN_CREDS_UNAVAILABLE
	"215001": ErrAuth, // AUTHN_NO_PROVIDER
	"215002": ErrAuth, // AUTHN_PROVIDERS_EXHAUSTED
	"215003": ErrAuth, // AUTHN_CREDS_NOT_SAVED
	"175013": ErrAuth, // RA_DAV_FORBIDDEN (HTTP 403)
	"220000": ErrAuth, // AUTHZ_ROOT_UNREADABLE
	"220001": ErrAuth, // AUTHZ_UNREADABLE
	"220002": ErrAuth, // AUTHZ_PARTIALLY_READABLE
	"220004": ErrAuth, // AUTHZ_UNWRITABLE

	// Unreachable: svn's own network errors and APR's errno / resolver
	// codes (E000xxx is errno, E67xxxx getaddrinfo, E73xxxx Winsock).
	"170013": ErrUnreachable, // observed (wrapper): RA_CANNOT_CREATE_SESSION "Unable to connect"
	"175012": ErrUnreachable, // observed (http, hung server): RA_DAV_CONN_TIMEOUT
	"175002": ErrUnreachable, // RA_DAV_REQUEST_FAILED (e.g. HTTP 502/503 from a proxy)
	"210002": ErrUnreachable, // observed (svn://, server closed): RA_SVN_CONNECTION_CLOSED
	"210003": ErrUnreachable, // RA_SVN_IO_ERROR
	"120108": ErrUnreachable, // serf: server closed the connection
	"000111": ErrUnreachable, // observed: ECONNREFUSED
	"000110": ErrUnreachable, // ETIMEDOUT
	"000113": ErrUnreachable, // EHOSTUNREACH
	"000101": ErrUnreachable, // ENETUNREACH
	"000104": ErrUnreachable, // ECONNRESET
	"670002": ErrUnreachable, // observed: EAI_NONAME "Name or service not known" / "Unknown hostname"
	"670003": ErrUnreachable, // EAI_AGAIN "Temporary failure in name resolution"
	"670008": ErrUnreachable, // EAI_NONAME on BSDs
	"731001": ErrUnreachable, // Windows WSAHOST_NOT_FOUND
	"730060": ErrUnreachable, // Windows WSAETIMEDOUT
	"730061": ErrUnreachable, // Windows WSAECONNREFUSED
	"730065": ErrUnreachable, // Windows WSAEHOSTUNREACH
}

// kindPriority orders kinds from most to least specific: when svn prints
// several codes, the first kind in this list that any code maps to wins.
// ErrUnreachable comes last because E170013 ("Unable to connect") wraps
// authentication and not-found errors too.
var kindPriority = []error{
	ErrAuth, ErrLocked, ErrConflict, ErrObstructed, ErrOutOfDate,
	ErrNotWorkingCopy, ErrExists, ErrNotFound, ErrUnreachable,
}

func kindOfCode(code string) error { return codeKinds[code] }

// classify returns the kind of a run that printed diags.
func classify(diags []diagnostic) error {
	found := map[error]bool{}
	for _, d := range diags {
		if k := kindOfCode(d.code); k != nil {
			found[k] = true
		}
	}
	for _, k := range kindPriority {
		if found[k] {
			return k
		}
	}
	return nil
}

// maxStderr bounds the stderr kept in an Error.
const maxStderr = 16 << 10

var urlUserinfoRE = regexp.MustCompile(`([a-zA-Z][a-zA-Z0-9+.-]*://[^/@:\s]*):[^@/\s]*@`)

// scrub removes secrets from text: the password wherever it appears (if it
// has at least 3 characters; shorter ones would mangle every message), and
// the password part of URL userinfo.
func scrub(s, password string) string {
	if password != "" && len(password) >= 3 {
		s = strings.ReplaceAll(s, password, redacted)
	}
	return urlUserinfoRE.ReplaceAllString(s, "${1}:"+redacted+"@")
}

func scrubAll(ss []string, password string) []string {
	out := make([]string, len(ss))
	for i, s := range ss {
		out[i] = scrub(s, password)
	}
	return out
}

// newError builds an Error from a finished run.
func newError(op, target string, args []string, stderr string, exitCode int, cause error) *Error {
	diags := parseDiagnostics(stderr)
	return &Error{
		Op:       op,
		Target:   target,
		Args:     args,
		Codes:    codes(diags),
		Message:  strings.TrimSpace(stderr),
		Kind:     classify(diags),
		ExitCode: exitCode,
		Err:      cause,
	}
}

// errorf builds an Error that did not come from svn's stderr.
func errorf(op, target string, kind error, format string, a ...any) *Error {
	return &Error{Op: op, Target: target, Kind: kind, Message: fmt.Sprintf(format, a...), ExitCode: -1}
}
