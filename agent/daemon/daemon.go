// Package daemon wires the agent: informers -> l2.Select -> one lease.Elector per candidate
// Service -> the datapath (XDP map entries, local routes, gratuitous announcements) for the
// Services this node leads, plus liveness stamps, Events, conditions, metrics and health.
package daemon

import (
	"context"
	"fmt"
	"log/slog"
	"net"
	"net/netip"
	"slices"
	"sync"
	"sync/atomic"
	"time"

	coordinationv1 "k8s.io/api/coordination/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/fields"
	"k8s.io/apimachinery/pkg/labels"
	"k8s.io/apimachinery/pkg/types"
	"k8s.io/client-go/dynamic"
	"k8s.io/client-go/dynamic/dynamicinformer"
	"k8s.io/client-go/informers"
	"k8s.io/client-go/kubernetes"
	corelisters "k8s.io/client-go/listers/core/v1"
	"k8s.io/client-go/tools/cache"
	"k8s.io/client-go/tools/record"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	"portico.dev/agent/announce"
	"portico.dev/agent/bpf"
	"portico.dev/agent/l2"
	"portico.dev/agent/lease"
)

// Lease objects the agent manages carry this label; the agent watches only those.
const (
	ManagedByLabel = "app.kubernetes.io/managed-by"
	ManagedBy      = "portico-agent"
)

// Config is what the flags set.
type Config struct {
	NodeName       string
	LeaseNamespace string
	Lease          lease.Params // Identity is set from NodeName
	// MaxLiveness is how old the agent's stamp may be before the XDP program stops answering.
	MaxLiveness   time.Duration
	StampInterval time.Duration
	// XDPMode is auto (generic on veth, native elsewhere, generic if native fails), native or generic.
	XDPMode   string
	ARPIgnore bool
}

// LeaseName is the Lease that elects the announcer of a Service.
func LeaseName(svc types.NamespacedName) string {
	return fmt.Sprintf("portico-l2-%s-%s", svc.Namespace, svc.Name)
}

type candidacy struct {
	svc     types.NamespacedName
	ann     l2.Announcement
	elector *lease.Elector
	cancel  context.CancelFunc
	done    chan struct{}
}

// Daemon is one running agent.
type Daemon struct {
	cfg      Config
	cs       kubernetes.Interface
	log      *slog.Logger
	resp     *bpf.Responder
	local    *announce.Local
	metrics  *Metrics
	recorder record.EventRecorder

	services cache.SharedIndexInformer
	svcs     corelisters.ServiceLister
	nodes    corelisters.NodeLister
	policies cache.SharedIndexInformer
	leases   cache.SharedIndexInformer
	synced   []cache.InformerSynced

	startInformers func(stop <-chan struct{})

	trigger   chan struct{}
	lastStamp atomic.Int64 // unix nanos of the last successful stamp
	ready     atomic.Bool

	mu         sync.Mutex
	candidates map[types.NamespacedName]*candidacy
	byLease    map[string]*candidacy
	leading    map[types.NamespacedName]*candidacy
	links      []announce.Link
	attached   map[int]bool
	entries    map[bpf.Key]bool
	routes     map[netip.Addr]bool
	badPolicy  map[string]string
}

