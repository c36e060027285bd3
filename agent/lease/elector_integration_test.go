package lease

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	coordinationv1 "k8s.io/api/coordination/v1"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/client-go/informers"
	"k8s.io/client-go/kubernetes"
	"k8s.io/client-go/rest"
	"k8s.io/client-go/tools/cache"

	"portico.dev/agent/internal/kubetest"
)

// cutTransport fails every request while cut is set (a node that lost its network) and notes
// when the last write was sent.
type cutTransport struct {
	cut       *atomic.Bool
	lastWrite *atomic.Int64
	next      http.RoundTripper
}

func (c cutTransport) RoundTrip(r *http.Request) (*http.Response, error) {
	if c.cut.Load() {
		return nil, errors.New("network cut by the test")
	}
	if r.Method == http.MethodPut || r.Method == http.MethodPost {
		c.lastWrite.Store(time.Now().UnixNano())
	}
	return c.next.RoundTrip(r)
}

type event struct {
	node    string
	leading bool
	at      time.Time
}

type node struct {
	name      string
	cut       atomic.Bool
	lastWrite atomic.Int64
	requests  atomic.Int64
	cancel    context.CancelFunc
	done      chan struct{}
}

type cluster struct {
	t      *testing.T
	mu     sync.Mutex
	events []event
	nodes  []*node
}

func (c *cluster) record(n string, leading bool) {
	c.mu.Lock()
	c.events = append(c.events, event{n, leading, time.Now()})
	c.mu.Unlock()
}

// leaders returns who leads now, from the hooks.
func (c *cluster) leaders() []string {
	c.mu.Lock()
	defer c.mu.Unlock()
	state := map[string]bool{}
	for _, e := range c.events {
		state[e.node] = e.leading
	}
	var out []string
	for _, n := range c.nodes {
		if state[n.name] {
			out = append(out, n.name)
		}
	}
	return out
}

// overlaps fails the test if two nodes ever led at once.
func (c *cluster) checkNoOverlap() {
	c.mu.Lock()
	defer c.mu.Unlock()
	leading := map[string]bool{}
	for _, e := range c.events {
		leading[e.node] = e.leading
		n := 0
		for _, l := range leading {
			if l {
				n++
			}
		}
		if n > 1 {
			c.t.Errorf("two leaders at %v: %v", e.at.Format("15:04:05.000"), leading)
		}
	}
}

func waitUntil(t *testing.T, what string, timeout time.Duration, ok func() bool) time.Time {
	t.Helper()
	deadline := time.Now().Add(timeout)
	for !ok() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out after %v waiting for %s", timeout, what)
		}
		time.Sleep(5 * time.Millisecond)
	}
	return time.Now()
}

func startNode(t *testing.T, c *cluster, cp *kubetest.ControlPlane, name string, p Params) *node {
	n := &node{name: name, done: make(chan struct{})}
	cfg := rest.CopyConfig(cp.Config)
	cfg.WrapTransport = func(rt http.RoundTripper) http.RoundTripper { return cutTransport{&n.cut, &n.lastWrite, rt} }
	cs := kubernetes.NewForConfigOrDie(cfg)
	p.Identity = name
	e := NewElector(cs.CoordinationV1().Leases("portico"), "portico-l2-default-gw", p, nil, nil, Hooks{
		OnStartedLeading: func() { c.record(name, true) },
		OnStoppedLeading: func(string) { c.record(name, false) },
		OnRequest:        func(string) { n.requests.Add(1) },
	})
	// The watch is the agent's shared Lease informer in miniature.
	f := informers.NewSharedInformerFactoryWithOptions(cs, 0, informers.WithNamespace("portico"))
	inf := f.Coordination().V1().Leases().Informer()
	observe := func(obj any) {
		if l, ok := obj.(*coordinationv1.Lease); ok && l.Name == "portico-l2-default-gw" {
			e.Observe(l)
		}
	}
	_, _ = inf.AddEventHandler(cache.ResourceEventHandlerFuncs{
		AddFunc:    observe,
		UpdateFunc: func(_, obj any) { observe(obj) },
		DeleteFunc: func(any) { e.Observe(nil) },
	})
	ctx, cancel := context.WithCancel(context.Background())
	n.cancel = cancel
	f.Start(ctx.Done())
	f.WaitForCacheSync(ctx.Done())
	go func() { e.Run(ctx); close(n.done) }()
	t.Cleanup(func() { n.cut.Store(false); cancel(); <-n.done })
	c.nodes = append(c.nodes, n)
	return n
}

