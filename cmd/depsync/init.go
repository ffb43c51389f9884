package main

import (
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"strconv"
	"strings"

	"github.com/spf13/cobra"
	"go.yaml.in/yaml/v3"

	"github.com/depsync/depsync/config"
	"github.com/depsync/depsync/config/carbonxml"
	"github.com/depsync/depsync/internal/atomicfile"
)

type initFlags struct {
	home  string
	role  string
	out   string
	peers []string
}

func newInitCmd(a *app) *cobra.Command {
	var f initFlags
	cmd := &cobra.Command{
		Use:   "init --carbon-home DIR [--role manager|worker] [--out FILE] [--peer URL]...",
		Short: "Write a depsync config from the <DeploymentSynchronizer> block Carbon already has",
		Long: `Write a depsync config for a node that runs (or ran) Carbon's own SVN
Deployment Synchronizer, from the live <DeploymentSynchronizer> block of its
carbon.xml (comments ignored, as carbon-config reads it):

  AutoCommit=true            role: manager
  AutoCheckout=true only     role: worker      (--role overrides either)
  SvnUrl                     svn.url
  SvnUser                    svn.username
  SvnUrlAppendTenantId       svn.append_tenant_id (absent means false, as in Carbon)
  the home given             carbon.home

A plain-text SvnPassword is moved into a password file beside the output
(<name>.svn-password, mode 0600) named in svn.password_file; it is never
printed. A Secure Vault reference (svns:secretAlias) is named in the output
and the config is written without a password: put it in the file named by
svn.password_file or in DEPSYNC_SVN_PASSWORD. A carbon.xml without the block,
or with Enabled=false and no SvnUrl, gives a config without SVN (direct mode:
the manager pushes C-Apps to its peers). With a block, carbon.write_config is
true: depsync run turns Carbon's own synchronizer off and waits for Carbon to
restart before it touches the working copy.

Nothing is overwritten: if the output or the password file exists, nothing is
written. The config is validated exactly as 'depsync config check' does
before it is put in place. --out - prints it to stdout (a password file is
then written in the current folder). carbon.xml itself is not changed.

Exit status: 0 written, 2 bad input (no carbon.xml, no role, a file exists,
the result does not validate: nothing is written), 1 writing failed.`,
		Example: `  # on the manager: read its carbon.xml, name its worker
  depsync init --carbon-home /opt/wso2ei/wso2/analytics --out /etc/depsync/depsync.yaml \
      --peer https://node2.example.com:9780
  depsync config check --config /etc/depsync/depsync.yaml

  # a block that says neither role, printed rather than written
  depsync init --carbon-home /opt/wso2/carbon --role worker --out -`,
		Args: cobra.NoArgs,
		RunE: func(_ *cobra.Command, _ []string) error {
			return a.initConfig(&f)
		},
	}
	fl := cmd.Flags()
	fl.StringVar(&f.home, "carbon-home", "", "Carbon or EI profile home whose carbon.xml is read (required)")
	fl.StringVar(&f.role, "role", "", "manager or worker (default: from AutoCommit/AutoCheckout)")
	fl.StringVar(&f.out, "out", "depsync.yaml", "config file to write, - for stdout")
	fl.StringArrayVar(&f.peers, "peer", nil, "base URL of another node's depsync (repeat): the workers on a manager, the manager on a worker")
	return cmd
}

// initRole decides the node's role from the block and --role (flag, ""
// when not given): --role wins, else AutoCommit means manager and
// AutoCheckout alone worker.
func initRole(b *carbonxml.Block, flag string) (string, error) {
	switch flag {
	case config.RoleManager, config.RoleWorker:
		return flag, nil
	case "":
	default:
		return "", fmt.Errorf("--role %q: must be manager or worker", flag)
	}
	switch {
	case !b.Present:
		return "", errors.New("carbon.xml has no <DeploymentSynchronizer> block to take the role from: give --role manager or --role worker")
	case b.AutoCommit:
		return config.RoleManager, nil
	case b.AutoCheckout:
		return config.RoleWorker, nil
	}
	return "", fmt.Errorf("<DeploymentSynchronizer> (line %d) has neither AutoCommit=true (manager) nor AutoCheckout=true (worker): "+
		"give --role manager or --role worker", b.Line)
}

