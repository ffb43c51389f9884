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

// urlBase shortens a JDBC URL for a value: no "jdbc:" and no query or H2
// settings (the checks compare whole URLs).
func urlBase(u string) string {
	u = strings.TrimPrefix(u, "jdbc:")
	if i := strings.IndexAny(u, "?;"); i >= 0 {
		u = u[:i]
	}
	return u
}

func embeddedH2(url string) bool {
	u := strings.ToLower(strings.TrimSpace(url))
	return strings.HasPrefix(u, "jdbc:h2:") && !strings.HasPrefix(u, "jdbc:h2:tcp:") && !strings.HasPrefix(u, "jdbc:h2:ssl:")
}

// sameDatasources checks that each named datasource exists on every node,
// with the same url (and user and driver when withUser), not an embedded H2.
func sameDatasources(v *verdict, nodes []*Facts, get func(*Facts) map[string]Datasource, file string, names []string, short map[string]string, withUser bool) {
	for _, n := range nodes {
		var vals []string
		for _, name := range names {
			d, ok := get(n)[name]
			if !ok {
				vals = append(vals, short[name]+"=(absent)")
				v.add(Fail, fmt.Sprintf("%s: no datasource %s", n.Node, name),
					fmt.Sprintf("%s on %s: add <datasource><name>%s</name> with the shared database's url, username and driverClassName", n.file(file), n.Node, name))
				continue
			}
			vals = append(vals, short[name]+"="+show(urlBase(d.URL)))
			if embeddedH2(d.URL) {
				v.add(Fail, fmt.Sprintf("%s: %s is an embedded H2 database (%s), local to the node", n.Node, name, d.URL),
					fmt.Sprintf("%s on %s: set <datasource><name>%s</name>...<url> to the shared database's JDBC URL", n.file(file), n.Node, name))
			}
			d0, ok0 := get(nodes[0])[name]
			if n == nodes[0] || !ok0 {
				continue
			}
			for _, f := range []struct{ el, a, b string }{{"url", d.URL, d0.URL}, {"username", d.User, d0.User}, {"driverClassName", d.Driver, d0.Driver}} {
				if !withUser && f.el != "url" {
					continue
				}
				if f.a != f.b {
					v.add(Fail, fmt.Sprintf("%s: %s %s is %s, on %s %s", n.Node, name, f.el, show(f.a), nodes[0].Node, show(f.b)),
						fmt.Sprintf("%s on %s: set <datasource><name>%s</name>...<%s> to %s", n.file(file), n.Node, name, f.el, f.b))
				}
			}
		}
		v.value(n, strings.Join(vals, " "))
	}
}

func checkSharedDatasources(nodes []*Facts) Result {
	v := newVerdict()
	sameDatasources(v, nodes, func(f *Facts) map[string]Datasource { return f.Datasources }, fileMasterDS,
		[]string{"WSO2UM_DB", "WSO2REG_DB"}, map[string]string{"WSO2UM_DB": "UM", "WSO2REG_DB": "REG"}, true)
	return v.done("WSO2UM_DB and WSO2REG_DB point at the same shared databases on every node")
}

func checkAnalyticsDatasources(nodes []*Facts) Result {
	v := newVerdict()
	sameDatasources(v, nodes, func(f *Facts) map[string]Datasource { return f.Analytics }, fileAnalytics,
		[]string{"WSO2_ANALYTICS_EVENT_STORE_DB", "WSO2_ANALYTICS_PROCESSED_DATA_STORE_DB"},
		map[string]string{"WSO2_ANALYTICS_EVENT_STORE_DB": "events", "WSO2_ANALYTICS_PROCESSED_DATA_STORE_DB": "processed"}, false)
	return v.done("both analytics stores point at the same shared databases on every node")
}

func checkUserMgt(nodes []*Facts) Result {
	v := newVerdict()
	for _, n := range nodes {
		v.value(n, show(n.RealmDatasource))
		um, ok := n.Datasources["WSO2UM_DB"]
		if !ok || um.JNDI == "" {
			v.add(Warn, n.Node+": the realm's dataSource cannot be checked without the WSO2UM_DB datasource's jndiConfig (see datasources.shared)",
				fmt.Sprintf(`%s on %s: set <Realm><Configuration><Property name="dataSource"> to the JNDI name of WSO2UM_DB`, n.file(fileUserMgt), n.Node))
			continue
		}
		if n.RealmDatasource != um.JNDI {
			v.add(Fail, fmt.Sprintf("%s: the realm uses %s, not the shared user store %s: users differ per node", n.Node, show(n.RealmDatasource), um.JNDI),
				fmt.Sprintf(`%s on %s: set <Realm><Configuration><Property name="dataSource"> to %s`, n.file(fileUserMgt), n.Node, um.JNDI))
		}
	}
	return v.done("the realm uses the shared user datasource on every node")
}

