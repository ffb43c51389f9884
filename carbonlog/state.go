// Package carbonlog reads Carbon's own log (wso2carbon.log) and tells the
// state of each Carbon Application (C-App) as Carbon sees it: deploying,
// deployed, faulty (with Carbon's first error line), undeployed or unknown.
// That is its one job; it never writes anything.
//
// It understands the file layouts of EI 6.0-6.2 / Carbon 4.4
// (TID: [%T] [%S] [%d] ...) and EI 6.3-6.5 ([%d] [%T] [%S] [%t] ...), skips
// the continuation lines of multi-line records, follows the file across
// log4j's daily roll-over (rename and a new file) and truncation, and keeps
// bounded memory whatever the size of the log, of one record, or the number
// of C-Apps it names (the C-Apps on disk and a bounded set of recent ones).
package carbonlog

import (
	"sort"
	"strings"
	"time"
)

// SuperTenant is Carbon's id of the super tenant (-1234).
const SuperTenant = -1234

// State is what Carbon last said about a C-App.
type State string

// The states of a C-App.
const (
	// Unknown: Carbon looked at the file and neither deployed nor failed
	// it (e.g. "No artifacts found to be deployed in this server").
	Unknown State = "unknown"
	// Deploying: "Deploying Carbon Application : <file>..." and no verdict yet.
	Deploying State = "deploying"
	// Deployed: "Successfully Deployed Carbon Application : <id> {...}".
	Deployed State = "deployed"
	// Faulty: the deploy failed; Error holds Carbon's first error line.
	Faulty State = "faulty"
	// Undeployed: "Successfully Undeployed ..." or, for a faulty C-App,
	// "Undeploying Faulty Carbon Application On : <path>".
	Undeployed State = "undeployed"
)

// States lists every state, for metrics and validation.
var States = []State{Unknown, Deploying, Deployed, Faulty, Undeployed}

// CAppState is what Carbon's log says about one C-App of one tenant.
type CAppState struct {
	// Tenant is Carbon's tenant id: -1234 for the super tenant.
	Tenant int `json:"tenant"`
	// ID is the C-App's name_version from its artifacts.xml. It is empty
	// when Carbon never logged it (a corrupt archive, or a deploy still in
	// progress whose file was never deployed before): then File names it.
	ID string `json:"id,omitempty"`
	// File is the .car's base name when the log named it (the file name is
	// not the id).
	File  string `json:"file,omitempty"`
	State State  `json:"state"`
	// Time is the time written on the line that set State (Carbon's JVM
	// local time, read in Options.Location).
	Time time.Time `json:"time"`
	// Seen is when this reader read that line (Options.Now). Compare it, not
	// Time, with events of depsync's own clock, and only when Live.
	Seen time.Time `json:"seen"`
	// Live: the reader read the line while following the log, after it
	// had read what the file held when it first opened it. A line read
	// from that history (at each start of the daemon) was written at some
	// earlier time: its Seen says nothing of when Carbon wrote it.
	Live bool `json:"live"`
	// Error is Carbon's first error line for a faulty C-App, or the warning
	// that left it unknown.
	Error string `json:"error,omitempty"`
}

// name is the key of a C-App within a tenant: its id, or its file name
// while the id is not known.
func (s CAppState) name() string {
	if s.ID != "" {
		return s.ID
	}
	return "file:" + s.File
}

type stateKey struct {
	tenant int
	name   string
}

type fileKey struct {
	tenant int
	file   string
}

// openDeploy is a deploy Carbon has started (DEPLOYING) on one thread
// context (%T) and not yet closed.
type openDeploy struct {
	tenant   int
	file     string
	err      string // first ERROR message while deploying
	failed   bool   // "Error occurred while deploying Carbon Application" seen
	dup      bool   // "... already exists. Two applications can't have the same Id."
	wantCont bool   // take the next continuation line as err
	seq      uint64 // when it was opened (see opened)
}

// maxKept caps the text kept from one line (an error message); the rest is
// dropped so a huge record costs no memory.
const maxKept = 4096

// tracker turns records into C-App states. It is not safe for concurrent
// use; Reader guards it.
type tracker struct {
	states map[stateKey]kept
	files  map[fileKey]string     // file name -> id, learnt from the log
	open   map[string]*openDeploy // by %T
	cont   *openDeploy            // the deploy wanting the next continuation line
	now    func() time.Time
	onDisk OnDisk // the C-Apps kept whatever their age (see prune)
	seq    uint64 // orders states and open deploys, oldest first
	limit  int    // the size of states and files that triggers prune
	// live marks the lines applied from now on as read live (CAppState.Live).
	live bool
}

func newTracker(now func() time.Time) *tracker {
	t := &tracker{now: now}
	t.reset()
	return t
}

func (t *tracker) reset() {
	t.states = map[stateKey]kept{}
	t.files = map[fileKey]string{}
	t.open = map[string]*openDeploy{}
	t.cont = nil
	t.limit = 2 * maxRecent
}

