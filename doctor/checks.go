package doctor

import (
	"fmt"
	"net"
	"slices"
	"strconv"
	"strings"
)

// checks run in the order of the guide. Each fails only for the slip it
// exists for, so one misconfiguration gives one failing line: a bad
// localMemberHost is clustering.local_member_host's, not clustering.members'.
var checks = []check{
	{id: IDClusteringEnabled, files: []string{fileAxis2}, run: checkClusteringEnabled},
	{id: IDMembershipScheme, files: []string{fileAxis2}, run: checkMembershipScheme},
	{id: IDMembers, files: []string{fileAxis2}, run: checkMembers},
	{id: IDLocalMemberHost, files: []string{fileAxis2}, run: checkLocalMemberHost},
	{id: IDDomain, files: []string{fileAxis2}, run: checkDomain},
	{id: IDEventProcessorMode, files: []string{fileEP}, run: checkEPMode},
	{id: IDEventProcessorHosts, files: []string{fileEP, fileAxis2}, run: checkEPHosts},
	{id: IDEventProcessorPresen, files: []string{fileEP, fileAxis2}, run: checkEPPresenter},
	{id: IDSparkMaster, files: []string{fileSpark}, run: checkSparkMaster},
	{id: IDSparkMasterCount, files: []string{fileSpark}, run: checkSparkMasterCount},
	{id: IDDatasourcesShared, files: []string{fileMasterDS}, run: checkSharedDatasources},
	{id: IDDatasourcesAnalytics, files: []string{fileAnalytics}, run: checkAnalyticsDatasources},
	{id: IDUserMgtDatasource, files: []string{fileUserMgt, fileMasterDS}, run: checkUserMgt},
	{id: IDRegistryMounts, files: []string{fileRegistry, fileMasterDS}, run: checkRegistry},
	{id: IDDeploymentSyncRoles, files: []string{fileCarbon}, run: checkDeploymentSync},
	{id: IDCAppsSame, run: checkCApps, online: func(f *Facts) bool { return f.CApps != nil }},
	{id: IDPathsSymlink, files: []string{fileSpark}, run: checkSymlink, online: func(f *Facts) bool { return f.CarbonHome != "" }},
}

// verdict collects per-node problems into a Result.
type verdict struct {
	res Result
}

func newVerdict() *verdict { return &verdict{res: Result{Status: OK, Values: map[string]string{}}} }

func (v *verdict) value(n *Facts, s string) { v.res.Values[n.Node] = s }

// add records a problem of gravity s with its detail and fix.
func (v *verdict) add(s Status, detail, fix string) {
	if s.rank() > v.res.Status.rank() {
		v.res.Status = s
	}
	v.res.Detail = joinSentences(v.res.Detail, detail)
	if !strings.Contains(v.res.Fix, fix) {
		v.res.Fix = joinSentences(v.res.Fix, fix)
	}
}

func (v *verdict) done(okDetail string) Result {
	if v.res.Detail == "" {
		v.res.Detail = okDetail
	}
	return v.res
}

func isLoopback(h string) bool {
	h = strings.TrimSpace(h)
	if strings.EqualFold(h, "localhost") {
		return true
	}
	ip := net.ParseIP(strings.Trim(h, "[]"))
	return ip != nil && ip.IsLoopback()
}

func isWildcard(h string) bool {
	h = strings.TrimSpace(h)
	ip := net.ParseIP(strings.Trim(h, "[]"))
	return h == "" || (ip != nil && ip.IsUnspecified())
}

// ownAddr is the node's advertised cluster address, "" when it is unusable
// (clustering.local_member_host reports that).
func ownAddr(f *Facts) string {
	h := f.Clustering.LocalHost
	if isLoopback(h) || isWildcard(h) || strings.Contains(h, "${") {
		return ""
	}
	return h
}

func show(s string) string {
	if s == "" {
		return "(absent)"
	}
	return s
}

