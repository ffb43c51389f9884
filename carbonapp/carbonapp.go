// Package carbonapp reads and validates WSO2 Carbon Applications (.car files)
// the way Carbon reads them, so that depsync never replicates or pushes a
// C-App that Carbon would choke on, nor a file that is still being copied.
//
// A .car is a zip. Its root artifacts.xml holds one
// <artifact type="carbon/application" name=".." version=".."> whose
// <dependency artifact=".." version=".." serverRole=".."/> children name the
// artifacts to deploy; each top-level folder holds an artifact.xml
// (<artifact name version type serverRole> with <file> children). A C-App's
// identity is name_version from artifacts.xml, never its file name.
//
// Parsing reads the zip's directory and the XML descriptors in memory, within
// Limits, checks every entry's data (CRC) and hashes the file; it never
// extracts anything to disk. A file that is not valid gives an *Error whose
// Kind says why (errors.Is with ErrIncomplete, ErrNotZip, ...).
package carbonapp

import (
	"archive/zip"
	"bytes"
	"crypto/sha256"
	"encoding/binary"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"syscall"
	"unicode/utf8"
)

// App is a valid C-App.
type App struct {
	File         string // the path given to ParseFile, or the name given to Parse
	Name         string // from artifacts.xml
	Version      string // from artifacts.xml; may be empty
	ID           string // Name_Version (Name alone when there is no version): Carbon's identity of the app
	SHA256       string // hex digest of the whole file
	Size         int64  // bytes
	Dependencies []Dependency
	Artifacts    []Artifact // every artifact folder, in folder order (metadata/ ones included)
	Warnings     []string   // what Carbon tolerates but an operator should know
}

// Dependency is a <dependency> of the carbon/application artifact in
// artifacts.xml: an artifact Carbon deploys on a node with ServerRole.
type Dependency struct {
	Artifact   string
	Version    string
	ServerRole string
	Include    bool // the include attribute; true when absent (older tooling leaves it out)
}

// Artifact is what a folder's artifact.xml says.
type Artifact struct {
	Name       string
	Version    string
	Type       string // synapse/api, registry/resource, lib/synapse/mediator, ...
	ServerRole string
	Files      []string // the <file> elements, relative to the artifact's folder
}

// Roles returns the distinct server roles the app's dependencies target, sorted.
// A Carbon node deploys only the dependencies whose serverRole it has.
func (a *App) Roles() []string {
	seen := map[string]bool{}
	var out []string
	for _, d := range a.Dependencies {
		if !seen[d.ServerRole] {
			seen[d.ServerRole] = true
			out = append(out, d.ServerRole)
		}
	}
	sort.Strings(out)
	return out
}

// Limits bound what parsing a C-App may cost. A zero field means its default.
type Limits struct {
	MaxEntries      int   // zip entries (files and folders)
	MaxUncompressed int64 // total uncompressed bytes of all entries
	MaxRatio        int64 // uncompressed/compressed, per large entry and for the whole file
	MaxFileSize     int64 // bytes of the .car itself
}

// DefaultLimits are generous for real C-Apps (the largest seen are tens of
// MB) and stop zip bombs before anything is inflated.
func DefaultLimits() Limits {
	return Limits{
		MaxEntries:      10000,
		MaxUncompressed: 2 << 30,
		MaxRatio:        200,
		MaxFileSize:     1 << 30,
	}
}

func (l Limits) withDefaults() Limits {
	d := DefaultLimits()
	if l.MaxEntries <= 0 {
		l.MaxEntries = d.MaxEntries
	}
	if l.MaxUncompressed <= 0 {
		l.MaxUncompressed = d.MaxUncompressed
	}
	if l.MaxRatio <= 0 {
		l.MaxRatio = d.MaxRatio
	}
	if l.MaxFileSize <= 0 {
		l.MaxFileSize = d.MaxFileSize
	}
	return l
}

