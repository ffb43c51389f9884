package carbonapp

import (
	"errors"
	"fmt"
	"io"
	"path/filepath"
	"sort"
	"strings"
)

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
	if strings.TrimSpace(app.Name) == "" {
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
		f := folders.resolve(dep.Artifact, dep.Version, false)
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
			list := unresolved
			if len(list) > 5 {
				list = append(list[:5:5], fmt.Sprintf("and %d more", len(unresolved)-5))
			}
			what = fmt.Sprintf("%d dependencies (%s) match", len(unresolved), strings.Join(list, ", "))
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
	for _, f := range folders.list {
		if !f.used {
			if f.metadata {
				p.warnf("artifact %s (%s/) is not a dependency in metadata.xml: Carbon does not deploy it", depName(f.art.Name, f.art.Version), f.dir)
			} else {
				p.warnf("artifact %s (%s/) is not a dependency in artifacts.xml: Carbon does not deploy it", depName(f.art.Name, f.art.Version), f.dir)
			}
		}
	}
	app.Artifacts = make([]Artifact, 0, len(folders.list))
	for _, f := range folders.list {
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
		if t, _ := c.attr("type"); t == appType {
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

// folders are the artifact folders of a C-App, in name order, indexed by
// name and version (the first folder wins, as in Carbon).
type folders struct {
	list []*folder
	top  map[string]*folder // top-level folders: what artifacts.xml resolves against
	all  map[string]*folder // and the metadata/ ones: what metadata.xml resolves against
}

func artifactKey(name, version string) string { return name + "\x00" + version }

// resolve finds the folder whose artifact.xml has name and version exactly,
// among the top-level folders (and the metadata/ ones when withMetadata).
func (fs *folders) resolve(name, version string, withMetadata bool) *folder {
	if withMetadata {
		return fs.all[artifactKey(name, version)]
	}
	return fs.top[artifactKey(name, version)]
}

// readFolders reads the artifact.xml of every top-level folder, and of every
// folder under metadata/, in name order; and warns about what Carbon ignores.
func (p *parser) readFolders() (*folders, error) {
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
	fs := &folders{top: map[string]*folder{}, all: map[string]*folder{}}
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
			*a.dst, _ = n.attr(a.attr)
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
		key := artifactKey(f.art.Name, f.art.Version)
		index := fs.top
		if f.metadata {
			index = fs.all
		}
		if other := index[key]; other != nil {
			p.warnf("folders %s/ and %s/ both hold artifact %s: Carbon uses only one of them", other.dir, d, depName(f.art.Name, f.art.Version))
		} else {
			index[key] = f
		}
		fs.list = append(fs.list, f)
	}
	for k, f := range fs.top {
		if fs.all[k] == nil || fs.all[k].dir > f.dir {
			fs.all[k] = f
		}
	}
	return fs, nil
}

// readMetadata reads metadata.xml (newer tooling; Carbon 4.x ignores it) and
// descriptor.xml. Their problems are warnings.
func (p *parser) readMetadata(folders *folders) error {
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
					if f := folders.resolve(name, version, true); f != nil {
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
