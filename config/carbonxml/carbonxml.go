// Package carbonxml reads and writes the <DeploymentSynchronizer> block of a
// WSO2 Carbon carbon.xml (<CARBON_HOME>/repository/conf/carbon.xml, or
// <PROFILE_HOME>/conf/carbon.xml for EI 6 profiles) without disturbing
// anything else in the file.
//
// The live block is found by parsing, never by text search: the shipped EI
// 6.1.1 files carry a commented-out second <DeploymentSynchronizer> right
// below the live one. Edit changes only the children depsync owns (Enabled,
// AutoCommit, AutoCheckout, RepositoryType, SvnUrl, SvnUser, SvnPassword,
// SvnUrlAppendTenantId); every other byte of the file, including comments,
// whitespace, CRLF line ends, the encoding declaration and child elements
// depsync does not own (SvnClient, SvnForceUpdate, ...), stays as it was.
// The one byte change outside the block is the Secure Vault namespace
// declaration (xmlns:svns) that Settings.SecureVault adds to the <Server>
// start tag when it is missing.
package carbonxml

import (
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"log/slog"

	"github.com/depsync/depsync/config"
	"github.com/depsync/depsync/internal/regfile"
)

// Namespaces and names Carbon uses.
const (
	// CarbonNS is the namespace of carbon.xml's <Server> root.
	CarbonNS = "http://wso2.org/projects/carbon/carbon.xml"
	// SecureVaultNS is the namespace of the svns:secretAlias attribute.
	SecureVaultNS = "http://org.wso2.securevault/configuration"
	// SecretAlias is Carbon's Secure Vault alias for the SVN password.
	SecretAlias = "Carbon.DeploymentSynchronizer.SvnPassword"
	// RepositoryTypeSVN is the only repository type depsync writes.
	RepositoryTypeSVN = "svn"

	blockName = "DeploymentSynchronizer"
	rootName  = "Server"
	// securePlaceholder is the text of a Secure Vault protected element;
	// Carbon ignores it and resolves the alias (it is what Carbon's
	// cipher tool leaves there).
	securePlaceholder = "password"
)

// Children of the block that depsync owns, in the order it writes them.
const (
	keyEnabled        = "Enabled"
	keyAutoCommit     = "AutoCommit"
	keyAutoCheckout   = "AutoCheckout"
	keyRepositoryType = "RepositoryType"
	keySvnURL         = "SvnUrl"
	keySvnUser        = "SvnUser"
	keySvnPassword    = "SvnPassword"
	keyAppendTenantID = "SvnUrlAppendTenantId"
)

var ownedKeys = []string{keyEnabled, keyAutoCommit, keyAutoCheckout, keyRepositoryType,
	keySvnURL, keySvnUser, keySvnPassword, keyAppendTenantID}

func owned(name string) bool {
	for _, k := range ownedKeys {
		if k == name {
			return true
		}
	}
	return false
}

// Settings are the values depsync writes into the block.
//
// An empty RepositoryType, SvnURL, SvnUser or SvnPassword means "leave that
// element as it is in the file" (and do not add it when it is missing).
// With SecureVault, SvnPassword is ignored and the element is written as a
// reference to the Secure Vault alias Carbon.DeploymentSynchronizer.SvnPassword.
type Settings struct {
	Enabled, AutoCommit, AutoCheckout bool
	RepositoryType, SvnURL, SvnUser   string
	SvnPassword                       string
	SvnURLAppendTenantID              bool
	SecureVault                       bool
	// ClearPassword, when SvnPassword is empty and SecureVault is false,
	// empties a plain-text SvnPassword already in the block (a Secure
	// Vault reference stays): with Carbon's own synchronizer off, Carbon
	// reads no password, so none need lie on disk.
	ClearPassword bool
}

// String prints the settings with the password redacted, so that logging
// them (%v, %+v, %#v) does not reveal it.
func (s Settings) String() string {
	return fmt.Sprintf("{Enabled:%t AutoCommit:%t AutoCheckout:%t RepositoryType:%s SvnURL:%s SvnUser:%s SvnPassword:%s SvnURLAppendTenantID:%t SecureVault:%t ClearPassword:%t}",
		s.Enabled, s.AutoCommit, s.AutoCheckout, s.RepositoryType, s.SvnURL, s.SvnUser,
		config.Secret(s.SvnPassword), s.SvnURLAppendTenantID, s.SecureVault, s.ClearPassword)
}

// GoString keeps %#v from revealing the password.
func (s Settings) GoString() string { return "carbonxml.Settings" + s.String() }

// LogValue keeps slog from revealing the password.
func (s Settings) LogValue() slog.Value {
	return slog.GroupValue(
		slog.Bool("enabled", s.Enabled), slog.Bool("auto_commit", s.AutoCommit), slog.Bool("auto_checkout", s.AutoCheckout),
		slog.String("repository_type", s.RepositoryType), slog.String("svn_url", s.SvnURL), slog.String("svn_user", s.SvnUser),
		slog.String("svn_password", config.Secret(s.SvnPassword).String()),
		slog.Bool("svn_url_append_tenant_id", s.SvnURLAppendTenantID), slog.Bool("secure_vault", s.SecureVault))
}

// MarshalJSON keeps encoding/json from revealing the password.
func (s Settings) MarshalJSON() ([]byte, error) {
	type plain Settings
	return json.Marshal(struct {
		plain
		SvnPassword config.Secret
	}{plain(s), config.Secret(s.SvnPassword)})
}