// Fixed bounds besides Limits.
const (
	// ratioMinSize: entries smaller than this are not ratio-checked (a few KB
	// of repetitive XML legitimately compress 300:1 and cannot hurt anyone).
	ratioMinSize = 1 << 20
	// maxXMLSize bounds one descriptor (artifacts.xml, artifact.xml, ...).
	maxXMLSize = 4 << 20
	// maxXMLTotal bounds all descriptors read from one C-App.
	maxXMLTotal = 64 << 20
	// dirBytesPerEntry bounds the central directory: a real record is ~100 bytes.
	dirBytesPerEntry = 1024
	minDirSize       = 1 << 20
)

// Root files Carbon (or newer tooling) puts beside the artifact folders.
const (
	artifactsXML  = "artifacts.xml"
	artifactXML   = "artifact.xml"
	metadataXML   = "metadata.xml"
	descriptorXML = "descriptor.xml"
	metadataDir   = "metadata"
	appType       = "carbon/application"
)

// Parser parses C-Apps within its Limits. The zero Parser uses DefaultLimits.
type Parser struct {
	Limits Limits
}

// ParseFile parses the C-App at path with DefaultLimits.
func ParseFile(path string) (*App, error) { return (&Parser{}).ParseFile(path) }

// Parse parses the C-App of size bytes in r with DefaultLimits. name is the
// file name, used for App.File and in warnings.
func Parse(r io.ReaderAt, size int64, name string) (*App, error) {
	return (&Parser{}).Parse(r, size, name)
}

// ParseFile opens, stats and parses the C-App at path. A file whose size or
// modification time changes while it is read is ErrIncomplete: it is still
// being written. Anything but a regular file (a FIFO, a device) is an error,
// found without blocking or reading it.
func (p *Parser) ParseFile(path string) (*App, error) {
	// O_NONBLOCK: a FIFO without a writer would block the open before its
	// type could be checked.
	f, err := os.OpenFile(path, os.O_RDONLY|syscall.O_NONBLOCK, 0)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	before, err := f.Stat()
	if err != nil {
		return nil, err
	}
	if !before.Mode().IsRegular() {
		return nil, fmt.Errorf("%s: not a regular file", path)
	}
	app, err := p.parse(f, before.Size(), filepath.Base(path))
	if testHookParsed != nil {
		testHookParsed()
	}
	if after, serr := f.Stat(); serr == nil && (after.Size() != before.Size() || !after.ModTime().Equal(before.ModTime())) {
		return nil, &Error{Kind: KindIncomplete, Err: err,
			Msg: fmt.Sprintf("incomplete: the file changed while it was read (%d bytes, now %d): it may still be copying; wait for it to finish", before.Size(), after.Size())}
	}
	if err != nil {
		return nil, err
	}
	app.File = path
	return app, nil
}

// testHookParsed, when set by a test, runs after ParseFile has read the file.
var testHookParsed func()

// Parse parses the C-App of size bytes in r. name is the file name, used for
// App.File and in warnings.
func (p *Parser) Parse(r io.ReaderAt, size int64, name string) (*App, error) {
	app, err := p.parse(r, size, filepath.Base(name))
	if err != nil {
		return nil, err
	}
	app.File = name
	return app, nil
}

// ParseHashed is Parse for a caller that has already hashed the bytes while
// writing them (as the peer API does): it trusts sum, the hex sha256 of the
// size bytes of r, instead of reading the file once more to hash it.
func (p *Parser) ParseHashed(r io.ReaderAt, size int64, name, sum string) (*App, error) {
	app, err := p.parseWith(r, size, filepath.Base(name), sum)
	if err != nil {
		return nil, err
	}
	app.File = name
	return app, nil
}

// parser is the state of one parse.
type parser struct {
	lim      Limits
	r        io.ReaderAt
	size     int64
	name     string
	zr       *zip.Reader
	files    map[string]*zip.File // file entries by name
	dirs     map[string]bool      // folder names, explicit or implied, without the trailing slash
	xmlTotal int64
	warnings []string
}