// New builds the daemon; Run starts it.
func New(cfg Config, cs kubernetes.Interface, dyn dynamic.Interface, log *slog.Logger, m *Metrics) *Daemon {
	cfg.Lease.Identity = cfg.NodeName
	d := &Daemon{
		cfg: cfg, cs: cs, log: log, metrics: m,
		trigger:    make(chan struct{}, 1),
		candidates: map[types.NamespacedName]*candidacy{},
		byLease:    map[string]*candidacy{},
		leading:    map[types.NamespacedName]*candidacy{},
		attached:   map[int]bool{},
		entries:    map[bpf.Key]bool{},
		routes:     map[netip.Addr]bool{},
		badPolicy:  map[string]string{},
	}
	all := informers.NewSharedInformerFactory(cs, 0)
	d.services = all.Core().V1().Services().Informer()
	d.svcs = all.Core().V1().Services().Lister()
	nodeFactory := informers.NewSharedInformerFactoryWithOptions(cs, 0, informers.WithTweakListOptions(func(o *metav1.ListOptions) {
		o.FieldSelector = fields.OneTermEqualSelector("metadata.name", cfg.NodeName).String()
	}))
	nodeInf := nodeFactory.Core().V1().Nodes()
	d.nodes = nodeInf.Lister()
	leaseFactory := informers.NewSharedInformerFactoryWithOptions(cs, 0, informers.WithNamespace(cfg.LeaseNamespace),
		informers.WithTweakListOptions(func(o *metav1.ListOptions) {
			o.LabelSelector = labels.Set{ManagedByLabel: ManagedBy}.String()
		}))
	d.leases = leaseFactory.Coordination().V1().Leases().Informer()
	dynFactory := dynamicinformer.NewDynamicSharedInformerFactory(dyn, 0)
	d.policies = dynFactory.ForResource(l2.PolicyGVR).Informer()

	poke := cache.ResourceEventHandlerFuncs{
		AddFunc:    func(any) { d.poke() },
		UpdateFunc: func(any, any) { d.poke() },
		DeleteFunc: func(any) { d.poke() },
	}
	for _, inf := range []cache.SharedIndexInformer{d.services, nodeInf.Informer(), d.policies} {
		_, _ = inf.AddEventHandler(poke)
	}
	_, _ = d.leases.AddEventHandler(cache.ResourceEventHandlerFuncs{
		AddFunc:    func(o any) { d.observeLease(o, false) },
		UpdateFunc: func(_, o any) { d.observeLease(o, false) },
		DeleteFunc: func(o any) { d.observeLease(o, true) },
	})
	d.synced = []cache.InformerSynced{d.services.HasSynced, nodeInf.Informer().HasSynced, d.policies.HasSynced, d.leases.HasSynced}
	d.startInformers = func(stop <-chan struct{}) {
		all.Start(stop)
		nodeFactory.Start(stop)
		leaseFactory.Start(stop)
		dynFactory.Start(stop)
	}
	return d
}

func (d *Daemon) poke() {
	select {
	case d.trigger <- struct{}{}:
	default:
	}
}

func (d *Daemon) observeLease(o any, deleted bool) {
	if t, ok := o.(cache.DeletedFinalStateUnknown); ok {
		o, deleted = t.Obj, true
	}
	l, ok := o.(*coordinationv1.Lease)
	if !ok {
		return
	}
	d.mu.Lock()
	c := d.byLease[l.Name]
	d.mu.Unlock()
	if c == nil {
		return
	}
	if deleted {
		c.elector.Observe(nil)
	} else {
		c.elector.Observe(l)
	}
}

// Run runs until ctx ends, then releases every Lease it holds and removes its datapath state.
func (d *Daemon) Run(ctx context.Context) error {
	var err error
	if d.resp, err = bpf.Load(d.cfg.MaxLiveness); err != nil {
		return err
	}
	defer d.resp.Close()
	if err := d.stamp(); err != nil {
		return fmt.Errorf("liveness stamp: %w", err)
	}
	d.metrics.SetStats(d.resp.Stats)
	if d.local, err = announce.NewLocal(); err != nil {
		return err
	}
	d.removeStaleRoutes()
	if d.cfg.ARPIgnore {
		if old, err := announce.ARPIgnore(); err != nil {
			d.log.Warn("cannot set net.ipv4.conf.all.arp_ignore=1: the kernel may answer ARP for VIPs this node leads on interfaces the policy does not name, and while the agent is frozen", "err", err)
		} else if old == "0" {
			d.log.Info("set net.ipv4.conf.all.arp_ignore=1 so only the XDP program answers ARP for VIPs")
		}
	}
	d.recorder = newRecorder(ctx, d.cs, d.cfg.NodeName)

	inner, cancel := context.WithCancel(context.Background())
	defer cancel()
	go d.stampLoop(inner)
	if err := announce.WatchLinks(inner, d.poke); err != nil {
		return fmt.Errorf("watch links: %w", err)
	}
	d.startInformers(inner.Done())
	if !cache.WaitForCacheSync(ctx.Done(), d.synced...) {
		return nil // stopped before the caches synced
	}
	d.ready.Store(true)
	d.log.Info("caches synced", "node", d.cfg.NodeName)
	d.reconcile()
	for {
		select {
		case <-ctx.Done():
			d.shutdown()
			return nil
		case <-d.trigger:
			d.reconcile()
		}
	}
}