// ForRole returns the settings of a role: a manager commits and checks out
// (AutoCommit=true, AutoCheckout=true), a worker only checks out
// (AutoCommit=false, AutoCheckout=true). Enabled is carbonSync: true when
// Carbon's own synchronizer does the SVN work, false when the depsync daemon
// does it (two agents on one working copy corrupt it). Any other role gets
// AutoCommit=false and AutoCheckout=false; validate the role before.
func ForRole(role string, carbonSync bool) Settings {
	s := Settings{Enabled: carbonSync, RepositoryType: RepositoryTypeSVN}
	switch role {
	case config.RoleManager:
		s.AutoCommit, s.AutoCheckout = true, true
	case config.RoleWorker:
		s.AutoCheckout = true
	}
	return s
}

// FromConfig returns the settings for depsync's own config: the role's
// values with Carbon's synchronizer off (the daemon does the SVN work) and
// the svn.* values except the password. Carbon's synchronizer being off,
// Carbon reads no password: none is written, and a plain-text one left by
// an earlier write is cleared (ClearPassword).
func FromConfig(c *config.Config) Settings {
	s := ForRole(c.Role, false)
	s.SvnURL = c.SVN.URL
	s.SvnUser = c.SVN.Username
	s.ClearPassword = true
	s.SvnURLAppendTenantID = c.SVN.AppendTenantID
	return s
}

// Block is the live <DeploymentSynchronizer> block as read from a file.
// The password is kept (SvnPassword.Reveal()) but prints and marshals as
// <redacted>.
type Block struct {
	// Present is false when the file has no live block; the other fields
	// are then zero.
	Present bool `json:"present"`
	// Line is the line of the block's start tag.
	Line int `json:"line,omitempty"`

	Enabled              bool          `json:"enabled"`
	AutoCommit           bool          `json:"auto_commit"`
	AutoCheckout         bool          `json:"auto_checkout"`
	RepositoryType       string        `json:"repository_type"`
	SvnURL               string        `json:"svn_url"`
	SvnUser              string        `json:"svn_user"`
	SvnPassword          config.Secret `json:"svn_password"`
	SvnURLAppendTenantID bool          `json:"svn_url_append_tenant_id"`
	// SecureVault is true when SvnPassword refers to a Secure Vault alias
	// (SecretAlias) instead of holding the password.
	SecureVault bool   `json:"secure_vault"`
	SecretAlias string `json:"secret_alias,omitempty"`

	// Extra names the child elements depsync does not own (SvnClient,
	// SvnForceUpdate, ...), in file order; they are never changed.
	Extra []string `json:"extra,omitempty"`
}

// Result says what Apply did (or, with DryRun, would do).
type Result struct {
	File string `json:"file"`
	// Status is "created" (the file had no live block), "updated" or
	// "unchanged".
	Status string `json:"status"`
	// Backup is the copy of the file taken before the change, or "".
	Backup string `json:"backup,omitempty"`
	// Diff is a unified diff of the change with password lines redacted,
	// or "" when unchanged.
	Diff string `json:"diff,omitempty"`
}

// Statuses of a Result.
const (
	StatusCreated   = "created"
	StatusUpdated   = "updated"
	StatusUnchanged = "unchanged"
)

// Errors callers can tell apart with errors.Is. Besides these, a missing
// file wraps fs.ErrNotExist and an unreadable or unwritable one
// fs.ErrPermission.
var (
	// ErrMalformed: the file is not well-formed XML; the error is a
	// *SyntaxError with the line and column.
	ErrMalformed = errors.New("malformed XML")
	// ErrNotCarbonXML: the root element is not Carbon's <Server>.
	ErrNotCarbonXML = errors.New("not a carbon.xml")
	// ErrDuplicateBlock: more than one live <DeploymentSynchronizer>.
	ErrDuplicateBlock = errors.New("more than one live <DeploymentSynchronizer> block")
	// ErrDuplicateChild: the live block has one of depsync's children twice.
	ErrDuplicateChild = errors.New("duplicate element in <DeploymentSynchronizer>")
	// ErrUnsupportedEncoding: the file is neither UTF-8 nor an ASCII-based
	// single-byte encoding (ISO-8859-1, US-ASCII, windows-1252).
	ErrUnsupportedEncoding = errors.New("unsupported encoding")
	// ErrInvalidSettings: a value cannot be written to carbon.xml.
	ErrInvalidSettings = errors.New("invalid settings")
	// ErrNotRegular: the path is a directory or another non-regular file
	// (a FIFO, a device).
	ErrNotRegular = regfile.ErrNotRegular
	// ErrTooLarge: the file is larger than MaxFileSize.
	ErrTooLarge = regfile.ErrTooLarge
	// ErrChanged: the file changed on disk while it was being edited.
	ErrChanged = errors.New("file changed while it was being edited; run again")
	// ErrVerify: the written file did not read back as written (it was
	// restored from the backup).
	ErrVerify = errors.New("verification after write failed")
)

// SyntaxError is a well-formedness error at a line and column (1-based;
// the column counts characters).
type SyntaxError struct {
	Line, Column int
	Msg          string
}

func (e *SyntaxError) Error() string {
	return fmt.Sprintf("malformed XML at line %d, column %d: %s", e.Line, e.Column, e.Msg)
}

// Is makes errors.Is(err, ErrMalformed) true.
func (e *SyntaxError) Is(target error) bool { return target == ErrMalformed }

// IsBadInput reports whether err is the user's to fix (the file or the
// settings are wrong, missing or not accessible) rather than a failure of
// the work (an I/O error, a concurrent change).
func IsBadInput(err error) bool {
	for _, e := range []error{ErrMalformed, ErrNotCarbonXML, ErrDuplicateBlock, ErrDuplicateChild,
		ErrUnsupportedEncoding, ErrInvalidSettings, ErrNotRegular, ErrTooLarge, fs.ErrNotExist, fs.ErrPermission} {
		if errors.Is(err, e) {
			return true
		}
	}
	return false
}