func (p *parser) warnf(format string, args ...any) {
	p.warnings = append(p.warnings, fmt.Sprintf(format, args...))
}

func (pp *Parser) parse(r io.ReaderAt, size int64, name string) (*App, error) {
	return pp.parseWith(r, size, name, "")
}

// parseWith parses; sum, when not empty, is the known hex sha256 of the bytes.
func (pp *Parser) parseWith(r io.ReaderAt, size int64, name, sum string) (*App, error) {
	p := &parser{lim: pp.Limits.withDefaults(), r: r, size: size, name: name}
	if size < 0 {
		return nil, fmt.Errorf("negative size %d", size)
	}
	if err := p.openZip(); err != nil {
		return nil, err
	}
	if err := p.checkEntries(); err != nil {
		return nil, err
	}
	app, err := p.readDescriptors()
	if err != nil {
		return nil, err
	}
	if err := p.verifyData(); err != nil {
		return nil, err
	}
	if sum == "" {
		if sum, err = hashReaderAt(r, size); err != nil {
			return nil, err
		}
	}
	app.SHA256 = sum
	app.Size = size
	app.Warnings = p.warnings
	return app, nil
}

// hashReaderAt returns the hex SHA-256 of the size bytes of r, in one
// sequential pass with a large buffer.
func hashReaderAt(r io.ReaderAt, size int64) (string, error) {
	h := sha256.New()
	bufSize := int64(1 << 20)
	if size < bufSize {
		bufSize = max(size, 512)
	}
	if _, err := io.CopyBuffer(h, io.NewSectionReader(r, 0, size), make([]byte, bufSize)); err != nil {
		return "", fmt.Errorf("reading the file for its sha256: %w", err)
	}
	return hex.EncodeToString(h.Sum(nil)), nil
}