// Needs kube-apiserver and etcd from `npm run toolchain`; no root.
func TestElectorAgainstRealAPIServer(t *testing.T) {
	cp := kubetest.Start(t, kubetest.Options{})
	ctx := context.Background()
	if _, err := cp.Clientset.CoreV1().Namespaces().Create(ctx, &corev1.Namespace{ObjectMeta: metav1.ObjectMeta{Name: "portico"}}, metav1.CreateOptions{}); err != nil {
		t.Fatal(err)
	}
	p := Params{LeaseDuration: time.Second, RenewDeadline: 750 * time.Millisecond, RetryPeriod: 250 * time.Millisecond}
	c := &cluster{t: t}
	byName := map[string]*node{}
	for i := 1; i <= 3; i++ {
		n := startNode(t, c, cp, fmt.Sprintf("n%d", i), p)
		byName[n.name] = n
	}
	t.Cleanup(c.checkNoOverlap)

	waitUntil(t, "one leader", 5*time.Second, func() bool { return len(c.leaders()) == 1 })
	first := c.leaders()[0]

	t.Run("API load: the holder writes once per retry period, observers send nothing", func(t *testing.T) {
		time.Sleep(2 * p.LeaseDuration) // past the start-up races
		if got := c.leaders(); len(got) != 1 || got[0] != first {
			t.Fatalf("leadership moved during start-up: %v", got)
		}
		before := map[string]int64{}
		for _, n := range c.nodes {
			before[n.name] = n.requests.Load()
		}
		time.Sleep(4 * time.Second)
		for _, n := range c.nodes {
			perSec := float64(n.requests.Load()-before[n.name]) / 4
			if n.name == first {
				if perSec < 3 || perSec > 4.5 {
					t.Errorf("holder %s: %.2f requests/s, want ~4 (one per 250 ms)", n.name, perSec)
				}
				t.Logf("holder %s: %.2f requests/s", n.name, perSec)
			} else if perSec != 0 {
				t.Errorf("observer %s: %.2f requests/s, want 0 (it only watches)", n.name, perSec)
			}
		}
		if got := c.leaders(); len(got) != 1 || got[0] != first {
			t.Errorf("leadership moved without cause: %v", got)
		}
	})

	t.Run("holder cut off: it steps down by the renew deadline, another takes over after the lease duration", func(t *testing.T) {
		cutAt := time.Now()
		byName[first].cut.Store(true)
		stepped := waitUntil(t, first+" stepping down", 2*time.Second, func() bool { return len(c.leaders()) == 0 })
		took := waitUntil(t, "a new leader", 3*time.Second, func() bool { return len(c.leaders()) == 1 })
		t.Logf("stepped down after %v, new leader %v after the cut", stepped.Sub(cutAt), took.Sub(cutAt))
		if d := stepped.Sub(cutAt); d > p.RenewDeadline+150*time.Millisecond {
			t.Errorf("stepped down %v after the cut, want <= renew deadline %v", d, p.RenewDeadline)
		}
		if d := took.Sub(cutAt); d < p.LeaseDuration-p.RetryPeriod || d > p.LeaseDuration+p.RetryPeriod+500*time.Millisecond {
			t.Errorf("took over %v after the cut, want about the lease duration %v", d, p.LeaseDuration)
		}
		byName[first].cut.Store(false)
		time.Sleep(2 * p.LeaseDuration)
		if got := c.leaders(); len(got) != 1 || got[0] == first {
			t.Errorf("after %s's network came back: leaders %v, want the new one only", first, got)
		}
	})

	t.Run("holder shuts down: it releases and another takes over within a retry period", func(t *testing.T) {
		leader := c.leaders()[0]
		at := time.Now()
		byName[leader].cancel()
		<-byName[leader].done
		took := waitUntil(t, "a new leader", 2*time.Second, func() bool {
			l := c.leaders()
			return len(l) == 1 && l[0] != leader
		})
		t.Logf("takeover %v after release", took.Sub(at))
		if d := took.Sub(at); d > 500*time.Millisecond {
			t.Errorf("takeover after a release took %v", d)
		}
		// Once the release is written another node may lead at once: the old one stops first.
		c.mu.Lock()
		var stopped time.Time
		for _, e := range c.events {
			if e.node == leader && !e.leading {
				stopped = e.at
			}
		}
		c.mu.Unlock()
		if released := time.Unix(0, byName[leader].lastWrite.Load()); !stopped.Before(released) {
			t.Errorf("%s stopped leading at %v, after sending its release at %v", leader,
				stopped.Format("15:04:05.000000"), released.Format("15:04:05.000000"))
		}
	})

	l, err := cp.Clientset.CoordinationV1().Leases("portico").Get(ctx, "portico-l2-default-gw", metav1.GetOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if l.Spec.LeaseTransitions == nil || *l.Spec.LeaseTransitions < 2 {
		t.Errorf("leaseTransitions = %v, want >= 2", l.Spec.LeaseTransitions)
	}
}