// initDoc is the config init writes, in the order a person reads it.
type initDoc struct {
	Role   string `yaml:"role"`
	Carbon struct {
		Home        string `yaml:"home"`
		WriteConfig bool   `yaml:"write_config"`
		Tenants     string `yaml:"tenants,omitempty"`
	} `yaml:"carbon"`
	SVN *initSVN `yaml:"svn,omitempty"`
	// Peers is written even when empty: it is the key to fill in next.
	Peers []string `yaml:"peers"`
}

type initSVN struct {
	URL          string `yaml:"url"`
	Username     string `yaml:"username,omitempty"`
	PasswordFile string `yaml:"password_file,omitempty"`
	// AppendTenantID is always written: Carbon's absent means false,
	// depsync's default is true.
	AppendTenantID bool `yaml:"append_tenant_id"`
}

// initPlan is what init found and will write.
type initPlan struct {
	xml   string
	block *carbonxml.Block
	doc   initDoc
	// password is the plain-text SvnPassword to move into pwFile.
	password config.Secret
	pwFile   string
	notes    []string
}

func (a *app) initConfig(f *initFlags) error {
	if f.home == "" {
		return usageError{errors.New("--carbon-home DIR is required: the Carbon home whose carbon.xml is read")}
	}
	if f.out == "" {
		return usageError{errors.New("--out is empty: give a file, or - for stdout")}
	}
	home, err := filepath.Abs(f.home)
	if err != nil {
		return badInput(fmt.Errorf("--carbon-home %s: %w", f.home, err))
	}
	if fi, err := os.Stat(home); err != nil || !fi.IsDir() {
		return badInput(fmt.Errorf("--carbon-home %s: not a folder", home))
	}
	xml := config.CarbonXMLPath(home)
	b, err := carbonxml.Read(xml)
	if err != nil {
		if carbonxml.IsBadInput(err) {
			return badInput(fmt.Errorf("%w (is %s a Carbon home?)", err, home))
		}
		return failed(err)
	}
	role, err := initRole(b, f.role)
	if err != nil {
		return badInput(fmt.Errorf("%s: %w", xml, err))
	}
	out := f.out
	if out != "-" {
		if out, err = filepath.Abs(out); err != nil {
			return badInput(fmt.Errorf("--out %s: %w", f.out, err))
		}
		if fi, err := os.Stat(filepath.Dir(out)); err != nil || !fi.IsDir() {
			return badInput(fmt.Errorf("--out %s: the folder %s does not exist", f.out, filepath.Dir(out)))
		}
	}
	p := planInit(home, xml, b, role, out, f.peers)
	return a.writeInit(p, out)
}

// planInit maps the block onto depsync's keys and says what it did.
func planInit(home, xml string, b *carbonxml.Block, role, out string, peers []string) *initPlan {
	p := &initPlan{xml: xml, block: b}
	p.doc.Role = role
	p.doc.Carbon.Home = home
	p.doc.Peers = append([]string{}, peers...)
	// The block is there: depsync run turns Carbon's synchronizer off
	// and keeps this role's values in it.
	p.doc.Carbon.WriteConfig = b.Present
	switch {
	case !b.Present:
		p.notes = append(p.notes, "carbon.xml has no <DeploymentSynchronizer> block: no SVN (direct mode, the manager pushes C-Apps to its peers)")
		return p
	case b.SvnURL == "":
		p.notes = append(p.notes, fmt.Sprintf("<DeploymentSynchronizer> (line %d) has no SvnUrl: no SVN (direct mode, the manager pushes C-Apps to its peers)", b.Line))
		return p
	}
	s := &initSVN{URL: strings.TrimRight(b.SvnURL, "/"), Username: b.SvnUser, AppendTenantID: b.SvnURLAppendTenantID}
	p.doc.SVN = s
	if rt := b.RepositoryType; rt != "" && !strings.EqualFold(rt, carbonxml.RepositoryTypeSVN) {
		p.notes = append(p.notes, fmt.Sprintf("RepositoryType is %q; depsync speaks only svn", rt))
	}
	if !b.Enabled {
		p.notes = append(p.notes, "Carbon's own synchronizer is already off (Enabled=false); its SVN settings are taken as they are")
	}
	switch {
	case b.SecureVault:
		p.notes = append(p.notes, fmt.Sprintf("SvnPassword is the Secure Vault alias %s: no password is written; "+
			"put the SVN password in a file (mode 0600) named by svn.password_file, or in DEPSYNC_SVN_PASSWORD", b.SecretAlias))
	case strings.TrimSpace(b.SvnPassword.Reveal()) != "":
		p.password = config.Secret(strings.TrimSpace(b.SvnPassword.Reveal()))
		p.pwFile = passwordFileFor(out)
		s.PasswordFile = p.pwFile
	default:
		p.notes = append(p.notes, "carbon.xml holds no SVN password: if the server needs one, set svn.password_file or DEPSYNC_SVN_PASSWORD")
	}
	if s.AppendTenantID && hasTenants(home) {
		p.doc.Carbon.Tenants = config.TenantsAll
		p.notes = append(p.notes, "repository/tenants has tenants and SvnUrlAppendTenantId is true: carbon.tenants: all")
	}
	if len(b.Extra) > 0 {
		p.notes = append(p.notes, "not carried over (depsync uses the svn command line): "+strings.Join(b.Extra, ", "))
	}
	return p
}

