package e2e

import (
	"context"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/netip"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/types"

	"portico.dev/agent/daemon"
	"portico.dev/agent/internal/kubetest"
	"portico.dev/agent/internal/netnstest"
	"portico.dev/agent/internal/probe"
	"portico.dev/agent/l2"
)

// Topology (all inside namespaces the test creates):
//
//	sw:     bridges "lan" (10.77.0.0/24, fd77::/64) and "mgmt" (10.77.1.0/24)
//	cp:     etcd + kube-apiserver, 10.77.1.1 on mgmt
//	n1..n3: lan0 10.77.0.1x + fd77::1x on lan, mgmt0 10.77.1.1x on mgmt; portico-agent; a
//	        listener on every VIP:8080 (IP_FREEBIND, as Envoy binds) answering the node's name
//	client: 10.77.0.100, fd77::100 on lan
//	other:  10.77.1.100 on mgmt (an interface the policy does not name)
const (
	leaseNS    = "portico-system"
	listenPort = 8080
)

var agentBin string

func TestMain(m *testing.M) {
	code := func() int {
		if os.Geteuid() != 0 {
			return m.Run() // tests skip themselves
		}
		dir, err := os.MkdirTemp("", "portico-agent-bin-")
		if err != nil {
			panic(err)
		}
		defer os.RemoveAll(dir)
		agentBin = filepath.Join(dir, "portico-agent")
		out, err := exec.Command("go", "build", "-o", agentBin, "portico.dev/agent/cmd/portico-agent").CombinedOutput()
		if err != nil {
			fmt.Fprintf(os.Stderr, "build portico-agent: %v\n%s", err, out)
			return 1
		}
		return m.Run()
	}()
	os.Exit(code)
}

type node struct {
	name    string
	ns      string
	lanMAC  net.HardwareAddr
	lanPort string // the bridge-side end of lan0, in sw
	mgmtIP  string
	agent   *netnstest.Proc

	mu        sync.Mutex
	listeners []net.Listener
}

type lab struct {
	t      *testing.T
	net    *netnstest.Lab
	sw     string
	client string
	other  string
	cp     *kubetest.ControlPlane
	nodes  []*node
	// agentArgs are extra flags for every agent.
	agentArgs []string
	vips      []netip.Addr
}

func newLab(t *testing.T, agentArgs ...string) *lab {
	t.Helper()
	netnstest.RequireRoot(t)
	kubetest.Binaries(t)
	l := &lab{t: t, net: netnstest.New(t), agentArgs: agentArgs}
	l.sw = l.net.NS("sw")
	l.net.Bridge(l.sw, "lan")
	l.net.Bridge(l.sw, "mgmt")
	cpNS := l.net.NS("cp")
	l.net.Link(cpNS, "eth0", l.sw, "mgmt", "cp", "10.77.1.1/24")
	l.client = l.net.NS("client")
	l.net.Link(l.client, "eth0", l.sw, "lan", "client", "10.77.0.100/24", "fd77::100/64")
	l.other = l.net.NS("other")
	l.net.Link(l.other, "eth0", l.sw, "mgmt", "other", "10.77.1.100/24")
	for i := 1; i <= 3; i++ {
		n := &node{name: fmt.Sprintf("n%d", i), lanPort: fmt.Sprintf("n%d-lan", i), mgmtIP: fmt.Sprintf("10.77.1.1%d", i)}
		n.ns = l.net.NS(n.name)
		n.lanMAC = l.net.Link(n.ns, "lan0", l.sw, "lan", n.lanPort, fmt.Sprintf("10.77.0.1%d/24", i), fmt.Sprintf("fd77::1%d/64", i))
		l.net.Link(n.ns, "mgmt0", l.sw, "mgmt", fmt.Sprintf("n%d-mgmt", i), n.mgmtIP+"/24")
		l.nodes = append(l.nodes, n)
	}
	l.cp = kubetest.Start(t, kubetest.Options{NS: cpNS, IP: "10.77.1.1"})
	l.cp.ApplyCRD(t, "../testdata/l2announcementpolicies.portico.dev.json")
	ctx := context.Background()
	for _, ns := range []string{leaseNS, "shop"} {
		_, err := l.cp.Clientset.CoreV1().Namespaces().Create(ctx, &corev1.Namespace{ObjectMeta: metav1.ObjectMeta{Name: ns}}, metav1.CreateOptions{})
		if err != nil {
			t.Fatal(err)
		}
	}
	for _, n := range l.nodes {
		_, err := l.cp.Clientset.CoreV1().Nodes().Create(ctx, &corev1.Node{ObjectMeta: metav1.ObjectMeta{
			Name: n.name, Labels: map[string]string{"node-role.kubernetes.io/worker": ""},
		}}, metav1.CreateOptions{})
		if err != nil {
			t.Fatal(err)
		}
	}
	t.Cleanup(func() {
		if t.Failed() {
			for _, n := range l.nodes {
				if n.agent != nil {
					t.Logf("agent %s log tail:\n%s", n.name, n.agent.Tail(4000))
				}
			}
		}
		for _, n := range l.nodes {
			n.closeListeners()
		}
	})
	return l
}

