package e2e

import (
	"bufio"
	"fmt"
	"math"
	"net/netip"
	"os"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"
)

// TestFailoverBench measures failover with the default flags and prints JSON lines
// {"name":...,"value":...,"unit":...}. It runs only with PORTICO_AGENT_BENCH=1 (agent/bench.sh);
// PORTICO_AGENT_BENCH_TRIALS sets the trials per scenario (default 20). Needs root.
//
//	agent-failover:          holder's agent SIGKILLed -> first new connection served by another node
//	agent-failover-linkdown: holder's link down       -> first new connection served by another node
//	agent-lease-requests:    Lease API requests per second per Service, all agents together, steady state
func TestFailoverBench(t *testing.T) {
	if os.Getenv("PORTICO_AGENT_BENCH") != "1" {
		t.Skip("benchmark: set PORTICO_AGENT_BENCH=1 (agent/bench.sh)")
	}
	trials := 20
	if s := os.Getenv("PORTICO_AGENT_BENCH_TRIALS"); s != "" {
		n, err := strconv.Atoi(s)
		if err != nil || n < 1 {
			t.Fatalf("PORTICO_AGENT_BENCH_TRIALS=%q", s)
		}
		trials = n
	}
	l := setup(t)
	l.exactlyOne(vip4)

	// Steady-state API load: sum the agents' own request counters over a window.
	window := 5 * time.Second
	before := l.leaseRequests()
	time.Sleep(window)
	perSec := float64(l.leaseRequests()-before) / window.Seconds()
	emit("agent-lease-requests-per-service", math.Round(perSec*100)/100, "req/s")

	var killed, linkDown []time.Duration
	for i := 0; i < trials; i++ {
		old := l.holder("gw")
		if by, _ := l.waitServed(vip4, "", 5*time.Second); by != old {
			t.Fatalf("trial %d: served by %s, holder %s", i, by, old)
		}
		start := time.Now()
		l.node(old).agent.Kill()
		d := l.firstServed(vip4, old, start, 10*time.Second)
		killed = append(killed, d)
		t.Logf("kill trial %d: %s -> %v", i, old, d)
		l.startAgent(l.node(old))
	}
	for i := 0; i < trials; i++ {
		old := l.holder("gw")
		if by, _ := l.waitServed(vip4, "", 5*time.Second); by != old {
			t.Fatalf("trial %d: served by %s, holder %s", i, by, old)
		}
		port := l.node(old).lanPort
		start := time.Now()
		l.net.Run("ip", "-n", l.sw, "link", "set", port, "down")
		d := l.firstServed(vip4, old, start, 10*time.Second)
		linkDown = append(linkDown, d)
		t.Logf("link-down trial %d: %s -> %v", i, old, d)
		l.net.Run("ip", "-n", l.sw, "link", "set", port, "up")
		l.waitUntil(old+" a candidate again", 5*time.Second, func() bool { return len(l.who(l.client, "eth0", "10.77.0.100", vip4)) == 1 })
		time.Sleep(200 * time.Millisecond)
	}
	for name, ds := range map[string][]time.Duration{"agent-failover": killed, "agent-failover-linkdown": linkDown} {
		emit(name+"-p50", ms(percentile(ds, 0.50)), "ms")
		emit(name+"-p99", ms(percentile(ds, 0.99)), "ms")
	}
	if p99 := percentile(killed, 0.99); p99 > 2*time.Second {
		t.Errorf("failover p99 %v, target under 2 s", p99)
	}
}

// firstServed starts a new connection to vip every 10 ms (each with its own timeout, so one
// stuck on a dead node does not hide the others) and returns, measured from start, when the
// first one served by a node other than old completed.
func (l *lab) firstServed(vip netip.Addr, old string, start time.Time, timeout time.Duration) time.Duration {
	l.t.Helper()
	done := make(chan time.Duration, 1)
	tick := time.NewTicker(10 * time.Millisecond)
	defer tick.Stop()
	deadline := time.After(timeout)
	for {
		go func() {
			if by, err := l.fromClient(vip); err == nil && by != old {
				select {
				case done <- time.Since(start):
				default:
				}
			}
		}()
		select {
		case d := <-done:
			return d
		case <-deadline:
			l.t.Fatalf("no connection to %s served by a node other than %s within %v", vip, old, timeout)
		case <-tick.C:
		}
	}
}

// leaseRequests sums portico_agent_lease_requests_total over all agents.
func (l *lab) leaseRequests() float64 {
	var sum float64
	for _, n := range l.nodes {
		_, body, err := l.get(n.ns, fmt.Sprintf("http://%s:9964/metrics", n.mgmtIP))
		if err != nil {
			l.t.Fatal(err)
		}
		sc := bufio.NewScanner(strings.NewReader(body))
		for sc.Scan() {
			line := sc.Text()
			if strings.HasPrefix(line, "portico_agent_lease_requests_total{") {
				f := strings.Fields(line)
				v, _ := strconv.ParseFloat(f[len(f)-1], 64)
				sum += v
			}
		}
	}
	return sum
}

// percentile is the nearest-rank percentile.
func percentile(ds []time.Duration, p float64) time.Duration {
	s := slices.Clone(ds)
	slices.Sort(s)
	i := int(math.Ceil(p*float64(len(s)))) - 1
	return s[max(i, 0)]
}

func ms(d time.Duration) float64 { return math.Round(float64(d.Microseconds())/10) / 100 }

func emit(name string, value float64, unit string) {
	fmt.Printf("{\"name\":%q,\"value\":%v,\"unit\":%q}\n", name, value, unit)
}
