package main

import (
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"text/tabwriter"

	"github.com/spf13/cobra"

	"github.com/depsync/depsync/carbonapp"
)

func newCappInspectCmd(a *app) *cobra.Command {
	var output string
	cmd := &cobra.Command{
		Use:   "inspect FILE...",
		Short: "Validate C-Apps the way Carbon reads them and show what they hold",
		Long: `Check each C-App (.car) the way Carbon reads it, without extracting anything,
and print its identity (name_version from artifacts.xml, not the file name),
its sha256 and size, its artifacts, and warnings about what Carbon tolerates
but an operator should know (a file name that does not match the id, server
role filtering, files Carbon ignores).

A file is not valid when it is incomplete (empty or truncated: still being
copied), not a zip or a corrupt one, has no root artifacts.xml, holds malformed
XML, has no carbon/application artifact, a dependency without serverRole or one
that names no artifact in the file, an unsafe entry name, or is too large (a
zip bomb is refused before it is inflated).

With -o json, stdout is an array with one object per file:
  [{"file","name","version","id","sha256","size",
    "artifacts":[{"name","version","type","server_role","files"}],
    "warnings":[],"error":null}]
A bad file has "error" set to its reason (and "error_kind" to a stable name
such as "incomplete" or "unresolved_dependency").

Exit status: 0 when every file is valid, 2 when any is not (each bad file's
reason is on stderr, naming the file).`,
		Example: `  # check a C-App before deploying it
  depsync capp inspect HealthCareCompositeExporter_1.0.0.car

  # check every C-App of a build, for a script: ids and digests
  depsync capp inspect -o json target/*.car | jq -r '.[] | "\(.id) \(.sha256)"'`,
		Args: cobra.MinimumNArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			if err := validOutput(output); err != nil {
				return err
			}
			results := make([]inspectResult, 0, len(args))
			bad := 0
			for _, path := range args {
				r := inspectFile(path)
				if r.Error != nil {
					bad++
					fmt.Fprintf(a.stderr, "depsync: %s: %s\n", path, *r.Error)
				}
				results = append(results, r)
			}
			inspectSameIDs(results)
			var err error
			if output == "json" {
				enc := json.NewEncoder(a.stdout)
				enc.SetIndent("", "  ")
				err = enc.Encode(results)
			} else {
				err = inspectText(a.stdout, results)
			}
			if err != nil {
				return failed(err)
			}
			if bad > 0 {
				return &exitError{code: exitBadInput, err: fmt.Errorf("%d of %d C-Apps are not valid", bad, len(args)), silent: true}
			}
			return nil
		},
	}
	cmd.Flags().StringVarP(&output, "output", "o", "text", "output format: text or json")
	return cmd
}

// inspectResult is one file in `capp inspect -o json`.
type inspectResult struct {
	File      string            `json:"file"`
	Name      string            `json:"name"`
	Version   string            `json:"version"`
	ID        string            `json:"id"`
	SHA256    string            `json:"sha256"`
	Size      int64             `json:"size"`
	Artifacts []inspectArtifact `json:"artifacts"`
	Warnings  []string          `json:"warnings"`
	Error     *string           `json:"error"`
	ErrorKind carbonapp.Kind    `json:"error_kind,omitempty"`
}

type inspectArtifact struct {
	Name       string   `json:"name"`
	Version    string   `json:"version"`
	Type       string   `json:"type"`
	ServerRole string   `json:"server_role"`
	Files      []string `json:"files"`
}

func inspectFile(path string) inspectResult {
	r := inspectResult{File: path, Artifacts: []inspectArtifact{}, Warnings: []string{}}
	app, err := carbonapp.ParseFile(path)
	if err != nil {
		msg := err.Error()
		var pe *os.PathError
		if errors.As(err, &pe) {
			msg = pe.Op + ": " + pe.Err.Error() // the path is already named
		}
		r.Error, r.ErrorKind = &msg, carbonapp.KindOf(err)
		if st, serr := os.Stat(path); serr == nil && st.Mode().IsRegular() {
			r.Size = st.Size()
		}
		return r
	}
	r.Name, r.Version, r.ID, r.SHA256, r.Size = app.Name, app.Version, app.ID, app.SHA256, app.Size
	for _, art := range app.Artifacts {
		files := art.Files
		if files == nil {
			files = []string{}
		}
		r.Artifacts = append(r.Artifacts, inspectArtifact{Name: art.Name, Version: art.Version, Type: art.Type, ServerRole: art.ServerRole, Files: files})
	}
	r.Warnings = append(r.Warnings, app.Warnings...)
	return r
}

// inspectSameIDs warns about valid files sharing an id: Carbon refuses the
// second one deployed (an update replaces the file, it is not added beside).
func inspectSameIDs(results []inspectResult) {
	first := map[string]int{}
	for i := range results {
		r := &results[i]
		if r.Error != nil {
			continue
		}
		j, dup := first[r.ID]
		if !dup {
			first[r.ID] = i
			continue
		}
		r.Warnings = append(r.Warnings, fmt.Sprintf("same id %q as %s: Carbon refuses a second file with an id already deployed; replace that file instead", r.ID, results[j].File))
	}
}

func inspectText(w io.Writer, results []inspectResult) error {
	tw := tabwriter.NewWriter(w, 0, 4, 2, ' ', 0)
	for _, r := range results {
		if r.Error != nil {
			if r.ErrorKind != "" {
				fmt.Fprintf(tw, "%s: INVALID (%s)\n", r.File, r.ErrorKind)
			} else {
				fmt.Fprintf(tw, "%s: INVALID\n", r.File)
			}
			continue
		}
		fmt.Fprintf(tw, "%s: %s, %s, %d artifacts\n", r.File, r.ID, inspectSize(r.Size), len(r.Artifacts))
		fmt.Fprintf(tw, "  sha256 %s\n", r.SHA256)
		for _, art := range r.Artifacts {
			fmt.Fprintf(tw, "  %s\t%s\t%s\t%s\n", art.Type, art.Name, art.Version, art.ServerRole)
		}
		for _, warn := range r.Warnings {
			fmt.Fprintf(tw, "  warning: %s\n", warn)
		}
	}
	return tw.Flush()
}

// inspectSize is a size for people: 1.4 MB, 980 B.
func inspectSize(n int64) string {
	const unit = 1000
	if n < unit {
		return fmt.Sprintf("%d B", n)
	}
	div, exp := int64(unit), 0
	for m := n / unit; m >= unit; m /= unit {
		div *= unit
		exp++
	}
	return fmt.Sprintf("%.1f %cB", float64(n)/float64(div), "kMGTPE"[exp])
}
