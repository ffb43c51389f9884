package carbonxml

import (
	"errors"
	"fmt"
	"sort"
	"strconv"
	"strings"
	"unicode/utf8"
)

// Edit returns src with the live <DeploymentSynchronizer> block set to s.
// It is a pure function: every byte outside the block is kept, except that
// with s.SecureVault the Secure Vault namespace is declared on the <Server>
// start tag when it is not declared there yet. Inside the block only the
// children depsync owns are changed; when one is missing it is added next to
// its neighbours in the block's own indentation. When the file has no live
// block, one is inserted before </Server> in the file's indentation and line
// ends. Editing an already edited file returns it unchanged.
func Edit(src []byte, s Settings) ([]byte, error) {
	out, _, err := edit(src, s)
	return out, err
}

// edit is Edit that also says whether the block was created.
func edit(src []byte, s Settings) ([]byte, bool, error) {
	if err := s.validate(); err != nil {
		return nil, false, err
	}
	d, err := parse(src)
	if err != nil {
		return nil, false, err
	}
	if err := d.single(); err != nil {
		return nil, false, err
	}
	e := &editor{d: d, s: s}
	created := len(d.blocks) == 0
	if created {
		e.insertBlock()
	} else {
		e.updateBlock()
	}
	out := e.apply()
	// The result must read back as s: a failure here is a bug, and the
	// file is not written.
	d2, err := parse(out)
	if err != nil {
		return nil, false, fmt.Errorf("internal error: the edited file does not parse (%v); nothing written", err)
	}
	b, err := d2.readBlock()
	if err != nil {
		return nil, false, fmt.Errorf("internal error: %v; nothing written", err)
	}
	if err := s.matches(b); err != nil {
		return nil, false, fmt.Errorf("internal error: %v; nothing written", err)
	}
	return out, created, nil
}

// validate rejects values that cannot be written as element text. It never
// quotes the password.
func (s Settings) validate() error {
	fields := []struct {
		name, v string
		trim    bool
	}{
		{keyRepositoryType, s.RepositoryType, true},
		{keySvnURL, s.SvnURL, true},
		{keySvnUser, s.SvnUser, true},
		{keySvnPassword, s.SvnPassword, false},
	}
	for _, f := range fields {
		if !utf8.ValidString(f.v) {
			return fmt.Errorf("%w: %s is not valid UTF-8", ErrInvalidSettings, f.name)
		}
		for _, r := range f.v {
			if r < 0x20 || r == 0x7F || r == 0xFFFE || r == 0xFFFF {
				return fmt.Errorf("%w: %s contains a control character (a line end or tab?)", ErrInvalidSettings, f.name)
			}
		}
		if f.trim && strings.TrimSpace(f.v) != f.v {
			return fmt.Errorf("%w: %s %q has leading or trailing spaces", ErrInvalidSettings, f.name, f.v)
		}
	}
	return nil
}

// matches checks that a block read back holds s.
func (s Settings) matches(b *Block) error {
	if !b.Present {
		return errors.New("no live <DeploymentSynchronizer> block")
	}
	bad := func(name string, got, want any) error {
		return fmt.Errorf("%s reads back as %v, want %v", name, got, want)
	}
	switch {
	case b.Enabled != s.Enabled:
		return bad(keyEnabled, b.Enabled, s.Enabled)
	case b.AutoCommit != s.AutoCommit:
		return bad(keyAutoCommit, b.AutoCommit, s.AutoCommit)
	case b.AutoCheckout != s.AutoCheckout:
		return bad(keyAutoCheckout, b.AutoCheckout, s.AutoCheckout)
	case s.RepositoryType != "" && b.RepositoryType != s.RepositoryType:
		return bad(keyRepositoryType, b.RepositoryType, s.RepositoryType)
	case s.SvnURL != "" && b.SvnURL != s.SvnURL:
		return bad(keySvnURL, b.SvnURL, s.SvnURL)
	case s.SvnUser != "" && b.SvnUser != s.SvnUser:
		return bad(keySvnUser, b.SvnUser, s.SvnUser)
	case b.SvnURLAppendTenantID != s.SvnURLAppendTenantID:
		return bad(keyAppendTenantID, b.SvnURLAppendTenantID, s.SvnURLAppendTenantID)
	case s.SecureVault && (!b.SecureVault || b.SecretAlias != SecretAlias):
		return errors.New("SvnPassword does not read back as the Secure Vault alias " + SecretAlias)
	case !s.SecureVault && s.SvnPassword != "" && (b.SecureVault || b.SvnPassword.Reveal() != s.SvnPassword):
		return errors.New("SvnPassword does not read back as written")
	case s.clearsPassword() && !b.SecureVault && b.SvnPassword != "":
		return errors.New("SvnPassword still holds a password")
	}
	return nil
}

// clearsPassword reports whether a plain-text SvnPassword is to be emptied.
func (s Settings) clearsPassword() bool {
	return s.ClearPassword && !s.SecureVault && s.SvnPassword == ""
}