func (d *Daemon) stamp() error {
	if err := d.resp.Stamp(); err != nil {
		return err
	}
	d.lastStamp.Store(time.Now().UnixNano())
	return nil
}

func (d *Daemon) stampLoop(ctx context.Context) {
	t := time.NewTicker(d.cfg.StampInterval)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
			if !d.mayAnswer() {
				continue // an elector is past its deadline (we were frozen): withdraw first
			}
			if err := d.stamp(); err != nil {
				d.log.Error("liveness stamp failed", "err", err)
			}
		}
	}
}

// mayAnswer is false while a Service this node announces is past its lease's renew deadline:
// after a freeze the stamp must not revive the program before the elector has stepped down.
func (d *Daemon) mayAnswer() bool {
	now := time.Now()
	d.mu.Lock()
	defer d.mu.Unlock()
	for _, c := range d.leading {
		if !now.Before(c.elector.ValidUntil()) {
			return false
		}
	}
	return true
}

// Healthy is true once caches synced and while the liveness stamp is fresh.
func (d *Daemon) Healthy() error {
	if !d.ready.Load() {
		return fmt.Errorf("caches not synced")
	}
	if age := time.Since(time.Unix(0, d.lastStamp.Load())); age > d.cfg.MaxLiveness {
		return fmt.Errorf("liveness stamp is %v old", age.Round(time.Millisecond))
	}
	return nil
}

func (d *Daemon) currentPolicies() []l2.Policy {
	var out []l2.Policy
	for _, o := range d.policies.GetStore().List() {
		u, ok := o.(*unstructured.Unstructured)
		if !ok {
			continue
		}
		p, err := l2.ParsePolicy(u)
		if err != nil {
			if d.badPolicy[u.GetName()] != err.Error() {
				d.log.Warn("ignoring L2AnnouncementPolicy", "policy", u.GetName(), "err", err)
				d.badPolicy[u.GetName()] = err.Error()
			}
			continue
		}
		delete(d.badPolicy, u.GetName())
		out = append(out, p)
	}
	return out
}

// reconcile recomputes candidacies from the caches and the links, starts and stops electors,
// and brings the datapath in line.
func (d *Daemon) reconcile() {
	links, err := announce.Links()
	if err != nil {
		d.log.Error("list links", "err", err)
		return
	}
	ifaces := make([]l2.Interface, len(links))
	for i, l := range links {
		ifaces[i] = l.Interface
	}
	node, err := d.nodes.Get(d.cfg.NodeName)
	if err != nil {
		node = nil
	}
	services, _ := d.svcs.List(labels.Everything())
	d.mu.Lock()
	defer d.mu.Unlock()
	anns := l2.Select(node, d.currentPolicies(), services, ifaces)
	want := map[types.NamespacedName]l2.Announcement{}
	for _, a := range anns {
		want[a.Service] = a
	}
	for svc, c := range d.candidates {
		if _, ok := want[svc]; !ok {
			d.log.Info("no longer a candidate", "service", svc.String())
			delete(d.candidates, svc)
			delete(d.byLease, LeaseName(svc))
			c.cancel() // the elector releases the Lease; OnStoppedLeading withdraws
			go d.collectLease(c)
		}
	}
	for svc, a := range want {
		if c, ok := d.candidates[svc]; ok {
			c.ann = a
			continue
		}
		d.startCandidacy(a)
	}
	d.links = links
	d.syncDatapath()
}

