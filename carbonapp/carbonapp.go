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
// being written.
func (p *Parser) ParseFile(path string) (*App, error) {
	f, err := os.Open(path)
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
	sum, err := hashReaderAt(r, size)
	if err != nil {
		return nil, err
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
		if _, dup := p.files[name]; dup || p.dirs[name] && isDir {
			return newErr(KindUnsafeEntry, f.Name, 0, "unsafe entry: the name appears twice in the zip; which one Carbon extracts is undefined: rebuild the C-App")
		}
		if isDir {
			p.dirs[name] = true
		} else {
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
	for name := range p.files {
		for i := strings.IndexByte(name, '/'); i >= 0; i = nextSlash(name, i) {
			parent := name[:i]
			if _, clash := p.files[parent]; clash {
				return newErr(KindUnsafeEntry, name, 0, "unsafe entry: %s is both a file and a folder in the zip: rebuild the C-App", quote(parent))
			}
			p.dirs[parent] = true
		}
	}
	for name := range p.dirs {
		if _, clash := p.files[name]; clash {
			return newErr(KindUnsafeEntry, name, 0, "unsafe entry: %s is both a file and a folder in the zip: rebuild the C-App", quote(name))
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

// readXML reads and parses one descriptor within the XML bounds.
func (p *parser) readXML(name string) (*node, error) {
	f := p.files[name]
	if f.UncompressedSize64 > maxXMLSize {
		return nil, newErr(KindTooLarge, name, 0, "too large: %d bytes, over the limit of %d for a descriptor", f.UncompressedSize64, maxXMLSize)
	}
	if p.xmlTotal += int64(f.UncompressedSize64); p.xmlTotal > maxXMLTotal {
		return nil, newErr(KindTooLarge, name, 0, "too large: the C-App's descriptors total more than %d bytes", maxXMLTotal)
	}
	rc, err := f.Open()
	if err != nil {
		return nil, errCorrupt("entry "+quote(name)+": cannot open it", err)
	}
	defer rc.Close()
	data, err := io.ReadAll(io.LimitReader(rc, maxXMLSize+1))
	if err != nil {
		return nil, errCorrupt("entry "+quote(name)+": cannot inflate it", err)
	}
	return parseXML(name, data)
}

// folder is an artifact folder and what its artifact.xml says.
type folder struct {
	dir      string // "Foo_1.0.0" or "metadata/Foo_metadata_1.0.0"
	art      Artifact
	metadata bool
	used     bool
}

func (p *parser) readDescriptors() (*App, error) {
	if _, ok := p.files[artifactsXML]; !ok {
		msg := "no artifacts.xml at the root of the zip: this is not a C-App Carbon can deploy"
		if nested := p.nestedArtifactsXML(); nested != "" {
			msg += fmt.Sprintf("; %s is one folder down: zip the contents of that folder, not the folder itself", quote(nested))
		}
		return nil, &Error{Kind: KindNoArtifactsXML, Msg: msg}
	}
	root, err := p.readXML(artifactsXML)
	if err != nil {
		return nil, err
	}
	appNode, err := p.applicationArtifact(root)
	if err != nil {
		return nil, err
	}
	app := &App{}
	app.Name, _ = appNode.attr("name")
	app.Version, _ = appNode.attr("version")
	app.Name, app.Version = strings.TrimSpace(app.Name), strings.TrimSpace(app.Version)
	if app.Name == "" {
		return nil, newErr(KindNoApplication, artifactsXML, appNode.line,
			"the carbon/application artifact has no name: Carbon cannot identify the app; set its name attribute")
	}
	for _, v := range []struct{ what, s string }{{"name", app.Name}, {"version", app.Version}} {
		if bad := unusableName(v.s); bad != "" {
			return nil, newErr(KindUnsafeEntry, artifactsXML, appNode.line,
				"unsafe C-App %s %s: it contains %s, and the id names files on every node; rename the app", v.what, quote(v.s), bad)
		}
	}
	app.ID = app.Name
	if app.Version != "" {
		app.ID += "_" + app.Version
	}
	deps := appNode.children("dependency")
	app.Dependencies = make([]Dependency, 0, len(deps))
	for _, d := range deps {
		dep := Dependency{Include: true}
		dep.Artifact, _ = d.attr("artifact")
		dep.Version, _ = d.attr("version")
		dep.ServerRole, _ = d.attr("serverRole")
		if inc, ok := d.attr("include"); ok {
			dep.Include = strings.EqualFold(strings.TrimSpace(inc), "true")
		}
		if strings.TrimSpace(dep.ServerRole) == "" {
			return nil, newErr(KindNoServerRole, artifactsXML, d.line,
				"dependency %s has no serverRole: Carbon crashes deploying the C-App; add serverRole=\"EnterpriseServiceBus\" (or the role of the nodes it is for)",
				depName(dep.Artifact, dep.Version))
		}
		app.Dependencies = append(app.Dependencies, dep)
	}

	folders, err := p.readFolders()
	if err != nil {
		return nil, err
	}
	// Carbon resolves artifacts.xml against the top-level folders only.
	var unresolved []string
	firstLine := 0
	for i, dep := range app.Dependencies {
		f := resolve(folders, dep.Artifact, dep.Version, false)
		if f == nil {
			if firstLine == 0 {
				firstLine = deps[i].line
			}
			unresolved = append(unresolved, depName(dep.Artifact, dep.Version))
			continue
		}
		f.used = true
		if f.art.ServerRole != dep.ServerRole {
			p.warnf("role filtering: dependency %s has serverRole %s in artifacts.xml but %s in %s/artifact.xml; Carbon filters by %s",
				depName(dep.Artifact, dep.Version), quote(dep.ServerRole), quote(f.art.ServerRole), f.dir, quote(dep.ServerRole))
		}
	}
	if len(unresolved) > 0 {
		what := "dependency " + unresolved[0] + " matches"
		if len(unresolved) > 1 {
			what = fmt.Sprintf("%d dependencies (%s) match", len(unresolved), strings.Join(unresolved, ", "))
		}
		return nil, newErr(KindUnresolvedDependency, artifactsXML, firstLine,
			"%s no folder whose artifact.xml has that name and version: Carbon silently drops the whole C-App; add the artifact or remove the dependency", what)
	}

	p.fileNameWarning(app)
	if roles := app.Roles(); len(roles) > 1 {
		p.warnf("role filtering: the dependencies target server roles %s; a node deploys only those matching its own <ServerRoles> in carbon.xml",
			strings.Join(roles, ", "))
	}
	if err := p.readMetadata(folders); err != nil {
		return nil, err
	}
	for _, f := range folders {
		if !f.used {
			if f.metadata {
				p.warnf("artifact %s (%s/) is not a dependency in metadata.xml: Carbon does not deploy it", depName(f.art.Name, f.art.Version), f.dir)
			} else {
				p.warnf("artifact %s (%s/) is not a dependency in artifacts.xml: Carbon does not deploy it", depName(f.art.Name, f.art.Version), f.dir)
			}
		}
	}
	app.Artifacts = make([]Artifact, 0, len(folders))
	for _, f := range folders {
		app.Artifacts = append(app.Artifacts, f.art)
	}
	return app, nil
}

// applicationArtifact finds the carbon/application artifact: Carbon reads the
// root <artifact>, or the <artifact> children of a root <artifacts>.
func (p *parser) applicationArtifact(root *node) (*node, error) {
	var candidates []*node
	switch root.name {
	case "artifact":
		candidates = []*node{root}
	case "artifacts":
		candidates = root.children("artifact")
	default:
		return nil, newErr(KindNoApplication, artifactsXML, root.line,
			"the root element is <%s>, not <artifacts>: no carbon/application artifact; rebuild the C-App", root.name)
	}
	var apps []*node
	for _, c := range candidates {
		if t, _ := c.attr("type"); strings.TrimSpace(t) == appType {
			apps = append(apps, c)
		}
	}
	if len(apps) == 0 {
		return nil, newErr(KindNoApplication, artifactsXML, root.line,
			"no <artifact type=%q>: Carbon does not deploy it as an application; rebuild the C-App with a Composite Exporter project", appType)
	}
	if len(candidates) > 1 {
		p.warnf("artifacts.xml holds %d <artifact> elements; Carbon reads only the last one (it uses the carbon/application one at line %d)",
			len(candidates), apps[len(apps)-1].line)
	}
	return apps[len(apps)-1], nil
}

// unusableName says why an app name or version cannot name a file.
func unusableName(s string) string {
	for _, r := range s {
		switch {
		case r == '/' || r == '\\':
			return "a path separator"
		case r < 0x20 || r == 0x7f:
			return "a control character"
		}
	}
	if s == "." || s == ".." {
		return `only dots`
	}
	return ""
}

func depName(name, version string) string {
	if version == "" {
		return quote(name)
	}
	return quote(name + "_" + version)
}

// resolve finds the folder whose artifact.xml has name and version, as Carbon
// does: the first match, among the top-level folders (and the metadata/ ones
// when withMetadata).
func resolve(folders []*folder, name, version string, withMetadata bool) *folder {
	for _, f := range folders {
		if (withMetadata || !f.metadata) && f.art.Name == name && f.art.Version == version {
			return f
		}
	}
	return nil
}

// readFolders reads the artifact.xml of every top-level folder, and of every
// folder under metadata/, in name order; and warns about what Carbon ignores.
func (p *parser) readFolders() ([]*folder, error) {
	var dirs []string
	for d := range p.dirs {
		if !strings.Contains(d, "/") || (strings.HasPrefix(d, metadataDir+"/") && strings.Count(d, "/") == 1) {
			dirs = append(dirs, d)
		}
	}
	sort.Strings(dirs)
	var rootFiles []string
	for name := range p.files {
		if !strings.Contains(name, "/") {
			switch name {
			case artifactsXML, metadataXML, descriptorXML:
			default:
				rootFiles = append(rootFiles, name)
			}
		}
	}
	sort.Strings(rootFiles)
	for _, name := range rootFiles {
		p.warnf("extra top-level file %s: Carbon ignores it", quote(name))
	}
	var folders []*folder
	seen := map[string]*folder{}
	for _, d := range dirs {
		xmlName := d + "/" + artifactXML
		if _, ok := p.files[xmlName]; !ok {
			if d != metadataDir {
				p.warnf("folder %s/ has no artifact.xml: Carbon ignores it", d)
			}
			continue
		}
		root, err := p.readXML(xmlName)
		if err != nil {
			return nil, err
		}
		n := root
		switch root.name {
		case "artifact":
		case "artifacts":
			arts := root.children("artifact")
			if len(arts) == 0 {
				n = nil
			} else {
				n = arts[len(arts)-1]
			}
		default:
			n = nil
		}
		if n == nil {
			p.warnf("%s: the root element is <%s>, not <artifact>: Carbon ignores the folder", xmlName, root.name)
			continue
		}
		f := &folder{dir: d, metadata: strings.HasPrefix(d, metadataDir+"/")}
		for _, a := range []struct {
			dst  *string
			attr string
		}{{&f.art.Name, "name"}, {&f.art.Version, "version"}, {&f.art.Type, "type"}, {&f.art.ServerRole, "serverRole"}} {
			v, _ := n.attr(a.attr)
			*a.dst = strings.TrimSpace(v)
		}
		f.art.Files = []string{}
		for _, fe := range n.children("file") {
			name := strings.TrimSpace(fe.text.String())
			if name == "" {
				p.warnf("%s:%d: an empty <file> element", xmlName, fe.line)
				continue
			}
			if err := checkName(name); err != nil || strings.HasSuffix(name, "/") {
				return nil, newErr(KindUnsafeEntry, xmlName, fe.line,
					"unsafe <file> %s: it must name a file inside the artifact's folder, or Carbon reads a file outside it: fix the artifact", quote(name))
			}
			f.art.Files = append(f.art.Files, name)
			if _, ok := p.files[d+"/"+name]; !ok {
				p.warnf("%s lists the file %s, which is not in the zip: Carbon fails to deploy the artifact", xmlName, quote(name))
			}
		}
		if f.art.Name == "" {
			p.warnf("%s has no name: no dependency can name it", xmlName)
		}
		if f.art.ServerRole == "" {
			p.warnf("%s has no serverRole", xmlName)
		}
		key := f.art.Name + "\x00" + f.art.Version
		if other := seen[key]; other != nil && other.metadata == f.metadata {
			p.warnf("folders %s/ and %s/ both hold artifact %s: Carbon uses only one of them", other.dir, d, depName(f.art.Name, f.art.Version))
		} else if other == nil {
			seen[key] = f
		}
		folders = append(folders, f)
	}
	return folders, nil
}

// readMetadata reads metadata.xml (newer tooling; Carbon 4.x ignores it) and
// descriptor.xml. Their problems are warnings.
func (p *parser) readMetadata(folders []*folder) error {
	if _, ok := p.files[metadataXML]; ok {
		root, err := p.readXML(metadataXML)
		switch {
		case errors.Is(err, ErrMalformedXML):
			p.warnf("%v (newer Carbon products read it)", err)
		case err != nil:
			return err
		default:
			for _, a := range root.children("artifact") {
				for _, d := range a.children("dependency") {
					name, _ := d.attr("artifact")
					version, _ := d.attr("version")
					if f := resolve(folders, name, version, true); f != nil {
						f.used = true
					} else {
						p.warnf("%s:%d: dependency %s matches no artifact folder", metadataXML, d.line, depName(name, version))
					}
				}
			}
		}
	}
	if _, ok := p.files[descriptorXML]; ok {
		if _, err := p.readXML(descriptorXML); errors.Is(err, ErrMalformedXML) {
			p.warnf("%v (newer Carbon products read it)", err)
		} else if err != nil {
			return err
		}
	}
	return nil
}

// nestedArtifactsXML finds an artifacts.xml one folder down (the C-App was
// zipped with its enclosing folder).
func (p *parser) nestedArtifactsXML() string {
	var found []string
	for name := range p.files {
		if strings.Count(name, "/") == 1 && strings.HasSuffix(name, "/"+artifactsXML) {
			found = append(found, name)
		}
	}
	sort.Strings(found)
	if len(found) == 0 {
		return ""
	}
	return found[0]
}

// fileNameWarning warns when the file is not named after the app's id.
func (p *parser) fileNameWarning(app *App) {
	base := p.name
	if ext := filepath.Ext(base); strings.EqualFold(ext, ".car") {
		base = strings.TrimSuffix(base, ext)
	}
	// Real files are named Name_Version.car, Name-Version.car or Name.car.
	if base == app.ID || base == app.Name+"-"+app.Version || base == app.Name {
		return
	}
	p.warnf("file name %s does not match the C-App id %s: Carbon knows the app by its id (name it %s)",
		quote(p.name), quote(app.ID), quote(app.ID+".car"))
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