// want is one child element depsync writes.
type want struct {
	key, text string
	secure    bool // SvnPassword as a Secure Vault reference
}

func boolText(b bool) string { return strconv.FormatBool(b) }

// wants lists the children to write, in ownedKeys order.
func (s Settings) wants() []want {
	w := []want{
		{key: keyEnabled, text: boolText(s.Enabled)},
		{key: keyAutoCommit, text: boolText(s.AutoCommit)},
		{key: keyAutoCheckout, text: boolText(s.AutoCheckout)},
	}
	if s.RepositoryType != "" {
		w = append(w, want{key: keyRepositoryType, text: s.RepositoryType})
	}
	if s.SvnURL != "" {
		w = append(w, want{key: keySvnURL, text: s.SvnURL})
	}
	if s.SvnUser != "" {
		w = append(w, want{key: keySvnUser, text: s.SvnUser})
	}
	switch {
	case s.SecureVault:
		w = append(w, want{key: keySvnPassword, text: securePlaceholder, secure: true})
	case s.SvnPassword != "":
		w = append(w, want{key: keySvnPassword, text: s.SvnPassword})
	}
	return append(w, want{key: keyAppendTenantID, text: boolText(s.SvnURLAppendTenantID)})
}

// change replaces src[start:end] with text (an insertion when start == end).
type change struct {
	start, end int
	text       string
	seq        int
}

type editor struct {
	d       *document
	s       Settings
	changes []change
	prefix  string // the Secure Vault prefix, once chosen
}

func (e *editor) add(start, end int, text string) {
	e.changes = append(e.changes, change{start: start, end: end, text: text, seq: len(e.changes)})
}

// apply returns the source with the changes made.
func (e *editor) apply() []byte {
	cs := e.changes
	sort.SliceStable(cs, func(i, j int) bool {
		if cs[i].start != cs[j].start {
			return cs[i].start < cs[j].start
		}
		ii, ij := cs[i].start == cs[i].end, cs[j].start == cs[j].end
		if ii != ij {
			return ii // insertions before a replacement at the same offset
		}
		return cs[i].seq < cs[j].seq
	})
	src := e.d.src
	var b strings.Builder
	b.Grow(len(src) + 512)
	pos := 0
	for _, c := range cs {
		b.Write(src[pos:c.start])
		b.WriteString(c.text)
		pos = c.end
	}
	b.Write(src[pos:])
	return []byte(b.String())
}

// render returns a child element as depsync writes it.
func (e *editor) render(w want) string {
	if w.secure {
		return "<" + w.key + " " + e.svnsPrefix() + `:secretAlias="` + SecretAlias + `">` + securePlaceholder + "</" + w.key + ">"
	}
	return "<" + w.key + ">" + e.escape(w.text) + "</" + w.key + ">"
}

// escape makes text safe as element content; in a single-byte file, runes
// beyond ASCII become character references.
func (e *editor) escape(s string) string {
	var b strings.Builder
	for _, r := range s {
		switch {
		case r == '&':
			b.WriteString("&amp;")
		case r == '<':
			b.WriteString("&lt;")
		case r == '>':
			b.WriteString("&gt;")
		case r >= utf8.RuneSelf && e.d.singleByte:
			fmt.Fprintf(&b, "&#%d;", r)
		default:
			b.WriteRune(r)
		}
	}
	return b.String()
}

// svnsPrefix returns the prefix bound to the Secure Vault namespace on the
// <Server> element, declaring it there when missing: the one change outside
// the block, a single attribute appended to the start tag.
func (e *editor) svnsPrefix() string {
	if e.prefix != "" {
		return e.prefix
	}
	taken := map[string]bool{}
	for _, a := range e.d.root.attrs {
		if a.Name.Space == "xmlns" {
			if a.Value == SecureVaultNS {
				e.prefix = a.Name.Local
				return e.prefix
			}
			taken[a.Name.Local] = true
		}
	}
	p := "svns"
	for i := 2; taken[p]; i++ {
		p = "svns" + strconv.Itoa(i)
	}
	e.prefix = p
	src := e.d.src
	at := e.d.root.open.end - 1 // the '>'
	if src[at-1] == '/' {
		at--
	}
	for at > e.d.root.open.start && strings.ContainsRune(" \t\r\n", rune(src[at-1])) {
		at--
	}
	e.add(at, at, ` xmlns:`+p+`="`+SecureVaultNS+`"`)
	return p
}

// indentUnit guesses one level of the file's indentation from the root's
// first child.
func (e *editor) indents() (level1, unit string) {
	level1, unit = "    ", "    "
	if k := e.d.rootKid; k != nil {
		if in, ok := e.d.indentAt(k.open.start); ok && in != "" {
			level1 = in
			rootIn, _ := e.d.indentAt(e.d.root.open.start)
			if strings.HasPrefix(in, rootIn) && len(in) > len(rootIn) {
				unit = in[len(rootIn):]
			} else {
				unit = in
			}
		}
	}
	return level1, unit
}

