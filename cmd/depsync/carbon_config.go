package main

import (
	"encoding/json"
	"errors"
	"fmt"
	"net/url"
	"path/filepath"
	"strings"
	"text/tabwriter"

	"github.com/spf13/cobra"

	"github.com/depsync/depsync/config"
	"github.com/depsync/depsync/config/carbonxml"
)

type carbonConfigFlags struct {
	role         string
	home, file   string
	svnURL       string
	svnUser      string
	passwordFile string
	appendTenant bool
	carbonSync   bool
	secureVault  bool
	dryRun       bool
	output       string
}

func newCarbonConfigCmd(a *app) *cobra.Command {
	var f carbonConfigFlags
	cmd := &cobra.Command{
		Use:   "carbon-config",
		Short: "Write the <DeploymentSynchronizer> block of carbon.xml for this node's role",
		Long: `Write the <DeploymentSynchronizer> block of carbon.xml
(<CARBON_HOME>/repository/conf/carbon.xml, or <PROFILE_HOME>/conf/carbon.xml
for EI 6 profiles such as <EI_HOME>/wso2/analytics) for a manager
(AutoCommit=true, AutoCheckout=true) or a worker (AutoCommit=false,
AutoCheckout=true), with the SVN settings.

Two agents on one working copy corrupt it. Without --carbon-sync the block
says Enabled=false: the depsync daemon does the SVN work and Carbon's own
synchronizer stays off, while the role and SVN settings are still written so
that handing the work to Carbon later is one flag (--carbon-sync, Enabled=true).

Only the live block is changed, found by parsing (the commented-out block
below it in EI 6.1.1 stays as it is); children depsync does not own, such as
SvnClient, are kept, and every byte outside the block stays as it was. A file
without a live block gets one before </Server>. Before a change the file is
copied to carbon.xml.depsync-<UTC time>.bak next to it, then replaced
atomically and read back. Running it again changes nothing. Restart Carbon
for a change to take effect.

Values not given as flags come from the depsync config (role, carbon.home or
carbon.config_file, svn.url, svn.username, svn.password_file or
DEPSYNC_SVN_PASSWORD, svn.append_tenant_id). The SVN password is written
only when Carbon's own synchronizer is to use it: with --carbon-sync it is
written in plain text, with a warning on stderr, unless --secure-vault makes
SvnPassword refer to the Secure Vault alias
Carbon.DeploymentSynchronizer.SvnPassword instead (and xmlns:svns is declared
on <Server> if missing): add that alias to Carbon's
repository/conf/security/cipher-text.properties and run ciphertool. Without
--carbon-sync Carbon reads no password: none is written, and a plain-text one
already in the block is emptied. Backups of carbon.xml are mode 0600.

Exit status: 0 when written or unchanged, 2 when the input is wrong (malformed
XML, no <Server> root, two live blocks, file missing or not writable: nothing
is written), 1 when writing fails.`,
		Example: `  # a worker whose SVN work the depsync daemon does (Carbon's synchronizer off)
  depsync carbon-config --role worker --carbon-home /opt/wso2ei/wso2/analytics \
    --svn-url http://svn.example:8080/svn/depsync --svn-user carbon --svn-password-file /etc/depsync/svn.pw

  # see the change as a diff first; nothing is written
  depsync carbon-config --role manager --file /opt/wso2ei/wso2/analytics/conf/carbon.xml --dry-run

  # everything from the depsync config, JSON for scripts
  depsync carbon-config --config /etc/depsync/depsync.yaml -o json

  # let Carbon's own synchronizer do the SVN work, password from Secure Vault
  depsync carbon-config --role manager --carbon-home /opt/wso2/carbon --carbon-sync --secure-vault

  # read back what is there
  depsync carbon-config show --carbon-home /opt/wso2ei/wso2/analytics`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			return a.carbonConfig(cmd, &f)
		},
	}
	fl := cmd.Flags()
	fl.StringVar(&f.role, "role", "", "manager or worker (default: role from the config)")
	fl.StringVar(&f.home, "carbon-home", "", "Carbon or EI profile home; carbon.xml is found under it (default: carbon.home)")
	fl.StringVar(&f.file, "file", "", "the carbon.xml to edit (default: carbon.config_file)")
	fl.StringVar(&f.svnURL, "svn-url", "", "SVN repository URL (default: svn.url)")
	fl.StringVar(&f.svnUser, "svn-user", "", "SVN user (default: svn.username)")
	fl.StringVar(&f.passwordFile, "svn-password-file", "", "file holding the SVN password (default: svn.password_file or DEPSYNC_SVN_PASSWORD)")
	fl.BoolVar(&f.appendTenant, "append-tenant-id", false, "SvnUrlAppendTenantId, =true or =false: one repository folder per tenant (default: svn.append_tenant_id, itself true by default)")
	fl.BoolVar(&f.carbonSync, "carbon-sync", false, "Enabled=true: Carbon's own synchronizer does the SVN work instead of the depsync daemon")
	fl.BoolVar(&f.secureVault, "secure-vault", false, "write SvnPassword as a reference to the Secure Vault alias "+carbonxml.SecretAlias)
	fl.BoolVar(&f.dryRun, "dry-run", false, "print the change as a unified diff and write nothing")
	fl.StringVarP(&f.output, "output", "o", "text", "output format: text or json")

	cmd.AddCommand(newCarbonConfigShowCmd(a))
	return cmd
}

