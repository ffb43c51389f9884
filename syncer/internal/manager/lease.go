package manager

import (
	"errors"
	"path/filepath"

	"github.com/depsync/depsync/internal/lease"
	"github.com/depsync/depsync/syncer/internal/gate"
)

// commitLeases are read leases on the C-Apps a commit is about to read.
// While one is held, a process that opens the file for writing (or
// truncates it) waits in the kernel until the lease is released, so svn
// commits exactly the bytes the gate checked, never a C-App half rewritten
// in place. Where leases are not to be had (another OS, a file system
// without them, a file depsync does not own) the commit goes on without,
// as before, and the check after the commit still catches a rewrite.
type commitLeases []*lease.Lease

// leaseCApps takes a lease on each C-App of checked (slash paths under
// dir, with the signature the gate saw) and returns the leases and the
// paths that must wait: open for writing somewhere, or changed since the
// gate looked.
func leaseCApps(dir string, checked map[string]gate.Sig) (commitLeases, []string) {
	var (
		held commitLeases
		busy []string
	)
	for p, sig := range checked {
		abs := filepath.Join(dir, filepath.FromSlash(p))
		f, err := lease.Take(abs)
		if errors.Is(err, lease.ErrBusy) {
			busy = append(busy, p)
			continue
		}
		if f != nil {
			held = append(held, f)
		}
		// Under the lease no writer can start; one that finished between
		// the gate's look and the lease shows here.
		if now, err := gate.Stat(abs); err != nil || now != sig {
			busy = append(busy, p)
		}
	}
	return held, busy
}

// release lets waiting writers go on.
func (l commitLeases) release() {
	for _, f := range l {
		f.Release()
	}
}

// holdBusy takes the busy C-Apps out of a commit: they are forgotten as
// checked and written, and told to wait.
func (m *Manager) holdBusy(ready []candidate, busy []string, checked, written map[string]gate.Sig, wait func(string)) []candidate {
	if len(busy) == 0 {
		return ready
	}
	out := ready[:0]
	skip := map[string]bool{}
	for _, p := range busy {
		skip[p] = true
		delete(checked, p)
		delete(written, p)
		wait(p)
		m.log.Debug("C-App open for writing or changed since it was checked; looking again later", "path", p)
	}
	for _, c := range ready {
		if !skip[c.path] {
			out = append(out, c)
		}
	}
	return out
}