// blockText renders a whole block: the start tag (without indent), the
// children each on its own line, and the end tag at indent.
func (e *editor) blockText(indent, childIndent string) string {
	nl := e.d.nl
	var b strings.Builder
	b.WriteString("<" + blockName + ">" + nl)
	for _, w := range e.s.wants() {
		b.WriteString(childIndent + e.render(w) + nl)
	}
	b.WriteString(indent + "</" + blockName + ">")
	return b.String()
}

// insertBlock adds a new block as the last child of <Server>.
func (e *editor) insertBlock() {
	d := e.d
	level1, unit := e.indents()
	text := e.blockText(level1, level1+unit)
	if d.rootSelf {
		// <Server .../> becomes <Server ...> block </Server>.
		open := d.src[d.root.open.start:d.root.open.end]
		qname := strings.FieldsFunc(string(open[1:]), func(r rune) bool {
			return r == ' ' || r == '\t' || r == '\r' || r == '\n' || r == '/' || r == '>'
		})[0]
		slash := d.root.open.end - 2
		e.add(slash, d.root.open.end, ">"+d.nl+level1+text+d.nl+"</"+qname+">")
		return
	}
	at := d.root.close.start
	if _, ok := d.indentAt(at); ok {
		e.add(d.lineStartOf(at), d.lineStartOf(at), level1+text+d.nl)
		return
	}
	e.add(at, at, d.nl+level1+text+d.nl)
}

// updateBlock changes the children of the live block that differ from s.
func (e *editor) updateBlock() {
	d := e.d
	blk, kids := d.blocks[0], d.children[0]
	level1, unit := e.indents()
	blockIndent, ok := d.indentAt(blk.open.start)
	if !ok {
		blockIndent = level1
	}
	if blk.selfClosing() {
		e.add(blk.elem.start, blk.elem.end, e.blockText(blockIndent, blockIndent+unit))
		return
	}
	childIndent := blockIndent + unit
	if len(kids) > 0 {
		if in, ok := d.indentAt(kids[0].open.start); ok {
			childIndent = in
		}
	}
	find := func(key string) *element {
		for i := range kids {
			if kids[i].name.Local == key {
				return &kids[i]
			}
		}
		return nil
	}
	wants := map[string]want{}
	for _, w := range e.s.wants() {
		wants[w.key] = w
	}

	if e.s.clearsPassword() {
		if k := find(keySvnPassword); k != nil && !k.selfClosing() && k.close.start > k.open.end {
			if _, hasAlias := secretAliasOf(k.attrs); !hasAlias {
				e.add(k.open.end, k.close.start, "")
			}
		}
	}

	var pending []string // children to add to a block that has none
	for i, key := range ownedKeys {
		w, wanted := wants[key]
		if !wanted {
			continue
		}
		if k := find(key); k != nil {
			e.update(k, w)
			continue
		}
		// Missing: add it after the nearest preceding owned child, else
		// before the first child, else before the end tag.
		var anchor *element
		for j := i - 1; j >= 0 && anchor == nil; j-- {
			anchor = find(ownedKeys[j])
		}
		switch {
		case anchor != nil:
			sep := ""
			if _, ok := d.indentAt(anchor.open.start); ok {
				sep = d.nl + childIndent
			}
			e.add(anchor.elem.end, anchor.elem.end, sep+e.render(w))
		case len(kids) > 0:
			first := kids[0].open.start
			if _, ok := d.indentAt(first); ok {
				ls := d.lineStartOf(first)
				e.add(ls, ls, childIndent+e.render(w)+d.nl)
			} else {
				e.add(first, first, e.render(w))
			}
		default:
			pending = append(pending, e.render(w))
		}
	}
	if len(pending) == 0 {
		return
	}
	at := blk.close.start
	if _, ok := d.indentAt(at); ok {
		ls := d.lineStartOf(at)
		var b strings.Builder
		for _, p := range pending {
			b.WriteString(childIndent + p + d.nl)
		}
		e.add(ls, ls, b.String())
		return
	}
	var b strings.Builder
	for _, p := range pending {
		b.WriteString(d.nl + childIndent + p)
	}
	b.WriteString(d.nl + blockIndent)
	e.add(at, at, b.String())
}

// update rewrites an existing child when it does not hold w: only its text
// when the start tag can stay, else the whole element.
func (e *editor) update(k *element, w want) {
	alias, hasAlias := secretAliasOf(k.attrs)
	if w.secure {
		if hasAlias && alias == SecretAlias {
			return
		}
		e.add(k.elem.start, k.elem.end, e.render(w))
		return
	}
	if !hasAlias && k.text == w.text {
		return
	}
	if hasAlias || k.selfClosing() {
		e.add(k.elem.start, k.elem.end, e.render(w))
		return
	}
	e.add(k.open.end, k.close.start, e.escape(w.text))
}