// passwordFileFor names the password file beside the output: node1.yaml
// gets node1.svn-password; stdout gets depsync.svn-password in the
// current folder.
func passwordFileFor(out string) string {
	if out == "-" {
		wd, _ := os.Getwd()
		return filepath.Join(wd, "depsync.svn-password")
	}
	base := strings.TrimSuffix(filepath.Base(out), filepath.Ext(out))
	return filepath.Join(filepath.Dir(out), base+".svn-password")
}

// hasTenants reports whether <home>/repository/tenants has a tenant folder.
func hasTenants(home string) bool {
	ents, err := os.ReadDir(filepath.Join(home, "repository", "tenants"))
	if err != nil {
		return false
	}
	for _, e := range ents {
		if id, err := strconv.Atoi(e.Name()); err == nil && id > 0 && e.IsDir() {
			return true
		}
	}
	return false
}

// writeInit writes the password file and the config, validates the config
// as config check does, and puts it in place; any failure removes what it
// wrote.
func (a *app) writeInit(p *initPlan, out string) error {
	for _, name := range []string{out, p.pwFile} {
		if name == "" || name == "-" {
			continue
		}
		if _, err := os.Lstat(name); err == nil {
			return badInput(fmt.Errorf("%s exists: init never overwrites a file; move it away or give another --out", name))
		}
	}
	body, err := p.render()
	if err != nil {
		return failed(err)
	}

	dir := filepath.Dir(out)
	if out == "-" {
		if dir, err = os.MkdirTemp("", "depsync-init-*"); err != nil {
			return failed(err)
		}
		defer os.RemoveAll(dir)
	}
	if p.pwFile != "" {
		if err := writeNew(p.pwFile, []byte(p.password.Reveal()+"\n")); err != nil {
			return err
		}
	}
	done := false
	defer func() {
		if !done && p.pwFile != "" {
			_ = os.Remove(p.pwFile)
		}
	}()

	// The bytes validated are the bytes put in place.
	tmp, err := atomicfile.Create(filepath.Join(dir, "depsync.yaml"), atomicfile.Options{Perm: 0o600, Pattern: ".depsync-init-*.yaml"})
	if err != nil {
		return failed(fmt.Errorf("write config: %w", err))
	}
	defer func() { _ = tmp.Cleanup() }()
	if _, err := tmp.Write(body); err != nil {
		return failed(fmt.Errorf("write config: %w", err))
	}
	if err := tmp.Sync(); err != nil {
		return failed(fmt.Errorf("write config: %w", err))
	}
	if err := tmp.Close(); err != nil {
		return failed(fmt.Errorf("write config: %w", err))
	}
	if _, err := checkConfig(tmp.Name()); err != nil {
		// The problems, without the temporary file's name.
		var ve config.ValidationError
		if errors.As(err, &ve) {
			err = ve
		}
		return badInput(fmt.Errorf("the config made from %s does not validate; nothing is written:\n%w", p.xml, err))
	}

	report := a.stdout
	if out == "-" {
		if _, err := a.stdout.Write(body); err != nil {
			return failed(err)
		}
		report = a.stderr
	} else if err := linkNew(tmp.Name(), out); err != nil {
		return err
	}
	done = true
	p.report(report, out)
	return nil
}

// writeNew writes a new file of mode 0600 with data, whole or not at all;
// an existing file is an error and stays as it was.
func writeNew(path string, data []byte) error {
	f, err := atomicfile.Create(path, atomicfile.Options{Perm: 0o600})
	if err != nil {
		return failed(fmt.Errorf("write %s: %w", path, err))
	}
	defer func() { _ = f.Cleanup() }()
	if _, err := f.Write(data); err != nil {
		return failed(fmt.Errorf("write %s: %w", path, err))
	}
	if err := f.Chmod(0o600); err != nil {
		return failed(fmt.Errorf("write %s: %w", path, err))
	}
	if err := f.Sync(); err != nil {
		return failed(fmt.Errorf("write %s: %w", path, err))
	}
	if err := f.Close(); err != nil {
		return failed(fmt.Errorf("write %s: %w", path, err))
	}
	return linkNew(f.Name(), path)
}

