package carbonlog

import "sort"

// The tracker keeps what a node needs to answer for its C-Apps, not every
// name the log ever held: a log naming a million C-Apps (a server that ran
// for years, or a log written to exhaust the daemon) must cost no more than
// one naming a thousand.
const (
	// maxRecent is how many C-Apps whose .car is no longer on disk are
	// kept, the most recent first: the verdicts of C-Apps just removed or
	// being pushed, for capp list and status. The C-Apps on disk are
	// kept whatever their number. Between two prunings at most maxRecent
	// more come in, so at most the C-Apps on disk plus 2*maxRecent are
	// held at any time.
	maxRecent = 1024
	// maxOpen caps the deploys Carbon started and has not closed, one per
	// %T (a tenant): a deploy left open the longest is forgotten first.
	maxOpen = 1024
)

// OnDisk lists the .car file names present in a tenant's carbonapps folder
// (SuperTenant for the super tenant), or nil when none are known.
type OnDisk func(tenant int) map[string]bool

// kept is a state with the order in which it was set.
type kept struct {
	CAppState
	seq uint64
}

// maybePrune prunes once the states and file names outgrow the limit set
// at the last pruning: amortised, one sort per maxRecent new names.
func (t *tracker) maybePrune() {
	if len(t.states)+len(t.files) <= t.limit {
		return
	}
	t.prune()
	t.limit = len(t.states) + len(t.files) + maxRecent
}

// prune keeps the maxRecent most recently set states and those whose file
// is on disk, and the file names of the states kept.
func (t *tracker) prune() {
	disk := map[int]map[string]bool{}
	onDisk := func(tenant int, file string) bool {
		if t.onDisk == nil || file == "" {
			return false
		}
		names, ok := disk[tenant]
		if !ok {
			names = t.onDisk(tenant)
			disk[tenant] = names
		}
		return names[file]
	}
	type aged struct {
		key stateKey
		seq uint64
	}
	all := make([]aged, 0, len(t.states))
	for k, s := range t.states {
		all = append(all, aged{k, s.seq})
	}
	sort.Slice(all, func(i, j int) bool { return all[i].seq > all[j].seq })
	for _, a := range all[min(maxRecent, len(all)):] {
		if s := t.states[a.key]; !onDisk(s.Tenant, s.File) {
			delete(t.states, a.key)
		}
	}
	for k, id := range t.files {
		if _, ok := t.states[stateKey{k.tenant, id}]; ok || onDisk(k.tenant, k.file) {
			continue
		}
		delete(t.files, k)
	}
}

// opened records a deploy started on tid. When maxOpen are open, the
// older half is forgotten first (amortised: one sort per maxOpen/2 opens).
func (t *tracker) opened(tid string, o *openDeploy) {
	t.seq++
	o.seq = t.seq
	if _, ok := t.open[tid]; !ok && len(t.open) >= maxOpen {
		tids := make([]string, 0, len(t.open))
		for k := range t.open {
			tids = append(tids, k)
		}
		sort.Slice(tids, func(i, j int) bool { return t.open[tids[i]].seq < t.open[tids[j]].seq })
		for _, k := range tids[:len(tids)/2] {
			delete(t.open, k)
		}
	}
	t.open[tid] = o
}