func (l *lab) startAgent(n *node) {
	l.t.Helper()
	args := append([]string{
		"--kubeconfig=" + l.cp.Kubeconfig, "--node-name=" + n.name, "--lease-namespace=" + leaseNS,
	}, l.agentArgs...)
	n.agent = l.net.Start(n.ns, "agent-"+n.name+"-"+time.Now().Format("150405.000"), agentBin, args...)
	l.waitHealthy(n)
}

func (l *lab) startAgents() {
	for _, n := range l.nodes {
		l.startAgent(n)
	}
}

func (l *lab) waitHealthy(n *node) {
	l.t.Helper()
	deadline := time.Now().Add(20 * time.Second)
	for {
		code, _, err := l.get(n.ns, fmt.Sprintf("http://%s:9964/healthz", n.mgmtIP))
		if err == nil && code == 200 {
			return
		}
		if n.agent.Exited() {
			l.t.Fatalf("agent %s exited:\n%s", n.name, n.agent.Tail(3000))
		}
		if time.Now().After(deadline) {
			l.t.Fatalf("agent %s not healthy: %v %v\n%s", n.name, code, err, n.agent.Tail(3000))
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// listen makes every node serve its name on VIP:8080, bound with IP_FREEBIND like Envoy.
func (l *lab) listen(vip netip.Addr) {
	l.t.Helper()
	l.vips = append(l.vips, vip)
	for _, n := range l.nodes {
		n.listen(l.t, vip)
	}
}

func (n *node) listen(t *testing.T, vip netip.Addr) {
	t.Helper()
	lc := net.ListenConfig{Control: func(network, _ string, c syscall.RawConn) error {
		var serr error
		err := c.Control(func(fd uintptr) {
			if strings.HasSuffix(network, "6") {
				serr = syscall.SetsockoptInt(int(fd), syscall.SOL_IPV6, 78 /* IPV6_FREEBIND */, 1)
			} else {
				serr = syscall.SetsockoptInt(int(fd), syscall.SOL_IP, syscall.IP_FREEBIND, 1)
			}
		})
		if err != nil {
			return err
		}
		return serr
	}}
	var ln net.Listener
	err := netnstest.In(n.ns, func() error {
		var err error
		ln, err = lc.Listen(context.Background(), "tcp", netip.AddrPortFrom(vip, listenPort).String())
		return err
	})
	if err != nil {
		t.Fatalf("%s: listen on %s: %v", n.name, vip, err)
	}
	n.mu.Lock()
	n.listeners = append(n.listeners, ln)
	n.mu.Unlock()
	name := n.name
	go func() {
		_ = http.Serve(ln, http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
			w.Header().Set("Connection", "close")
			fmt.Fprint(w, name)
		}))
	}()
}

func (n *node) closeListeners() {
	n.mu.Lock()
	defer n.mu.Unlock()
	for _, ln := range n.listeners {
		ln.Close()
	}
	n.listeners = nil
}

// get does one request on a new connection from inside ns.
func (l *lab) get(ns, url string) (int, string, error) {
	c := &http.Client{
		Timeout:   300 * time.Millisecond,
		Transport: &http.Transport{DialContext: netnstest.Dialer(ns), DisableKeepAlives: true},
	}
	resp, err := c.Get(url)
	if err != nil {
		return 0, "", err
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	return resp.StatusCode, string(b), err
}

// fromClient returns which node served a new connection from the client to vip.
func (l *lab) fromClient(vip netip.Addr) (string, error) {
	code, body, err := l.get(l.client, "http://"+netip.AddrPortFrom(vip, listenPort).String()+"/")
	if err != nil {
		return "", err
	}
	if code != 200 {
		return "", fmt.Errorf("status %d", code)
	}
	return body, nil
}

// who asks from ns/ifname which MACs answer for vip.
func (l *lab) who(ns, ifname, src string, vip netip.Addr) []net.HardwareAddr {
	l.t.Helper()
	var got []net.HardwareAddr
	err := netnstest.In(ns, func() error {
		var err error
		got, err = probe.Who(ifname, netip.MustParseAddr(src), vip, 150*time.Millisecond)
		return err
	})
	if err != nil {
		l.t.Fatal(err)
	}
	return got
}

func (l *lab) nodeByMAC(mac net.HardwareAddr) string {
	for _, n := range l.nodes {
		if n.lanMAC.String() == mac.String() {
			return n.name
		}
	}
	return mac.String()
}

func (l *lab) node(name string) *node {
	for _, n := range l.nodes {
		if n.name == name {
			return n
		}
	}
	l.t.Fatalf("no node %q", name)
	return nil
}

// service creates a LoadBalancer Service and gives it ingress addresses as Portico's IPAM would.
func (l *lab) service(name string, labels map[string]string, ips ...netip.Addr) {
	l.t.Helper()
	ctx := context.Background()
	svcs := l.cp.Clientset.CoreV1().Services("shop")
	svc, err := svcs.Create(ctx, &corev1.Service{
		ObjectMeta: metav1.ObjectMeta{Name: name, Labels: labels},
		Spec: corev1.ServiceSpec{
			Type:  corev1.ServiceTypeLoadBalancer,
			Ports: []corev1.ServicePort{{Name: "http", Port: listenPort}},
		},
	}, metav1.CreateOptions{})
	if err != nil {
		l.t.Fatal(err)
	}
	for _, ip := range ips {
		svc.Status.LoadBalancer.Ingress = append(svc.Status.LoadBalancer.Ingress, corev1.LoadBalancerIngress{IP: ip.String()})
	}
	if _, err := svcs.UpdateStatus(ctx, svc, metav1.UpdateOptions{}); err != nil {
		l.t.Fatal(err)
	}
}

func (l *lab) policy(name string, spec map[string]any) {
	l.t.Helper()
	u := &unstructured.Unstructured{Object: map[string]any{
		"apiVersion": "portico.dev/v1alpha1", "kind": "L2AnnouncementPolicy",
		"metadata": map[string]any{"name": name}, "spec": spec,
	}}
	if _, err := l.cp.Dynamic.Resource(l2.PolicyGVR).Create(context.Background(), u, metav1.CreateOptions{}); err != nil {
		l.t.Fatal(err)
	}
}

// holder reads the Service's Lease holder from the API server ("" if none).
func (l *lab) holder(svc string) string {
	ls, err := l.cp.Clientset.CoordinationV1().Leases(leaseNS).Get(context.Background(),
		daemon.LeaseName(l.key(svc)), metav1.GetOptions{})
	if apierrors.IsNotFound(err) || err != nil || ls.Spec.HolderIdentity == nil {
		return ""
	}
	return *ls.Spec.HolderIdentity
}

func (l *lab) key(svc string) types.NamespacedName {
	return types.NamespacedName{Namespace: "shop", Name: svc}
}

func (l *lab) waitUntil(what string, timeout time.Duration, ok func() bool) time.Duration {
	l.t.Helper()
	start := time.Now()
	for !ok() {
		if time.Since(start) > timeout {
			l.t.Fatalf("timed out after %v waiting for %s", timeout, what)
		}
		time.Sleep(10 * time.Millisecond)
	}
	return time.Since(start)
}

// waitServed waits until a new connection from the client to vip is served by a node other
// than not (any node if not is ""), and returns that node and how long it took.
func (l *lab) waitServed(vip netip.Addr, not string, timeout time.Duration) (string, time.Duration) {
	l.t.Helper()
	var by string
	d := l.waitUntil(fmt.Sprintf("%s served by a node other than %q", vip, not), timeout, func() bool {
		n, err := l.fromClient(vip)
		by = n
		return err == nil && n != not
	})
	return by, d
}
