package carbonlog

import "github.com/prometheus/client_golang/prometheus"

// Collector exports depsync_capps{state}: how many C-Apps the Carbon log
// says are in each state, read from the Reader at each scrape (so it never
// goes stale). Register it with the daemon's registry.
type Collector struct {
	r    *Reader
	desc *prometheus.Desc
}

// NewCollector returns the collector of r.
func NewCollector(r *Reader) *Collector {
	return &Collector{r: r, desc: prometheus.NewDesc("depsync_capps",
		"C-Apps by the state Carbon's log gives them (deploying, deployed, faulty, undeployed, unknown), since Carbon's last start.",
		[]string{"state"}, nil)}
}

// Describe implements prometheus.Collector.
func (c *Collector) Describe(ch chan<- *prometheus.Desc) { ch <- c.desc }

// Collect implements prometheus.Collector. Every state is exported, zero
// included, so alerts on depsync_capps{state="faulty"} > 0 see a series.
func (c *Collector) Collect(ch chan<- prometheus.Metric) {
	n := map[State]int{}
	for _, s := range c.r.States() {
		n[s.State]++
	}
	for _, st := range States {
		ch <- prometheus.MustNewConstMetric(c.desc, prometheus.GaugeValue, float64(n[st]), string(st))
	}
}