// openZip tells an incomplete file from a non-zip and a corrupt zip, bounds
// the central directory, checks local headers against it, and opens the zip.
func (p *parser) openZip() error {
	if p.size == 0 {
		return &Error{Kind: KindIncomplete,
			Msg: "incomplete: empty file (0 bytes): it was just created and may still be copying; wait for it to finish"}
	}
	if p.size > p.lim.MaxFileSize {
		return newErr(KindTooLarge, "", 0, "too large: the file is %d bytes, over the limit of %d", p.size, p.lim.MaxFileSize)
	}
	var head [4]byte
	n := min(int64(len(head)), p.size)
	if err := readFull(p.r, 0, head[:n]); err != nil {
		return readErr("cannot read the start of the file", err)
	}
	startsLocal := bytes.HasPrefix(localMagic, head[:n]) // a whole local header signature, or the start of one
	startsEmpty := n == 4 && binary.LittleEndian.Uint32(head[:]) == sigEnd
	end, found, err := findEnd(p.r, p.size)
	if err != nil {
		return err
	}
	if !found {
		if startsLocal {
			return &Error{Kind: KindIncomplete,
				Msg: "incomplete zip (no end of central directory): the file may still be copying; wait for it to finish (if it is complete, it is truncated: copy it again)"}
		}
		return &Error{Kind: KindNotZip, Msg: "not a zip file (it does not start with a zip header): a C-App (.car) is a zip archive; check the file"}
	}
	if !startsLocal && !startsEmpty {
		return &Error{Kind: KindNotZip,
			Msg: "not a plain zip file: data precedes the first entry (a self-extracting archive?), which Carbon cannot read; build the .car again"}
	}
	if end.disk {
		return errCorrupt("the end record names another disk (a split archive)", nil)
	}
	if end.dirSize > uint64(p.size) || end.dirOff > uint64(p.size) {
		return errCorrupt("the central directory is not inside the file", nil)
	}
	if base := end.at - int64(end.dirSize) - int64(end.dirOff); base != 0 {
		// The directory does not end where the end record is. If the record
		// describes a whole archive that starts later in the file (a
		// connector .zip stored as is), it is that archive's: this one's
		// own end has not been written yet.
		inner := base > 0 && startsLocal &&
			(end.records == 0 && end.dirSize == 0 && end.dirOff == 0 ||
				end.dirSize > 0 && p.startsAt(end.at-int64(end.dirSize), sigCentral) && p.startsAt(base, sigLocal))
		if inner {
			return &Error{Kind: KindIncomplete,
				Msg: "incomplete zip (the last end of central directory belongs to an archive stored inside this one): the file may still be copying; wait for it to finish"}
		}
		return errCorrupt("the central directory is not where the end record says", nil)
	}
	if end.records > uint64(p.lim.MaxEntries) {
		return newErr(KindTooLarge, "", 0, "too large: %d zip entries, over the limit of %d", end.records, p.lim.MaxEntries)
	}
	if maxDir := max(int64(minDirSize), int64(p.lim.MaxEntries)*dirBytesPerEntry); end.dirSize > uint64(maxDir) {
		return newErr(KindTooLarge, "", 0, "too large: the zip's central directory is %d bytes, over the limit of %d", end.dirSize, maxDir)
	}
	if (localLen+centralLen)*end.records > uint64(p.size) {
		return errCorrupt("the end record claims more entries than the file can hold", nil)
	}
	entries, err := readCentral(p.r, end)
	if err != nil {
		return err
	}
	for _, ce := range entries {
		if err := checkName(ce.name); err != nil {
			return err
		}
	}
	if err := checkLocal(p.r, entries, int64(end.dirOff)); err != nil {
		return err
	}
	zr, err := zip.NewReader(p.r, p.size)
	if err != nil && !errors.Is(err, zip.ErrInsecurePath) {
		return errCorrupt("archive/zip cannot read it", err)
	}
	if len(zr.File) != len(entries) {
		return errCorrupt(fmt.Sprintf("the central directory holds %d entries, not %d", len(zr.File), len(entries)), nil)
	}
	for i, f := range zr.File {
		if f.Name != entries[i].name {
			return errCorrupt("the central directory reads differently twice", nil)
		}
	}
	p.zr = zr
	return nil
}

func (p *parser) startsAt(off int64, sig uint32) bool {
	var b [4]byte
	if off < 0 || readFull(p.r, off, b[:]) != nil {
		return false
	}
	return binary.LittleEndian.Uint32(b[:]) == sig
}

// checkName rejects an entry name that could escape the folder it is
// extracted to or that a file system would read differently.
func checkName(name string) error {
	why := ""
	trimmed := strings.TrimSuffix(name, "/")
	switch {
	case name == "" || trimmed == "":
		why = "an empty name"
	case len(name) > maxNameLen:
		why = fmt.Sprintf("a name longer than %d bytes", maxNameLen)
	case strings.IndexByte(name, 0) >= 0:
		why = "a NUL byte in the name"
	case !utf8.ValidString(name):
		why = "a name that is not UTF-8 (Java's zip reader fails on it)"
	case strings.IndexByte(name, '\\') >= 0:
		why = "a backslash in the name (a Windows path separator)"
	case name[0] == '/':
		why = "an absolute path"
	case len(name) >= 2 && name[1] == ':' && isLetter(name[0]):
		why = "a Windows drive letter"
	default:
		for _, c := range strings.Split(trimmed, "/") {
			switch c {
			case "..":
				why = `a ".." path element`
			case ".", "":
				why = `a "." or empty path element`
			}
			if why != "" {
				break
			}
		}
	}
	if why == "" {
		return nil
	}
	return newErr(KindUnsafeEntry, "", 0, "unsafe entry %s: %s; it could be written outside the folder Carbon extracts to: rebuild the C-App", quote(name), why)
}

func isLetter(c byte) bool { return 'a' <= c && c <= 'z' || 'A' <= c && c <= 'Z' }