func checkClusteringEnabled(nodes []*Facts) Result {
	v := newVerdict()
	for _, n := range nodes {
		c := n.Clustering
		switch {
		case !c.Present:
			v.value(n, "(absent)")
			v.add(Fail, n.Node+": axis2.xml has no <clustering> element",
				fmt.Sprintf(`%s on %s: add <clustering class="org.wso2.carbon.core.clustering.hazelcast.HazelcastClusteringAgent" enable="true"> under <axisconfig>`, n.file(fileAxis2), n.Node))
		case !c.Enabled:
			v.value(n, "false")
			v.add(Fail, n.Node+": Hazelcast clustering is off, so the node forms no cluster",
				fmt.Sprintf(`%s on %s: set enable="true" on <clustering class="...HazelcastClusteringAgent">`, n.file(fileAxis2), n.Node))
		default:
			v.value(n, "true")
		}
	}
	return v.done("clustering is enabled on every node")
}

func checkMembershipScheme(nodes []*Facts) Result {
	v := newVerdict()
	for _, n := range nodes {
		s := n.Clustering.Scheme
		v.value(n, show(s))
		// Axis2 compares the trimmed value case-sensitively; absent = multicast.
		if s != "wka" {
			v.add(Fail, fmt.Sprintf("%s: membershipScheme is %s, so the <members> list is ignored", n.Node, show(s)),
				fmt.Sprintf(`%s on %s: set <parameter name="membershipScheme"> to wka`, n.file(fileAxis2), n.Node))
		}
	}
	return v.done("every node uses well-known-address membership")
}

func checkMembers(nodes []*Facts) Result {
	v := newVerdict()
	var first []string
	for i, n := range nodes {
		ms := n.Clustering.Members
		v.value(n, show(strings.Join(ms, ",")))
		sorted := slices.Clone(ms)
		slices.Sort(sorted)
		if i == 0 {
			first = sorted
		} else if !slices.Equal(first, sorted) {
			v.add(Fail, fmt.Sprintf("%s lists other members than %s: the nodes may form two clusters", n.Node, nodes[0].Node),
				"put the same <members> list (one <member> per node) in <clustering> of axis2.xml on every node")
		}
		for _, m := range ms {
			host, _, _ := strings.Cut(m, ":")
			if isLoopback(host) || isWildcard(host) {
				v.add(Fail, fmt.Sprintf("%s: member %s is not a node's address", n.Node, m),
					fmt.Sprintf("%s on %s: replace <member><hostName>%s</hostName> in <members> with a node's IP", n.file(fileAxis2), n.Node, show(host)))
			}
		}
	}
	// Every node with a usable address must be listed on every node.
	for _, want := range nodes {
		if ownAddr(want) == "" {
			continue
		}
		m := want.Clustering.Member()
		for _, n := range nodes {
			if !slices.Contains(n.Clustering.Members, m) {
				v.add(Fail, fmt.Sprintf("%s's members list lacks %s (%s): it forms a separate cluster (split brain)", n.Node, m, want.Node),
					fmt.Sprintf("%s on %s: add <member><hostName>%s</hostName><port>%s</port></member> to <members>",
						n.file(fileAxis2), n.Node, want.Clustering.LocalHost, want.Clustering.LocalPort))
			}
		}
	}
	return v.done("the same members list on every node, holding every node")
}

func checkLocalMemberHost(nodes []*Facts) Result {
	v := newVerdict()
	seen := map[string]string{}
	for _, n := range nodes {
		h := n.Clustering.LocalHost
		v.value(n, show(h))
		fix := fmt.Sprintf(`%s on %s: set <parameter name="localMemberHost"> to this node's own IP`, n.file(fileAxis2), n.Node)
		switch {
		case isWildcard(h):
			v.add(Fail, fmt.Sprintf("%s: localMemberHost %s is not an address other nodes can reach", n.Node, show(h)), fix)
			continue
		case isLoopback(h):
			v.add(Fail, fmt.Sprintf("%s: localMemberHost %s is a loopback address: Hazelcast only warns and the node clusters with itself", n.Node, h), fix)
			continue
		}
		if other, dup := seen[h]; dup {
			v.add(Fail, fmt.Sprintf("%s and %s both advertise %s", other, n.Node, h), fix)
		}
		seen[h] = n.Node
		if n.LocalAddrs != nil && !slices.Contains(n.LocalAddrs, h) {
			v.add(Fail, fmt.Sprintf("%s: %s is not an address of that host (it has %s)", n.Node, h, strings.Join(n.LocalAddrs, ", ")), fix)
		}
		if n.Clustering.MembersSet && !slices.Contains(n.Clustering.Members, n.Clustering.Member()) {
			// clustering.members fails for this and says what to add.
			v.add(OK, fmt.Sprintf("%s: %s is not in its own members list (see clustering.members)", n.Node, n.Clustering.Member()), "")
		}
	}
	return v.done("every node advertises its own, distinct address")
}