func (t *tracker) set(s CAppState) {
	s.Seen = t.now()
	s.Live = t.live
	if len(s.Error) > maxKept {
		s.Error = s.Error[:maxKept]
	}
	if s.ID != "" && s.File != "" {
		delete(t.states, stateKey{s.Tenant, "file:" + s.File})
	}
	t.seq++
	t.states[stateKey{s.Tenant, s.name()}] = kept{s, t.seq}
	t.maybePrune()
}

// idOf returns the id last logged for a file of a tenant, or "".
func (t *tracker) idOf(tenant int, file string) string {
	return t.files[fileKey{tenant, file}]
}

// line handles one line of the log and reports whether any C-App's state
// changed. Stack-trace lines, most of a big log, are dismissed without
// copying them.
func (t *tracker) line(b []byte, loc *time.Location) bool {
	if len(b) == 0 || (b[0] != 'T' && b[0] != '[') {
		if t.cont != nil {
			t.continuation(string(b))
		}
		return false
	}
	rec, ok := parseHeader(string(b), loc)
	if !ok {
		t.continuation(string(b))
		return false
	}
	return t.apply(rec)
}

// continuation handles a line that is not a record header: only the
// exception line after "Error occurred while deploying Carbon Application"
// is kept, as the error when no earlier ERROR record said why.
func (t *tracker) continuation(line string) {
	if t.cont == nil {
		return
	}
	if s := strings.TrimSpace(line); s != "" {
		t.cont.err = clip(s)
		t.cont.wantCont = false
		t.cont = nil
	}
}

func clip(s string) string {
	if len(s) > maxKept {
		return s[:maxKept]
	}
	return s
}

// apply handles one record and reports whether any C-App's state changed.
func (t *tracker) apply(r record) bool {
	t.cont = nil
	switch r.logger {
	case loggerCoreActivate:
		if r.msg == "Starting WSO2 Carbon..." {
			// A new JVM: what the old one deployed is gone.
			t.reset()
			return true
		}
		return false
	case loggerAppManager:
		return t.appManager(r)
	case loggerCappDeployer:
		return t.cappDeployer(r)
	}
	if r.level == "ERROR" {
		t.noteError(r)
	}
	return false
}

// noteError keeps the first ERROR message written while a deploy is open:
// Carbon's own explanation of why the C-App is faulty.
func (t *tracker) noteError(r record) {
	o := t.open[r.tid]
	if o == nil || o.err != "" {
		return
	}
	o.err = clip(r.msg)
}

func (t *tracker) appManager(r record) bool {
	msg := r.msg
	tenant := tenantOfTID(r.tid)
	switch {
	case strings.HasPrefix(msg, "Deploying Carbon Application : ") && strings.HasSuffix(msg, "..."):
		file := strings.TrimSuffix(strings.TrimPrefix(msg, "Deploying Carbon Application : "), "...")
		t.closeOpen(r)
		t.opened(r.tid, &openDeploy{tenant: tenant, file: file})
		t.set(CAppState{Tenant: tenant, ID: t.idOf(tenant, file), File: file, State: Deploying, Time: r.time})
		return true

	case strings.HasPrefix(msg, "Successfully Deployed Carbon Application : "):
		m := deployedRE.FindStringSubmatch(msg)
		if m == nil {
			return false
		}
		id, tenant := m[1], tenantOfSuffix(m[2], m[3])
		file := ""
		if o := t.open[r.tid]; o != nil {
			file = o.file
			delete(t.open, r.tid)
		} else if prev, ok := t.states[stateKey{tenant, id}]; ok {
			file = prev.File
		}
		if file != "" {
			t.files[fileKey{tenant, file}] = id
		}
		t.set(CAppState{Tenant: tenant, ID: id, File: file, State: Deployed, Time: r.time})
		return true

	case msg == "Error occurred while deploying Carbon Application":
		o := t.open[r.tid]
		if o == nil {
			// A failure with no DEPLOYING seen (the log began mid-deploy).
			o = &openDeploy{tenant: tenant}
			t.opened(r.tid, o)
		}
		o.failed = true
		if o.err == "" {
			// The exception line that follows says why.
			o.wantCont = true
			t.cont = o
		}
		return false

	case strings.HasPrefix(msg, "Reverting successfully deployed artifcats in this CApp : "):
		id := strings.TrimPrefix(msg, "Reverting successfully deployed artifcats in this CApp : ")
		o := t.open[r.tid]
		if o == nil {
			o = &openDeploy{tenant: tenant}
		}
		delete(t.open, r.tid)
		if o.dup {
			// The id belongs to the C-App already deployed; the new file
			// is the faulty one.
			t.set(CAppState{Tenant: o.tenant, File: o.file, State: Faulty, Time: r.time, Error: o.err})
			return true
		}
		if o.file != "" {
			t.files[fileKey{o.tenant, o.file}] = id
		}
		t.set(CAppState{Tenant: o.tenant, ID: id, File: o.file, State: Faulty, Time: r.time, Error: o.err})
		return true

	case strings.HasPrefix(msg, "No artifacts found to be deployed in this server. Ignoring Carbon Application : "):
		file := strings.TrimPrefix(msg, "No artifacts found to be deployed in this server. Ignoring Carbon Application : ")
		delete(t.open, r.tid)
		t.set(CAppState{Tenant: tenant, ID: t.idOf(tenant, file), File: file, State: Unknown, Time: r.time, Error: msg})
		return true

	case strings.HasPrefix(msg, "Some dependencies in cApp : ") && strings.Contains(msg, " were not satisfied."):
		id := strings.TrimPrefix(msg, "Some dependencies in cApp : ")
		id = id[:strings.Index(id, " were not satisfied.")]
		o := t.open[r.tid]
		delete(t.open, r.tid)
		s := CAppState{Tenant: tenant, ID: id, State: Faulty, Time: r.time, Error: msg}
		if o != nil {
			s.File = o.file
			if o.err != "" {
				s.Error = o.err
			}
			if o.file != "" {
				t.files[fileKey{tenant, o.file}] = id
			}
		}
		t.set(s)
		return true

	case strings.HasSuffix(msg, " already exists. Two applications can't have the same Id. Deployment aborted."):
		if o := t.open[r.tid]; o != nil {
			o.dup = true
			if o.err == "" {
				o.err = clip(msg)
			}
		}
		return false

	case strings.HasPrefix(msg, "Successfully Undeployed Carbon Application : "):
		m := undeployedRE.FindStringSubmatch(msg)
		if m == nil {
			return false
		}
		id, tenant := m[1], tenantOfSuffix(m[2], m[3])
		prev := t.states[stateKey{tenant, id}]
		t.set(CAppState{Tenant: tenant, ID: id, File: prev.File, State: Undeployed, Time: r.time})
		return true
	}
	if r.level == "ERROR" {
		t.noteError(r)
	}
	return false
}