// linkNew gives the complete file tmp the name path unless path exists:
// a hard link fails rather than replace, where a rename would not.
func linkNew(tmp, path string) error {
	if err := os.Link(tmp, path); err != nil {
		if errors.Is(err, fs.ErrExist) {
			return badInput(fmt.Errorf("%s exists: init never overwrites a file", path))
		}
		return failed(fmt.Errorf("write %s: %w", path, err))
	}
	_ = atomicfile.SyncDir(filepath.Dir(path))
	return nil
}

// render writes the config with a header saying where it came from.
func (p *initPlan) render() ([]byte, error) {
	var yb strings.Builder
	enc := yaml.NewEncoder(&yb)
	enc.SetIndent(2)
	if err := enc.Encode(p.doc); err != nil {
		return nil, err
	}
	if err := enc.Close(); err != nil {
		return nil, err
	}
	var sb strings.Builder
	fmt.Fprintf(&sb, "# depsync config written by 'depsync init' from %s\n", p.xml)
	if p.block.Present {
		fmt.Fprintf(&sb, "# (<DeploymentSynchronizer> at line %d). Check it with: depsync config check --config <this file>\n", p.block.Line)
	}
	if p.block.SecureVault {
		fmt.Fprintf(&sb, "# The SVN password is the Secure Vault alias %s in carbon.xml and is not here:\n"+
			"# put it in a file (mode 0600) named by svn.password_file, or in DEPSYNC_SVN_PASSWORD.\n", p.block.SecretAlias)
	}
	if len(p.doc.Peers) == 0 {
		sb.WriteString("# peers: the workers' depsync URLs on a manager, the manager's on a worker, e.g. https://node2:9780\n")
	}
	sb.WriteString(yb.String())
	return []byte(sb.String()), nil
}

// report says what was written and what this node does next.
func (p *initPlan) report(w io.Writer, out string) {
	where := out
	if out == "-" {
		where = "stdout"
	}
	from := p.xml
	if p.block.Present {
		from += fmt.Sprintf(" line %d", p.block.Line)
	}
	fmt.Fprintf(w, "depsync init: wrote %s (role: %s, from %s)\n", where, p.doc.Role, from)
	if s := p.doc.SVN; s != nil {
		layout := "the whole deployment directory at svn.url (svn.append_tenant_id: false)"
		if s.AppendTenantID {
			layout = "the super tenant at <svn.url>/-1234, tenant N at <svn.url>/N (svn.append_tenant_id: true)"
		}
		fmt.Fprintf(w, "  SVN %s, %s\n", s.URL, layout)
	}
	if p.pwFile != "" {
		fmt.Fprintf(w, "  the SVN password from carbon.xml is in %s (mode 0600)\n", p.pwFile)
	}
	for _, n := range p.notes {
		fmt.Fprintf(w, "  note: %s\n", n)
	}
	cfg := out
	if out == "-" {
		cfg = "<the file you saved it to>"
	}
	step := 0
	next := func(format string, args ...any) {
		step++
		fmt.Fprintf(w, "  %d. "+format+"\n", append([]any{step}, args...)...)
	}
	fmt.Fprintln(w, "Next steps on this node:")
	if p.block.SecureVault {
		next("put the SVN password in a file (mode 0600) and name it in svn.password_file, or set DEPSYNC_SVN_PASSWORD")
	}
	if len(p.doc.Peers) == 0 {
		other := "each worker's depsync URL"
		if p.doc.Role == config.RoleWorker {
			other = "the manager's depsync URL"
		}
		next("add %s under peers; off loopback set listen, tls.* and token_file (depsync tls init writes them)", other)
	}
	next("depsync config check --config %s", cfg)
	if p.block.Present {
		next("depsync run --config %s: it sets Enabled=false in %s (a backup is kept) and waits for Carbon to restart "+
			"before it runs svn on the working copy", cfg, p.xml)
		next("restart Carbon; depsync starts syncing once the old Carbon process is gone")
	} else {
		next("depsync run --config %s", cfg)
	}
}