func (a *app) carbonConfig(cmd *cobra.Command, f *carbonConfigFlags) error {
	if err := validOutput(f.output); err != nil {
		return err
	}
	if f.home != "" && f.file != "" {
		return usageError{errors.New("--carbon-home and --file exclude each other: give one")}
	}
	c, err := a.loadConfig(nil)
	if err != nil {
		return err
	}
	changed := cmd.Flags().Changed

	role := c.Role
	if changed("role") {
		role = f.role
	}
	switch role {
	case config.RoleManager, config.RoleWorker:
	case "":
		return badInput(errors.New("no role: give --role manager or --role worker, or set role in the config"))
	default:
		return badInput(fmt.Errorf("--role %q: must be manager or worker", role))
	}
	path, err := carbonXMLFile(f.home, f.file, c)
	if err != nil {
		return err
	}

	s := carbonxml.ForRole(role, f.carbonSync)
	s.SecureVault = f.secureVault
	urlFrom := "svn.url"
	s.SvnURL = c.SVN.URL
	if changed("svn-url") {
		s.SvnURL, urlFrom = strings.TrimRight(f.svnURL, "/"), "--svn-url"
	}
	if s.SvnURL != "" || changed("svn-url") {
		if err := checkSvnURL(urlFrom, s.SvnURL); err != nil {
			return badInput(err)
		}
	}
	s.SvnUser = c.SVN.Username
	if changed("svn-user") {
		s.SvnUser = f.svnUser
	}
	s.SvnURLAppendTenantID = c.SVN.AppendTenantID
	if changed("append-tenant-id") {
		s.SvnURLAppendTenantID = f.appendTenant
	}
	password, source := c.SVN.Password.Reveal(), c.SVN.PasswordFile
	if source == "" {
		source = "DEPSYNC_SVN_PASSWORD"
	}
	if f.passwordFile != "" {
		if password, err = config.ReadSecretFile(f.passwordFile); err != nil {
			return badInput(fmt.Errorf("--svn-password-file %s: %w", f.passwordFile, err))
		}
		source = f.passwordFile
	}

	if s.SvnURL == "" {
		if f.carbonSync {
			return badInput(errors.New("--carbon-sync needs an SVN URL for Carbon's synchronizer: give --svn-url or set svn.url"))
		}
		a.warn("no SVN URL (--svn-url or svn.url): SvnUrl is left as it is in %s", path)
	}
	switch {
	case f.secureVault:
		// The password stays out of the file.
	case !f.carbonSync:
		// Carbon's synchronizer is off and reads no password: none need
		// lie on disk.
		s.ClearPassword = true
		if password != "" {
			fmt.Fprintf(a.stderr, "depsync: note: the SVN password (from %s) is not written to %s: Carbon's own synchronizer is off "+
				"and reads none (with --carbon-sync it would be, or its Secure Vault alias with --secure-vault)\n", source, path)
		}
	case password != "":
		s.SvnPassword = password
	default:
		a.warn("no SVN password (--svn-password-file, svn.password_file or DEPSYNC_SVN_PASSWORD): SvnPassword is left as it is in %s", path)
	}

	res, err := carbonxml.Apply(path, s, carbonxml.ApplyOptions{DryRun: f.dryRun})
	if err != nil {
		if carbonxml.IsBadInput(err) {
			return badInput(err)
		}
		return failed(err)
	}
	if s.SvnPassword != "" {
		verb := "is written"
		switch {
		case res.Status == carbonxml.StatusUnchanged:
			verb = "stays"
		case f.dryRun:
			verb = "would be written"
		}
		a.warn("the SVN password (from %s) %s in %s in plain text; --secure-vault keeps it out of the file", source, verb, path)
	}

	if f.output == "json" {
		out := struct {
			File    string `json:"file"`
			Status  string `json:"status"`
			Backup  string `json:"backup"`
			Role    string `json:"role"`
			Enabled bool   `json:"enabled"`
			DryRun  bool   `json:"dry_run,omitempty"`
			Diff    string `json:"diff,omitempty"`
		}{File: res.File, Status: res.Status, Backup: res.Backup, Role: role, Enabled: s.Enabled, DryRun: f.dryRun}
		if f.dryRun {
			out.Diff = res.Diff
		}
		enc := json.NewEncoder(a.stdout)
		enc.SetIndent("", "  ")
		return enc.Encode(out)
	}
	what := res.Status
	switch {
	case f.dryRun && res.Status == carbonxml.StatusUnchanged:
		what = "unchanged (dry run: nothing written)"
	case f.dryRun:
		fmt.Fprint(a.stdout, res.Diff)
		what = "would be " + res.Status + " (dry run: nothing written)"
	case res.Backup != "":
		what += " (backup " + res.Backup + ")"
	}
	_, err = fmt.Fprintf(a.stdout, "carbon.xml %s: %s; Carbon's own synchronizer: %s\n", res.File, what, syncState(s.Enabled))
	return err
}