func checkDomain(nodes []*Facts) Result {
	v := newVerdict()
	for _, n := range nodes {
		d := n.Clustering.Domain
		if d == "" {
			d = "wso2.carbon.domain" // Carbon's default when the parameter is absent
		}
		v.value(n, d)
		if d0 := nodes[0].Clustering.Domain; d != orDefault(d0, "wso2.carbon.domain") {
			v.add(Fail, fmt.Sprintf("%s is in domain %s, %s in %s: two clusters", n.Node, d, nodes[0].Node, orDefault(d0, "wso2.carbon.domain")),
				fmt.Sprintf(`%s on %s: set <parameter name="domain"> to %s`, n.file(fileAxis2), n.Node, orDefault(d0, "wso2.carbon.domain")))
		}
	}
	return v.done("one clustering domain")
}

func orDefault(s, d string) string {
	if s == "" {
		return d
	}
	return s
}

func checkEPMode(nodes []*Facts) Result {
	v := newVerdict()
	for _, n := range nodes {
		ep := n.EventProcessor
		file := n.file(fileEP)
		bad := false
		for _, m := range ep.Modes {
			if !m.HasName || !m.HasEn {
				v.add(Fail, fmt.Sprintf("%s: a <mode> lacks its name or enable attribute (the event processor rejects the file)", n.Node),
					fmt.Sprintf(`%s on %s: give every <mode> both name="..." and enable="..."`, file, n.Node))
				bad = true
			}
		}
		active := ep.Active()
		v.value(n, show(active))
		if bad {
			continue
		}
		switch {
		case !ep.HAPresent:
			v.add(Fail, n.Node+": event-processor.xml has no HA mode",
				fmt.Sprintf(`%s on %s: add <mode name="HA" enable="true"> (from the shipped file)`, file, n.Node))
		case strings.EqualFold(active, "HA"):
		case strings.EqualFold(active, "Distributed"):
			v.add(Fail, n.Node+": the Distributed (Storm) mode is on",
				fmt.Sprintf(`%s on %s: set enable="false" on <mode name="Distributed"> and enable="true" on <mode name="HA">`, file, n.Node))
		case active == "":
			v.add(Fail, n.Node+": no mode is enabled, so the node runs single-node",
				fmt.Sprintf(`%s on %s: set enable="true" on <mode name="HA">`, file, n.Node))
		default:
			// The loader takes the first enabled mode: Single listed first
			// wins over HA (EI 6.2/6.3).
			v.add(Fail, fmt.Sprintf("%s: mode %s comes first and is enabled, so the node runs single-node even if HA is on", n.Node, active),
				fmt.Sprintf(`%s on %s: set enable="false" on <mode name="%s"> and enable="true" on <mode name="HA">`, file, n.Node, active))
		}
	}
	return v.done("the HA mode is the active mode on every node")
}

func checkEPHosts(nodes []*Facts) Result {
	v := newVerdict()
	for _, n := range nodes {
		ep := n.EventProcessor
		v.value(n, fmt.Sprintf("eventSync=%s management=%s", show(strings.TrimSpace(ep.SyncHost)), show(strings.TrimSpace(ep.MgmtHost))))
		own := ownAddr(n)
		for _, h := range []struct{ el, val string }{{"eventSync", ep.SyncHost}, {"management", ep.MgmtHost}} {
			want := own
			if want == "" {
				want = "this node's own IP"
			}
			fix := fmt.Sprintf(`%s on %s: set <mode name="HA"><%s><hostName> to %s`, n.file(fileEP), n.Node, h.el, want)
			switch {
			case strings.TrimSpace(h.val) == "":
				// The loader falls back to the local address: it works
				// when that is the right interface.
				v.add(Warn, fmt.Sprintf("%s: %s hostName is blank, the event processor guesses the local address", n.Node, h.el), fix)
			case isWildcard(h.val) || isLoopback(h.val):
				v.add(Fail, fmt.Sprintf("%s: %s hostName %s is not the node's address: the passive node loops on \"CEP HA State syncing failed\"", n.Node, h.el, h.val), fix)
			case h.val != strings.TrimSpace(h.val):
				// Used as written, untrimmed.
				v.add(Fail, fmt.Sprintf("%s: %s hostName %q has spaces around it (used as written)", n.Node, h.el, h.val), fix)
			case own != "" && h.val != own && (n.LocalAddrs == nil || !slices.Contains(n.LocalAddrs, h.val)):
				v.add(Fail, fmt.Sprintf("%s: %s hostName %s is not the node's address %s (localMemberHost)", n.Node, h.el, h.val, own), fix)
			}
		}
	}
	return v.done("eventSync and management hosts are each node's own address")
}