func (d *Daemon) startCandidacy(a l2.Announcement) {
	svc := a.Service
	ctx, cancel := context.WithCancel(context.Background())
	c := &candidacy{svc: svc, ann: a, cancel: cancel, done: make(chan struct{})}
	name := LeaseName(svc)
	c.elector = lease.NewElector(d.cs.CoordinationV1().Leases(d.cfg.LeaseNamespace), name, d.cfg.Lease,
		map[string]string{ManagedByLabel: ManagedBy},
		map[string]string{l2.ServiceNamespaceLabel: svc.Namespace, l2.ServiceNameLabel: svc.Name},
		lease.Hooks{
			OnStartedLeading: func() { d.started(c) },
			OnStoppedLeading: func(reason string) { d.stopped(c, reason) },
			OnRequest:        d.metrics.leaseRequest,
		})
	if o, ok, _ := d.leases.GetStore().GetByKey(d.cfg.LeaseNamespace + "/" + name); ok {
		if l, ok := o.(*coordinationv1.Lease); ok {
			c.elector.Observe(l)
		}
	}
	d.candidates[svc] = c
	d.byLease[name] = c
	d.log.Info("candidate", "service", svc.String(), "lease", name)
	go func() {
		defer close(c.done)
		c.elector.Run(ctx)
	}()
}

// collectLease deletes the Lease of a Service that no longer exists, once this node's elector
// has released it, so Leases do not pile up. Conditional on the version read: a node that took
// it meanwhile keeps it.
func (d *Daemon) collectLease(c *candidacy) {
	<-c.done
	if _, err := d.svcs.Services(c.svc.Namespace).Get(c.svc.Name); err == nil {
		return
	}
	name := LeaseName(c.svc)
	leases := d.cs.CoordinationV1().Leases(d.cfg.LeaseNamespace)
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	l, err := leases.Get(ctx, name, metav1.GetOptions{})
	if err != nil || (l.Spec.HolderIdentity != nil && *l.Spec.HolderIdentity != "" && *l.Spec.HolderIdentity != d.cfg.NodeName) {
		return
	}
	rv := l.ResourceVersion
	if err := leases.Delete(ctx, name, metav1.DeleteOptions{Preconditions: &metav1.Preconditions{ResourceVersion: &rv}}); err == nil {
		d.log.Info("deleted the Lease of a deleted Service", "service", c.svc.String(), "lease", name)
	}
}

func (d *Daemon) started(c *candidacy) {
	d.mu.Lock()
	d.leading[c.svc] = c
	d.syncDatapath()
	ann := c.ann
	d.mu.Unlock()
	d.metrics.transition(c.svc, true)
	d.log.Info("leading: announcing", "service", c.svc.String(), "vips", describe(ann))
	go d.report(ann)
}

func (d *Daemon) stopped(c *candidacy, reason string) {
	d.mu.Lock()
	if d.leading[c.svc] == c {
		delete(d.leading, c.svc)
	}
	d.syncDatapath()
	d.mu.Unlock()
	d.metrics.transition(c.svc, false)
	d.log.Info("stopped leading: withdrawn", "service", c.svc.String(), "reason", reason)
}

func describe(a l2.Announcement) string {
	s := ""
	for i, v := range a.VIPs {
		if i > 0 {
			s += " "
		}
		s += fmt.Sprintf("%s@%v", v.Addr, v.Interfaces)
	}
	return s
}

