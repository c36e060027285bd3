package daemon

import (
	"net/netip"
	"strconv"
	"sync"

	"github.com/prometheus/client_golang/prometheus"
	"k8s.io/apimachinery/pkg/types"

	"portico.dev/agent/announce"
	"portico.dev/agent/bpf"
)

// Metrics are the agent's Prometheus metrics. The XDP counters are read from the program's map
// at scrape time.
type Metrics struct {
	Registry    *prometheus.Registry
	transitions *prometheus.CounterVec
	leadingG    *prometheus.GaugeVec
	requests    *prometheus.CounterVec

	mu       sync.Mutex
	stats    func() (map[bpf.Key]bpf.Stats, error)
	ifnames  map[int]string
	services map[netip.Addr]string
}

var (
	repliesDesc = prometheus.NewDesc("portico_agent_l2_replies_total",
		"ARP replies and neighbour advertisements the XDP program sent, per VIP and interface.",
		[]string{"vip", "interface", "protocol", "service"}, nil)
	staleDesc = prometheus.NewDesc("portico_agent_l2_unanswered_stale_total",
		"Requests for a VIP the XDP program left unanswered because the agent's liveness stamp was stale.",
		[]string{"vip", "interface", "service"}, nil)
)

// NewMetrics registers the agent's metrics (and Go/process collectors) in a new registry.
func NewMetrics() *Metrics {
	m := &Metrics{
		Registry: prometheus.NewRegistry(),
		transitions: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "portico_agent_lease_transitions_total",
			Help: "Times this node started (acquired) or stopped (lost) announcing a Service.",
		}, []string{"service", "direction"}),
		leadingG: prometheus.NewGaugeVec(prometheus.GaugeOpts{
			Name: "portico_agent_leading",
			Help: "1 while this node holds the Service's Lease and announces it.",
		}, []string{"service"}),
		requests: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "portico_agent_lease_requests_total",
			Help: "Lease API requests this agent sent, by verb (watches excluded).",
		}, []string{"verb"}),
		ifnames:  map[int]string{},
		services: map[netip.Addr]string{},
	}
	m.Registry.MustRegister(m.transitions, m.leadingG, m.requests, m,
		prometheus.NewGoCollector(), prometheus.NewProcessCollector(prometheus.ProcessCollectorOpts{}))
	return m
}

func (m *Metrics) leaseRequest(verb string) { m.requests.WithLabelValues(verb).Inc() }

func (m *Metrics) transition(svc types.NamespacedName, acquired bool) {
	dir, v := "lost", 0.0
	if acquired {
		dir, v = "acquired", 1
	}
	m.transitions.WithLabelValues(svc.String(), dir).Inc()
	m.leadingG.WithLabelValues(svc.String()).Set(v)
}

func (m *Metrics) setLinks(links []announce.Link) {
	m.mu.Lock()
	defer m.mu.Unlock()
	for _, l := range links {
		m.ifnames[l.Index] = l.Name
	}
}

func (m *Metrics) setLeading(vips map[netip.Addr]string) {
	m.mu.Lock()
	defer m.mu.Unlock()
	m.services = vips
}

// SetStats sets where the XDP counters come from.
func (m *Metrics) SetStats(f func() (map[bpf.Key]bpf.Stats, error)) {
	m.mu.Lock()
	defer m.mu.Unlock()
	m.stats = f
}

// Describe implements prometheus.Collector.
func (m *Metrics) Describe(ch chan<- *prometheus.Desc) {
	ch <- repliesDesc
	ch <- staleDesc
}

// Collect implements prometheus.Collector.
func (m *Metrics) Collect(ch chan<- prometheus.Metric) {
	m.mu.Lock()
	f := m.stats
	m.mu.Unlock()
	if f == nil {
		return
	}
	stats, err := f()
	if err != nil {
		return
	}
	m.mu.Lock()
	defer m.mu.Unlock()
	for k, s := range stats {
		ifname := m.ifnames[k.Ifindex]
		if ifname == "" {
			ifname = strconv.Itoa(k.Ifindex)
		}
		vip, svc := k.Addr.String(), m.services[k.Addr]
		ch <- prometheus.MustNewConstMetric(repliesDesc, prometheus.CounterValue, float64(s.ARPReplies), vip, ifname, "arp", svc)
		ch <- prometheus.MustNewConstMetric(repliesDesc, prometheus.CounterValue, float64(s.NDReplies), vip, ifname, "ndp", svc)
		ch <- prometheus.MustNewConstMetric(staleDesc, prometheus.CounterValue, float64(s.Stale), vip, ifname, svc)
	}
}