// checkEntries rejects duplicates, encrypted or unknown entries, and zip
// bombs, before anything is inflated.
func (p *parser) checkEntries() error {
	p.files = make(map[string]*zip.File, len(p.zr.File))
	p.dirs = map[string]bool{}
	var total uint64
	for _, f := range p.zr.File {
		name := strings.TrimSuffix(f.Name, "/")
		isDir := strings.HasSuffix(f.Name, "/")
		_, isFile := p.files[name]
		switch {
		case isFile && !isDir || p.dirs[name] && isDir:
			return newErr(KindUnsafeEntry, f.Name, 0, "unsafe entry: the name appears twice in the zip; which one Carbon extracts is undefined: rebuild the C-App")
		case isFile || p.dirs[name]:
			return newErr(KindUnsafeEntry, f.Name, 0, "unsafe entry: %s is both a file and a folder in the zip: rebuild the C-App", quote(name))
		case isDir:
			p.dirs[name] = true
		default:
			p.files[name] = f
		}
		if f.Flags&0x1 != 0 {
			return newErr(KindNotZip, f.Name, 0, "encrypted zip entry: Carbon cannot read it; build the C-App without encryption")
		}
		if f.Method != zip.Store && f.Method != zip.Deflate {
			return newErr(KindNotZip, f.Name, 0, "unsupported compression method %d: Carbon reads only stored and deflated entries; build the C-App again", f.Method)
		}
		usize, csize := f.UncompressedSize64, f.CompressedSize64
		if total += usize; total > uint64(p.lim.MaxUncompressed) || total < usize {
			return newErr(KindTooLarge, "", 0, "too large: the entries inflate to more than %d bytes (the limit); not inflating it (a zip bomb?)", p.lim.MaxUncompressed)
		}
		if usize >= ratioMinSize && (csize == 0 || usize/csize > uint64(p.lim.MaxRatio)) {
			return newErr(KindTooLarge, f.Name, 0, "too large: %d bytes compressed to %d, a ratio over the limit of %d:1; not inflating it (a zip bomb?)", usize, csize, p.lim.MaxRatio)
		}
	}
	if total >= ratioMinSize && total/uint64(p.size) > uint64(p.lim.MaxRatio) {
		return newErr(KindTooLarge, "", 0, "too large: %d bytes inflate to %d, a ratio over the limit of %d:1; not inflating it (a zip bomb?)", p.size, total, p.lim.MaxRatio)
	}
	// Folders implied by file names; a file may not also be a folder.
	for _, f := range p.zr.File {
		name := f.Name
		for i := strings.IndexByte(name, '/'); i >= 0 && i < len(name)-1; i = nextSlash(name, i) {
			parent := name[:i]
			if _, clash := p.files[parent]; clash {
				return newErr(KindUnsafeEntry, name, 0, "unsafe entry: %s is both a file and a folder in the zip: rebuild the C-App", quote(parent))
			}
			p.dirs[parent] = true
		}
	}
	return nil
}

func nextSlash(s string, i int) int {
	j := strings.IndexByte(s[i+1:], '/')
	if j < 0 {
		return -1
	}
	return i + 1 + j
}

// verifyData inflates every entry to check its CRC-32 and size, as Carbon's
// extraction will. Limits were checked before: this inflates at most
// MaxUncompressed bytes, into nothing.
func (p *parser) verifyData() error {
	buf := make([]byte, 32<<10)
	for _, f := range p.zr.File {
		if strings.HasSuffix(f.Name, "/") && f.UncompressedSize64 == 0 && f.CompressedSize64 <= 2 {
			continue
		}
		rc, err := f.Open()
		if err != nil {
			return errCorrupt("entry "+quote(f.Name)+": cannot open it", err)
		}
		_, err = io.CopyBuffer(io.Discard, rc, buf)
		rc.Close()
		if err != nil {
			return errCorrupt("entry "+quote(f.Name)+": its data does not check out", err)
		}
	}
	return nil
}
