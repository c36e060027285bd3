package e2e

import (
	"context"
	"fmt"
	"net"
	"net/netip"
	"strings"
	"syscall"
	"testing"
	"time"

	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	"portico.dev/agent/daemon"
)

var (
	vip4  = netip.MustParseAddr("10.77.0.200")
	vip6  = netip.MustParseAddr("fd77::200")
	vipNo = netip.MustParseAddr("10.77.0.201") // a Service the policy does not select
)

// setup: policy "lan" selects Services labelled l2=yes and announces on interfaces ^lan only.
func setup(t *testing.T, agentArgs ...string) *lab {
	l := newLab(t, agentArgs...)
	l.policy("lan", map[string]any{
		"serviceSelector": map[string]any{"matchLabels": map[string]any{"l2": "yes"}},
		"interfaces":      []any{"^lan"},
	})
	l.service("gw", map[string]string{"l2": "yes"}, vip4, vip6)
	l.service("private", nil, vipNo)
	l.listen(vip4)
	l.listen(vip6)
	l.listen(vipNo)
	l.startAgents()
	l.waitUntil("a holder for shop/gw", 10*time.Second, func() bool { return l.holder("gw") != "" })
	return l
}

// exactlyOne checks that one node, the lease holder, answers for vip, and returns it.
func (l *lab) exactlyOne(vip netip.Addr) string {
	l.t.Helper()
	src := "10.77.0.100"
	if vip.Is6() {
		src = "fd77::100"
	}
	var got []net.HardwareAddr
	// The holder programs its datapath right after its write: allow it a moment.
	l.waitUntil("one answer for "+vip.String(), 3*time.Second, func() bool {
		got = l.who(l.client, "eth0", src, vip)
		return len(got) == 1
	})
	holder := l.holder("gw")
	if by := l.nodeByMAC(got[0]); by != holder {
		l.t.Fatalf("%s answered by %s, but the lease holder is %s", vip, by, holder)
	}
	return holder
}