func checkRegistry(nodes []*Facts) Result {
	v := newVerdict()
	for _, n := range nodes {
		r := n.Registry
		file := n.file(fileRegistry)
		var chains []string
		if _, ok := r.DBConfigs[r.CurrentDBConfig]; r.CurrentDBConfig == "" || !ok {
			v.add(Fail, fmt.Sprintf("%s: the local registry (currentDBConfig %s) has no dbConfig", n.Node, show(r.CurrentDBConfig)),
				fmt.Sprintf(`%s on %s: keep <currentDBConfig>wso2registry</currentDBConfig> and <dbConfig name="wso2registry"><dataSource>jdbc/WSO2CarbonDB</dataSource>`, file, n.Node))
		}
		for _, p := range []string{"/_system/config", "/_system/governance"} {
			inst, ok := r.Mounts[p]
			if !ok {
				chains = append(chains, p+"=(absent)")
				v.add(Fail, fmt.Sprintf("%s: %s is not mounted: each node keeps its own copy", n.Node, p),
					fmt.Sprintf(`%s on %s: add <mount path="%s" overwrite="true"><instanceId>(the remoteInstance id)</instanceId><targetPath>%s</targetPath></mount>`, file, n.Node, p, p))
				continue
			}
			db, ok := r.Remotes[inst]
			if !ok {
				chains = append(chains, p+"->"+inst+"?")
				v.add(Fail, fmt.Sprintf("%s: mount %s names instanceId %s, but no <remoteInstance> has that id", n.Node, p, inst),
					fmt.Sprintf(`%s on %s: add <remoteInstance url="https://localhost:9443/registry"><id>%s</id><dbConfig>(the shared dbConfig)</dbConfig>...`, file, n.Node, inst))
				continue
			}
			ds, ok := r.DBConfigs[db]
			switch {
			case db == r.CurrentDBConfig:
				v.add(Fail, fmt.Sprintf("%s: remoteInstance %s uses the local dbConfig %s", n.Node, inst, db),
					fmt.Sprintf(`%s on %s: set <remoteInstance><dbConfig> of %s to a dbConfig whose dataSource is jdbc/WSO2REG_DB`, file, n.Node, inst))
			case !ok:
				v.add(Fail, fmt.Sprintf("%s: remoteInstance %s names dbConfig %s, which does not exist", n.Node, inst, show(db)),
					fmt.Sprintf(`%s on %s: add <dbConfig name="%s"><dataSource>jdbc/WSO2REG_DB</dataSource></dbConfig>`, file, n.Node, db))
			case !hasJNDI(n.Datasources, ds):
				v.add(Fail, fmt.Sprintf("%s: dbConfig %s uses dataSource %s, which no datasource in master-datasources.xml declares", n.Node, db, show(ds)),
					fmt.Sprintf(`%s on %s: set <dbConfig name="%s"><dataSource> to jdbc/WSO2REG_DB (the jndiConfig name of WSO2REG_DB)`, file, n.Node, db))
			}
			chains = append(chains, fmt.Sprintf("%s->%s->%s->%s", strings.TrimPrefix(p, "/_system/"), inst, db, show(ds)))
		}
		v.value(n, joinChains(chains))
	}
	// The shared part must be the same everywhere.
	for _, n := range nodes[1:] {
		if v.res.Values[n.Node] != v.res.Values[nodes[0].Node] && v.res.Status == OK {
			v.add(Fail, fmt.Sprintf("%s mounts differently from %s", n.Node, nodes[0].Node),
				fmt.Sprintf("%s on %s: make <remoteInstance>, <dbConfig> and <mount> the same as on %s", n.file(fileRegistry), n.Node, nodes[0].Node))
		}
	}
	return v.done("config and governance are mounted from the shared registry database; the local registry is kept")
}

