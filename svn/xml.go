package svn

import (
	"encoding/xml"
	"errors"
	"io"
	"time"
)

// forEachElement decodes every element named name, at any depth, with fn.
func forEachElement(r io.Reader, name string, fn func(d *xml.Decoder, se *xml.StartElement) error) error {
	d := xml.NewDecoder(r)
	for {
		tok, err := d.Token()
		if errors.Is(err, io.EOF) {
			return nil
		}
		if err != nil {
			return err
		}
		if se, ok := tok.(xml.StartElement); ok && se.Name.Local == name {
			if err := fn(d, &se); err != nil {
				return err
			}
		}
	}
}

type xmlCommit struct {
	Revision int64  `xml:"revision,attr"`
	Author   string `xml:"author"`
	Date     string `xml:"date"`
}

type xmlInfoEntry struct {
	Path     string    `xml:"path,attr"`
	Kind     string    `xml:"kind,attr"`
	Revision int64     `xml:"revision,attr"`
	URL      string    `xml:"url"`
	RelURL   string    `xml:"relative-url"`
	Root     string    `xml:"repository>root"`
	UUID     string    `xml:"repository>uuid"`
	WCRoot   string    `xml:"wc-info>wcroot-abspath"`
	Schedule string    `xml:"wc-info>schedule"`
	Depth    string    `xml:"wc-info>depth"`
	Commit   xmlCommit `xml:"commit"`
}

func parseInfo(r io.Reader) ([]Info, error) {
	var out []Info
	err := forEachElement(r, "entry", func(d *xml.Decoder, se *xml.StartElement) error {
		var e xmlInfoEntry
		if err := d.DecodeElement(&e, se); err != nil {
			return err
		}
		out = append(out, Info{
			Path:              e.Path,
			URL:               e.URL,
			RelativeURL:       e.RelURL,
			RepoRoot:          e.Root,
			RepoUUID:          e.UUID,
			Revision:          e.Revision,
			Kind:              e.Kind,
			LastChangedRev:    e.Commit.Revision,
			LastChangedAuthor: e.Commit.Author,
			LastChangedDate:   parseTime(e.Commit.Date),
			WCRoot:            e.WCRoot,
			Schedule:          e.Schedule,
			Depth:             e.Depth,
		})
		return nil
	})
	return out, err
}

type xmlStatusEntry struct {
	Path     string `xml:"path,attr"`
	WCStatus struct {
		Item           string    `xml:"item,attr"`
		Props          string    `xml:"props,attr"`
		Revision       *int64    `xml:"revision,attr"`
		WCLocked       bool      `xml:"wc-locked,attr"`
		Copied         bool      `xml:"copied,attr"`
		Switched       bool      `xml:"switched,attr"`
		TreeConflicted bool      `xml:"tree-conflicted,attr"`
		MovedFrom      string    `xml:"moved-from,attr"`
		MovedTo        string    `xml:"moved-to,attr"`
		Commit         xmlCommit `xml:"commit"`
		Lock           *struct {
			Owner string `xml:"owner"`
		} `xml:"lock"`
	} `xml:"wc-status"`
}

func parseStatus(r io.Reader) ([]StatusEntry, error) {
	var out []StatusEntry
	err := forEachElement(r, "entry", func(d *xml.Decoder, se *xml.StartElement) error {
		var e xmlStatusEntry
		if err := d.DecodeElement(&e, se); err != nil {
			return err
		}
		ws := e.WCStatus
		st := StatusEntry{
			Path:           e.Path,
			Item:           ws.Item,
			Props:          ws.Props,
			Locked:         ws.WCLocked,
			TreeConflict:   ws.TreeConflicted,
			Copied:         ws.Copied,
			Switched:       ws.Switched,
			Revision:       -1,
			LastChangedRev: ws.Commit.Revision,
		}
		if ws.Revision != nil {
			st.Revision = *ws.Revision
		}
		if ws.Lock != nil {
			st.LockOwner = ws.Lock.Owner
			if st.LockOwner == "" {
				st.LockOwner = "?"
			}
		}
		out = append(out, st)
		return nil
	})
	return out, err
}

type xmlLogEntry struct {
	Revision int64  `xml:"revision,attr"`
	Author   string `xml:"author"`
	Date     string `xml:"date"`
	Msg      string `xml:"msg"`
	Paths    []struct {
		Action string `xml:"action,attr"`
		Kind   string `xml:"kind,attr"`
		Path   string `xml:",chardata"`
	} `xml:"paths>path"`
}

func parseLog(r io.Reader) ([]LogEntry, error) {
	var out []LogEntry
	err := forEachElement(r, "logentry", func(d *xml.Decoder, se *xml.StartElement) error {
		var e xmlLogEntry
		if err := d.DecodeElement(&e, se); err != nil {
			return err
		}
		le := LogEntry{Revision: e.Revision, Author: e.Author, Message: e.Msg, Date: parseTime(e.Date)}
		for _, p := range e.Paths {
			le.Paths = append(le.Paths, p.Path)
			le.Changes = append(le.Changes, LogChange{Path: p.Path, Action: p.Action, Kind: p.Kind})
		}
		out = append(out, le)
		return nil
	})
	return out, err
}

type xmlPropTarget struct {
	Path  string `xml:"path,attr"`
	Props []struct {
		Name  string `xml:"name,attr"`
		Value string `xml:",chardata"`
	} `xml:"property"`
}

// parseProplist returns path -> property names.
func parseProplist(r io.Reader) (map[string][]string, error) {
	out := map[string][]string{}
	err := forEachElement(r, "target", func(d *xml.Decoder, se *xml.StartElement) error {
		var t xmlPropTarget
		if err := d.DecodeElement(&t, se); err != nil {
			return err
		}
		for _, p := range t.Props {
			out[t.Path] = append(out[t.Path], p.Name)
		}
		return nil
	})
	return out, err
}

func parseTime(s string) time.Time {
	t, err := time.Parse(time.RFC3339Nano, s)
	if err != nil {
		return time.Time{}
	}
	return t
}
