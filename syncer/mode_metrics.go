package syncer

import "github.com/prometheus/client_golang/prometheus"

// fallbackCollector exports depsync_svn_fallback: 1 while svn.url is set
// but the SVN server has failed svn.fail_threshold times in a row, so
// C-Apps go straight to the peers (direct mode) until it answers again;
// else 0. A node without svn.url is always direct, and exports 0: that is
// its configuration, not something to alert on. Read when scraped.
type fallbackCollector struct{ d *Daemon }

var fallbackDesc = prometheus.NewDesc("depsync_svn_fallback",
	"1 while svn.url is set but the SVN server is unreachable (svn.fail_threshold failures in a row) and C-Apps are pushed straight to peers; else 0.",
	nil, nil)

// Describe implements prometheus.Collector.
func (c *fallbackCollector) Describe(ch chan<- *prometheus.Desc) { ch <- fallbackDesc }

// Collect implements prometheus.Collector.
func (c *fallbackCollector) Collect(ch chan<- prometheus.Metric) {
	v := 0.0
	if c.d.cfg.SVN.URL != "" && c.d.Mode() == ModeDirect {
		v = 1
	}
	ch <- prometheus.MustNewConstMetric(fallbackDesc, prometheus.GaugeValue, v)
}