// joinChains writes "config,governance->gov->..." when both mounts resolve alike.
func joinChains(c []string) string {
	if len(c) == 2 {
		a, ra, _ := strings.Cut(c[0], "->")
		b, rb, _ := strings.Cut(c[1], "->")
		if ra != "" && ra == rb {
			return a + "," + b + "->" + ra
		}
	}
	return strings.Join(c, " ")
}

func hasJNDI(ds map[string]Datasource, jndi string) bool {
	for _, d := range ds {
		if jndi != "" && d.JNDI == jndi {
			return true
		}
	}
	return false
}

func checkDeploymentSync(nodes []*Facts) Result {
	v := newVerdict()
	var committers []string
	known := true
	for _, n := range nodes {
		var parts []string
		carbonCommits := false
		if c := n.CarbonSync; c == nil {
			parts = append(parts, "carbon:(no carbon.xml)")
		} else {
			switch {
			case !c.Enabled:
				parts = append(parts, "carbon:off")
			case c.AutoCommit:
				parts = append(parts, "carbon:manager")
				carbonCommits = true
			default:
				parts = append(parts, "carbon:worker")
			}
		}
		if d := n.Depsync; d == nil {
			known = false
		} else {
			parts = append(parts, "depsync:"+d.Role)
			if d.SVN && n.CarbonSync != nil && n.CarbonSync.Enabled {
				v.add(Fail, n.Node+": Carbon's deployment synchronizer and depsync's SVN loop both run",
					fmt.Sprintf("%s on %s: set <DeploymentSynchronizer><Enabled> to false (depsync carbon-config writes it)", n.file(fileCarbon), n.Node))
			}
			if d.Role == "manager" {
				committers = append(committers, n.Node+" (depsync)")
			}
		}
		if carbonCommits {
			committers = append(committers, n.Node+" (carbon.xml)")
		}
		v.value(n, strings.Join(parts, " "))
	}
	switch {
	case len(committers) > 1:
		v.add(Fail, "more than one node commits: "+strings.Join(committers, ", "),
			"leave exactly one committer: set <DeploymentSynchronizer><AutoCommit> to false in carbon.xml (or depsync's role to worker) on the others")
	case len(committers) == 0 && known:
		v.add(Fail, "no node commits the deployment directory",
			"make one node the manager: depsync's role: manager, or <DeploymentSynchronizer><AutoCommit>true in its carbon.xml")
	case len(committers) == 0:
		v.add(Warn, "no carbon.xml commits, and depsync's roles cannot be read from files",
			"run depsync doctor --config on a node to see depsync's roles")
	}
	return v.done("exactly one node commits")
}

func checkCApps(nodes []*Facts) Result {
	v := newVerdict()
	sum := func(f *Facts) string {
		ids := make([]string, 0, len(f.CApps))
		for id, h := range f.CApps {
			ids = append(ids, id+"@"+shortHash(h))
		}
		slices.Sort(ids)
		return strings.Join(ids, ",")
	}
	for _, n := range nodes {
		v.value(n, show(sum(n)))
		if sum(n) != sum(nodes[0]) {
			v.add(Fail, fmt.Sprintf("%s deploys other C-Apps than %s", n.Node, nodes[0].Node),
				"depsync capp push the missing C-Apps, or check the worker's svn update")
		}
	}
	return v.done("the same C-Apps on every node")
}

func shortHash(h string) string {
	if len(h) > 12 {
		return h[:12]
	}
	return h
}

func checkSymlink(nodes []*Facts) Result {
	v := newVerdict()
	differ := false
	for _, n := range nodes {
		v.value(n, fmt.Sprintf("home=%s link=%s", n.CarbonHome, show(n.Spark.SymbolicLink)))
		if n.CarbonHome != nodes[0].CarbonHome {
			differ = true
		}
	}
	if !differ {
		return v.done("every node has the same home path")
	}
	for _, n := range nodes {
		if n.Spark.SymbolicLink == "" || n.Spark.SymbolicLink != nodes[0].Spark.SymbolicLink {
			v.add(Fail, n.Node+": the homes differ, so Spark needs the same carbon.das.symbolic.link on every node",
				fmt.Sprintf("%s on %s: set carbon.das.symbolic.link to a path that is the same on every node (a symlink to the home)", n.file(fileSpark), n.Node))
		}
	}
	return v.done("the homes differ and share one carbon.das.symbolic.link")
}