// syncState says who does the SVN work.
func syncState(enabled bool) string {
	if enabled {
		return "on (Carbon does the SVN work; do not let a depsync daemon sync SVN on this node)"
	}
	return "off (depsync does the SVN work)"
}

func (a *app) warn(format string, args ...any) {
	fmt.Fprintf(a.stderr, "depsync: warning: "+format+"\n", args...)
}

// carbonXMLFile finds the carbon.xml to work on: --file, else under
// --carbon-home, else carbon.config_file (derived from carbon.home).
func carbonXMLFile(home, file string, c *config.Config) (string, error) {
	var p string
	switch {
	case file != "":
		p = file
	case home != "":
		p = config.CarbonXMLPath(home)
	case c != nil && c.Carbon.ConfigFile != "":
		p = c.Carbon.ConfigFile
	default:
		return "", badInput(errors.New("which carbon.xml? give --carbon-home DIR or --file carbon.xml, or set carbon.home in the config"))
	}
	if abs, err := filepath.Abs(p); err == nil {
		p = abs
	}
	return p, nil
}

// checkSvnURL applies svn.url's rules to the URL written to carbon.xml;
// name is where it came from (--svn-url or svn.url).
func checkSvnURL(name, s string) error {
	if s == "" {
		return fmt.Errorf("%s is empty", name)
	}
	var ue *url.Error
	switch err := config.CheckSVNURL(s); {
	case err == nil:
		return nil
	case errors.Is(err, config.ErrSVNURLCredentials):
		return fmt.Errorf("%s %w: use --svn-user and --svn-password-file", name, err)
	case errors.As(err, &ue):
		return fmt.Errorf("%s: %w", name, err)
	default:
		return fmt.Errorf("%s %q: %w", name, s, err)
	}
}

