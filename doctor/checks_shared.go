package doctor

// The checks of the shared parts: datasources, user store, registry,
// deployment synchronization, and the online-only C-App and path checks.

import (
	"fmt"
	"slices"
	"strings"
)

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
		}
		// A node counts once: Carbon's block and depsync's manager on the
		// same node are one committing node (issue 17: "exactly one node
		// commits"). Both on one node with depsync's SVN loop is the
		// failure above.
		var how []string
		if carbonCommits {
			how = append(how, "carbon.xml")
		}
		if n.Depsync != nil && n.Depsync.Role == "manager" {
			how = append(how, "depsync")
		}
		if len(how) > 0 {
			committers = append(committers, n.Node+" ("+strings.Join(how, ", ")+")")
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