func (t *tracker) cappDeployer(r record) bool {
	tenant := tenantOfTID(r.tid)
	switch {
	case strings.HasPrefix(r.msg, "Undeploying Faulty Carbon Application On : "):
		file := baseName(strings.TrimPrefix(r.msg, "Undeploying Faulty Carbon Application On : "))
		id := t.idOf(tenant, file)
		k := stateKey{tenant, CAppState{ID: id, File: file}.name()}
		prev, ok := t.states[k]
		if !ok || prev.State == Deployed {
			// Carbon logs this for files it never deployed; nothing we know.
			return false
		}
		t.set(CAppState{Tenant: tenant, ID: id, File: file, State: Undeployed, Time: r.time})
		return true

	case strings.HasPrefix(r.msg, "Error while deploying carbon application "):
		// An exception escaped deployCarbonApp (e.g. a corrupt archive):
		// no id was ever logged, so the file names the C-App.
		file := baseName(strings.TrimPrefix(r.msg, "Error while deploying carbon application "))
		o := t.open[r.tid]
		delete(t.open, r.tid)
		errLine := ""
		if o != nil {
			errLine = o.err
		}
		if errLine == "" {
			errLine = clip(r.msg)
		}
		t.set(CAppState{Tenant: tenant, ID: t.idOf(tenant, file), File: file, State: Faulty, Time: r.time, Error: errLine})
		return true
	}
	if r.level == "ERROR" {
		t.noteError(r)
	}
	return false
}

// closeOpen closes a deploy left open on r's thread context when a new one
// starts: a failure with no REVERTING line is faulty under its file name.
func (t *tracker) closeOpen(r record) {
	o := t.open[r.tid]
	if o == nil {
		return
	}
	delete(t.open, r.tid)
	if o.failed && o.file != "" {
		t.set(CAppState{Tenant: o.tenant, ID: t.idOf(o.tenant, o.file), File: o.file, State: Faulty, Time: r.time, Error: o.err})
	}
}

// list returns the states sorted by tenant, then id or file.
func (t *tracker) list() []CAppState {
	out := make([]CAppState, 0, len(t.states))
	for _, s := range t.states {
		out = append(out, s.CAppState)
	}
	sort.Slice(out, func(i, j int) bool {
		if out[i].Tenant != out[j].Tenant {
			return out[i].Tenant < out[j].Tenant
		}
		return out[i].name() < out[j].name()
	})
	return out
}

// lookup returns the state of a C-App by id, or by file name when id is "file:<name>".
func (t *tracker) lookup(tenant int, id string) (CAppState, bool) {
	s, ok := t.states[stateKey{tenant, id}]
	return s.CAppState, ok
}

// lookupFile returns the state of the C-App Carbon last deployed from file.
func (t *tracker) lookupFile(tenant int, file string) (CAppState, bool) {
	name := CAppState{ID: t.idOf(tenant, file), File: file}.name()
	s, ok := t.states[stateKey{tenant, name}]
	return s.CAppState, ok
}