// Needs root (namespaces, XDP) and the toolchain's kube-apiserver and etcd.
func TestL2AnnouncementRoot(t *testing.T) {
	l := setup(t)
	leader := l.exactlyOne(vip4)
	t.Logf("leader %s", leader)

	t.Run("the client's ARP and NDP are answered by exactly one node, the holder, with its MAC", func(t *testing.T) {
		if got := l.exactlyOne(vip6); got != leader {
			t.Errorf("IPv6 announced by %s, IPv4 by %s", got, leader)
		}
	})

	t.Run("HTTP to the VIP reaches the holder's listener; only the holder has the local routes", func(t *testing.T) {
		for _, n := range l.nodes {
			routes := l.net.Run("ip", "-n", n.ns, "route", "show", "table", "local", "proto", "0xb0")
			has := strings.Contains(routes, vip4.String())
			if has != (n.name == leader) {
				t.Errorf("%s local routes %q (holder %s)", n.name, routes, leader)
			}
		}
		for _, vip := range []netip.Addr{vip4, vip6} {
			by, err := l.fromClient(vip)
			if err != nil || by != leader {
				t.Errorf("GET %s: served by %q (%v), want %s", vip, by, err, leader)
			}
		}
	})

	t.Run("a Service the policy does not select gets no answer", func(t *testing.T) {
		if got := l.who(l.client, "eth0", "10.77.0.100", vipNo); len(got) != 0 {
			t.Errorf("answers %v for an unselected Service", got)
		}
		if h := l.holder("private"); h != "" {
			t.Errorf("unselected Service has a lease holder %s", h)
		}
	})

	t.Run("an interface the policy does not name gets no answer, not even from the kernel", func(t *testing.T) {
		if got := l.who(l.other, "eth0", "10.77.1.100", vip4); len(got) != 0 {
			t.Errorf("answers %v on mgmt", got)
		}
	})

	t.Run("status: an Event and a condition name the announcing node; metrics count replies", func(t *testing.T) {
		ctx := context.Background()
		l.waitUntil("an L2Announced event", 5*time.Second, func() bool {
			evs, err := l.cp.Clientset.CoreV1().Events("shop").List(ctx, metav1.ListOptions{})
			if err != nil {
				return false
			}
			for _, e := range evs.Items {
				if e.Reason == "L2Announced" && e.InvolvedObject.Name == "gw" && strings.Contains(e.Message, "node "+leader+" announces") {
					return true
				}
			}
			return false
		})
		svc, err := l.cp.Clientset.CoreV1().Services("shop").Get(ctx, "gw", metav1.GetOptions{})
		if err != nil {
			t.Fatal(err)
		}
		found := false
		for _, c := range svc.Status.Conditions {
			if c.Type == daemon.ConditionType && c.Status == metav1.ConditionTrue && strings.Contains(c.Message, "node "+leader) {
				found = true
			}
		}
		if !found {
			t.Errorf("no %s condition naming %s: %+v", daemon.ConditionType, leader, svc.Status.Conditions)
		}
		if len(svc.Status.LoadBalancer.Ingress) != 2 {
			t.Errorf("the condition write disturbed status.loadBalancer: %+v", svc.Status.LoadBalancer)
		}
		n := l.node(leader)
		_, body, err := l.get(n.ns, fmt.Sprintf("http://%s:9964/metrics", n.mgmtIP))
		if err != nil {
			t.Fatal(err)
		}
		for _, want := range []string{
			`portico_agent_l2_replies_total{interface="lan0",protocol="arp",service="shop/gw",vip="10.77.0.200"}`,
			`portico_agent_leading{service="shop/gw"} 1`,
			`portico_agent_lease_transitions_total{direction="acquired",service="shop/gw"} 1`,
			`portico_agent_lease_requests_total{verb="update"}`,
		} {
			if !strings.Contains(body, want) {
				t.Errorf("metrics lack %s", want)
			}
		}
	})

	t.Run("failover: the holder's agent is killed", func(t *testing.T) {
		old := l.holder("gw")
		killed := time.Now()
		l.node(old).agent.Kill()
		by, _ := l.waitServed(vip4, old, 5*time.Second)
		t.Logf("new connection served by %s %v after kill", by, time.Since(killed))
		if h := l.holder("gw"); h != by {
			t.Errorf("served by %s, holder %s", by, h)
		}
		// The client switched because of the gratuitous ARP: its entry names the new node.
		neigh := l.net.Run("ip", "-n", l.client, "neigh", "show", vip4.String())
		if !strings.Contains(neigh, l.node(by).lanMAC.String()) {
			t.Errorf("client neighbour entry %q, want %s's MAC", neigh, by)
		}
		l.exactlyOne(vip4)
		l.exactlyOne(vip6)
		if by, err := l.fromClient(vip6); err != nil || by != l.holder("gw") {
			t.Errorf("IPv6 after failover served by %q (%v)", by, err)
		}
		l.startAgent(l.node(old))
	})

	t.Run("failover: the holder's link goes down", func(t *testing.T) {
		old := l.holder("gw")
		port := l.node(old).lanPort
		down := time.Now()
		l.net.Run("ip", "-n", l.sw, "link", "set", port, "down")
		by, _ := l.waitServed(vip4, old, 5*time.Second)
		t.Logf("new connection served by %s %v after link down", by, time.Since(down))
		l.net.Run("ip", "-n", l.sw, "link", "set", port, "up")
		time.Sleep(500 * time.Millisecond)
		if h := l.exactlyOne(vip4); h != by {
			t.Errorf("after the link came back: holder %s, want %s to keep it", h, by)
		}
	})

	t.Run("liveness: a frozen agent's program stops answering within --max-liveness", func(t *testing.T) {
		old := l.holder("gw")
		n := l.node(old)
		n.agent.Signal(syscall.SIGSTOP)
		stopped := time.Now()
		defer n.agent.Signal(syscall.SIGCONT)
		var lastOld time.Duration
		// Ask until well past the takeover; the frozen node must fall silent by max-liveness.
		for time.Since(stopped) < 2500*time.Millisecond {
			asked := time.Since(stopped)
			for _, mac := range l.who(l.client, "eth0", "10.77.0.100", vip4) {
				if mac.String() == n.lanMAC.String() {
					lastOld = asked
				}
			}
		}
		t.Logf("frozen %s last answered a request sent %v after SIGSTOP", old, lastOld)
		if lastOld > 750*time.Millisecond+50*time.Millisecond {
			t.Errorf("frozen agent's program answered a request sent %v after SIGSTOP, want <= max-liveness 750ms", lastOld)
		}
		if h := l.exactlyOne(vip4); h == old {
			t.Errorf("frozen node still holds the lease")
		}
		// Thawed, it finds its lease gone and stays silent.
		n.agent.Signal(syscall.SIGCONT)
		time.Sleep(300 * time.Millisecond)
		l.exactlyOne(vip4)
		l.waitHealthy(n)
	})

	t.Run("deleting the Service withdraws its VIPs, local routes and Lease", func(t *testing.T) {
		holder := l.node(l.holder("gw"))
		if err := l.cp.Clientset.CoreV1().Services("shop").Delete(context.Background(), "gw", metav1.DeleteOptions{}); err != nil {
			t.Fatal(err)
		}
		l.waitUntil("the Lease deleted", 5*time.Second, func() bool {
			_, err := l.cp.Clientset.CoordinationV1().Leases(leaseNS).Get(context.Background(), daemon.LeaseName(l.key("gw")), metav1.GetOptions{})
			return apierrors.IsNotFound(err)
		})
		if got := l.who(l.client, "eth0", "10.77.0.100", vip4); len(got) != 0 {
			t.Errorf("answers %v after the Service was deleted", got)
		}
		if routes := l.net.Run("ip", "-n", holder.ns, "route", "show", "table", "local", "proto", "0xb0"); strings.TrimSpace(routes) != "" {
			t.Errorf("local routes left on %s: %q", holder.name, routes)
		}
	})
}