// syncDatapath makes the XDP attachments, map entries and local routes match what this node
// leads. Called with d.mu held. New (interface, VIP) entries are announced at once.
func (d *Daemon) syncDatapath() {
	byName := map[string]announce.Link{}
	for _, l := range d.links {
		byName[l.Name] = l
	}
	// Attach wherever any candidacy may announce, so a takeover only writes map entries.
	wantAttach := map[int]announce.Link{}
	for _, c := range d.candidates {
		for _, v := range c.ann.VIPs {
			for _, n := range v.Interfaces {
				if l, ok := byName[n]; ok && l.Up {
					wantAttach[l.Index] = l
				}
			}
		}
	}
	wantEntries := map[bpf.Key]announce.Link{}
	wantRoutes := map[netip.Addr]bool{}
	for _, c := range d.leading {
		if d.candidates[c.svc] != c {
			continue // being released
		}
		for _, v := range c.ann.VIPs {
			for _, n := range v.Interfaces {
				if l, ok := wantAttach[byName[n].Index]; ok && l.Name == n {
					wantEntries[bpf.Key{Ifindex: l.Index, Addr: v.Addr}] = l
					wantRoutes[v.Addr] = true
				}
			}
		}
	}
	for idx, l := range wantAttach {
		if d.attached[idx] {
			continue
		}
		if err := d.attach(l); err != nil {
			d.log.Error("attach XDP", "interface", l.Name, "err", err)
			continue
		}
		d.attached[idx] = true
	}
	// Withdraw before detaching, detach after: order keeps one answerer at a time.
	for k := range d.entries {
		if _, ok := wantEntries[k]; !ok {
			if err := d.resp.Remove(k); err != nil {
				d.log.Error("withdraw", "vip", k.Addr.String(), "err", err)
			}
			delete(d.entries, k)
		}
	}
	for a := range d.routes {
		if !wantRoutes[a] {
			if err := d.local.Remove(a); err != nil {
				d.log.Error("remove local route", "vip", a.String(), "err", err)
			}
			delete(d.routes, a)
		}
	}
	for a := range wantRoutes {
		if !d.routes[a] {
			if err := d.local.Add(a); err != nil {
				d.log.Error("add local route", "vip", a.String(), "err", err)
				continue
			}
			d.routes[a] = true
		}
	}
	var fresh []bpf.Key
	for k := range wantEntries {
		if !d.entries[k] {
			if err := d.resp.Add(k); err != nil {
				d.log.Error("announce", "vip", k.Addr.String(), "err", err)
				continue
			}
			d.entries[k] = true
			fresh = append(fresh, k)
		}
	}
	for _, k := range fresh {
		l := wantEntries[k]
		ifi := &net.Interface{Index: l.Index, Name: l.Name, HardwareAddr: l.MAC}
		if err := announce.Announce(ifi, k.Addr); err != nil {
			d.log.Error("gratuitous announcement", "vip", k.Addr.String(), "interface", l.Name, "err", err)
		}
	}
	for idx := range d.attached {
		if _, ok := wantAttach[idx]; !ok {
			if err := d.resp.Detach(idx); err != nil {
				d.log.Error("detach XDP", "ifindex", idx, "err", err)
			}
			delete(d.attached, idx)
		}
	}
	d.metrics.setLinks(d.links)
	d.metrics.setLeading(d.leadingServices())
}

func (d *Daemon) leadingServices() map[netip.Addr]string {
	out := map[netip.Addr]string{}
	for svc, c := range d.leading {
		for _, v := range c.ann.VIPs {
			out[v.Addr] = svc.String()
		}
	}
	return out
}

func (d *Daemon) attach(l announce.Link) error {
	switch d.cfg.XDPMode {
	case "generic":
		return d.resp.Attach(l.Index, l.MAC, true)
	case "native":
		return d.resp.Attach(l.Index, l.MAC, false)
	}
	if l.Veth {
		return d.resp.Attach(l.Index, l.MAC, true)
	}
	if err := d.resp.Attach(l.Index, l.MAC, false); err != nil {
		d.log.Warn("native XDP failed, using generic", "interface", l.Name, "err", err)
		return d.resp.Attach(l.Index, l.MAC, true)
	}
	return nil
}

func (d *Daemon) removeStaleRoutes() {
	stale, err := d.local.List()
	if err != nil {
		d.log.Warn("list local routes", "err", err)
	}
	for _, a := range stale {
		d.log.Info("removing a local route left by a previous run", "vip", a.String())
		_ = d.local.Remove(a)
	}
}

// shutdown releases every Lease (so others take over at once) and clears the datapath.
func (d *Daemon) shutdown() {
	d.mu.Lock()
	cs := make([]*candidacy, 0, len(d.candidates))
	for svc, c := range d.candidates {
		cs = append(cs, c)
		delete(d.candidates, svc)
		delete(d.byLease, LeaseName(svc))
		c.cancel()
	}
	d.mu.Unlock()
	deadline := time.After(d.cfg.Lease.RenewDeadline + time.Second)
	for _, c := range cs {
		select {
		case <-c.done:
		case <-deadline:
		}
	}
	d.mu.Lock()
	d.leading = map[types.NamespacedName]*candidacy{}
	d.syncDatapath()
	d.mu.Unlock()
	d.log.Info("stopped", "released", len(cs))
}

// Attached lists interfaces with the program attached (for tests).
func (d *Daemon) Attached() []int {
	d.mu.Lock()
	defer d.mu.Unlock()
	var out []int
	for i := range d.attached {
		out = append(out, i)
	}
	slices.Sort(out)
	return out
}