func newCarbonConfigShowCmd(a *app) *cobra.Command {
	var home, file, output string
	cmd := &cobra.Command{
		Use:   "show",
		Short: "Print the live <DeploymentSynchronizer> block of carbon.xml (password redacted)",
		Long: `Print the values of the live <DeploymentSynchronizer> block of carbon.xml,
with the password redacted, and whether Carbon's own synchronizer is enabled
(Enabled=true: Carbon does the SVN work) or not. Children depsync does not own
are listed by name. Without --carbon-home or --file the file comes from the
depsync config (carbon.config_file or carbon.home).

Exit status: 0 when the file was read (with or without a block), 2 when it is
missing, unreadable or not a well-formed carbon.xml.`,
		Example: `  depsync carbon-config show --carbon-home /opt/wso2ei/wso2/analytics
  depsync carbon-config show --file /opt/wso2/carbon/repository/conf/carbon.xml -o json`,
		Args: cobra.NoArgs,
		RunE: func(_ *cobra.Command, _ []string) error {
			if err := validOutput(output); err != nil {
				return err
			}
			if home != "" && file != "" {
				return usageError{errors.New("--carbon-home and --file exclude each other: give one")}
			}
			var c *config.Config
			if home == "" && file == "" {
				var err error
				if c, err = a.loadConfig(nil); err != nil {
					return err
				}
			}
			path, err := carbonXMLFile(home, file, c)
			if err != nil {
				return err
			}
			b, err := carbonxml.Read(path)
			if err != nil {
				if carbonxml.IsBadInput(err) {
					return badInput(err)
				}
				return failed(err)
			}
			return a.printBlock(path, b, output)
		},
	}
	cmd.Flags().StringVar(&home, "carbon-home", "", "Carbon or EI profile home; carbon.xml is found under it (default: carbon.home)")
	cmd.Flags().StringVar(&file, "file", "", "the carbon.xml to read (default: carbon.config_file)")
	cmd.Flags().StringVarP(&output, "output", "o", "text", "output format: text or json")
	return cmd
}

// blockRole names the role a block's AutoCommit/AutoCheckout stand for.
func blockRole(b *carbonxml.Block) string {
	switch {
	case !b.Present || !b.AutoCheckout:
		return ""
	case b.AutoCommit:
		return config.RoleManager
	default:
		return config.RoleWorker
	}
}

func (a *app) printBlock(path string, b *carbonxml.Block, output string) error {
	carbonSync := b.Present && b.Enabled
	if output == "json" {
		out := struct {
			File       string `json:"file"`
			CarbonSync bool   `json:"carbon_sync"`
			Role       string `json:"role,omitempty"`
			*carbonxml.Block
		}{path, carbonSync, blockRole(b), b}
		enc := json.NewEncoder(a.stdout)
		enc.SetIndent("", "  ")
		return enc.Encode(out)
	}
	fmt.Fprintf(a.stdout, "carbon.xml %s\n", path)
	if !b.Present {
		_, err := fmt.Fprintf(a.stdout, "no live <DeploymentSynchronizer> block; Carbon's own synchronizer: off\n")
		return err
	}
	fmt.Fprintf(a.stdout, "Carbon's own synchronizer: %s\n", syncState(carbonSync))
	role := blockRole(b)
	if role == "" {
		role = "none (AutoCheckout=false)"
	}
	fmt.Fprintf(a.stdout, "role: %s\n<DeploymentSynchronizer> at line %d:\n", role, b.Line)
	password := "(empty)"
	switch {
	case b.SecureVault:
		password = "(Secure Vault alias " + b.SecretAlias + ")"
	case b.SvnPassword != "":
		password = b.SvnPassword.String()
	}
	tw := tabwriter.NewWriter(a.stdout, 0, 0, 2, ' ', 0)
	for _, row := range [][2]string{
		{"Enabled", fmt.Sprint(b.Enabled)},
		{"AutoCommit", fmt.Sprint(b.AutoCommit)},
		{"AutoCheckout", fmt.Sprint(b.AutoCheckout)},
		{"RepositoryType", b.RepositoryType},
		{"SvnUrl", b.SvnURL},
		{"SvnUser", b.SvnUser},
		{"SvnPassword", password},
		{"SvnUrlAppendTenantId", fmt.Sprint(b.SvnURLAppendTenantID)},
	} {
		fmt.Fprintf(tw, "  %s\t%s\n", row[0], row[1])
	}
	if len(b.Extra) > 0 {
		fmt.Fprintf(tw, "  other children\t%s\n", strings.Join(b.Extra, ", "))
	}
	return tw.Flush()
}