func checkEPPresenter(nodes []*Facts) Result {
	v := newVerdict()
	var presenters []*Facts
	for _, n := range nodes {
		role := "worker"
		if n.EventProcessor.Presenter {
			role = "presenter"
			presenters = append(presenters, n)
		}
		v.value(n, fmt.Sprintf("%s presentation=%s", role, show(strings.TrimSpace(n.EventProcessor.PresentationHost))))
	}
	if len(presenters) > 1 {
		for _, p := range presenters[1:] {
			v.add(Fail, fmt.Sprintf("%d nodes are presenters (%s and %s)", len(presenters), presenters[0].Node, p.Node),
				fmt.Sprintf(`%s on %s: set enable="false" on <mode name="HA"><nodeType><presenter>`, p.file(fileEP), p.Node))
		}
		return v.done("")
	}
	if len(presenters) == 0 {
		return v.done("no presenter node (optional)")
	}
	p := presenters[0]
	addr := ownAddr(p)
	if addr == "" {
		addr = "the presenter's own IP"
	}
	for _, n := range nodes {
		h := n.EventProcessor.PresentationHost
		if h != addr || isWildcard(h) || isLoopback(h) {
			v.add(Fail, fmt.Sprintf("%s: presentation hostName %s does not point at the presenter %s", n.Node, show(h), p.Node),
				fmt.Sprintf(`%s on %s: set <mode name="HA"><presentation><hostName> to %s`, n.file(fileEP), n.Node, addr))
		}
	}
	return v.done("one presenter, and every node's presentation points at it")
}

func checkSparkMaster(nodes []*Facts) Result {
	v := newVerdict()
	for _, n := range nodes {
		fix := fmt.Sprintf("%s on %s: set carbon.spark.master to local", n.file(fileSpark), n.Node)
		m := n.Spark.Master
		switch {
		case m == nil:
			v.value(n, "(absent)")
			v.add(Warn, n.Node+": carbon.spark.master is not set", fix)
		case strings.HasPrefix(*m, "local"):
			v.value(n, *m)
		case *m == "carbon":
			v.value(n, *m)
			v.add(Warn, n.Node+": carbon.spark.master carbon works with clustering, the guide keeps local", fix)
		default:
			v.value(n, *m)
			v.add(Fail, fmt.Sprintf("%s: carbon.spark.master %s is not the Carbon Spark cluster", n.Node, *m), fix)
		}
	}
	return v.done("local on every node: with clustering on, the Carbon Spark cluster starts")
}

func checkSparkMasterCount(nodes []*Facts) Result {
	v := newVerdict()
	for _, n := range nodes {
		fix := fmt.Sprintf("%s on %s: set carbon.spark.master.count to 2", n.file(fileSpark), n.Node)
		c := n.Spark.MasterCount
		if c == nil {
			v.value(n, "(absent)")
			v.add(Warn, n.Node+": carbon.spark.master.count is absent (the cluster mode assumes 2)", fix)
			continue
		}
		v.value(n, *c)
		if k, err := strconv.Atoi(*c); err != nil || k != 2 {
			v.add(Fail, fmt.Sprintf("%s: carbon.spark.master.count is %s: batch analytics never starts unless it is 2 on both nodes", n.Node, *c), fix)
		}
	}
	return v.done("2 on every node")
}
