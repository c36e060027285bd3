package lease

import (
	"context"
	"math"
	"strconv"
	"sync"
	"sync/atomic"
	"time"

	coordinationv1 "k8s.io/api/coordination/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	coordclient "k8s.io/client-go/kubernetes/typed/coordination/v1"
)

// Hooks are called on the elector's goroutine, in order.
type Hooks struct {
	// OnStartedLeading runs right after this node's write as holder succeeded.
	OnStartedLeading func()
	// OnStoppedLeading runs when this node stops being the holder (or can no longer prove it is).
	OnStoppedLeading func(reason string)
	// OnRequest counts API requests by verb (get, create, update), for the API-load metric.
	OnRequest func(verb string)
}

// Elector runs one election for one Lease. Feed it the Lease as a watch sees it (Observe) and
// run it (Run) while this node is a candidate; cancelling Run's context releases the Lease.
type Elector struct {
	name   string
	params Params
	leases coordclient.LeaseInterface
	hooks  Hooks
	meta   metav1.ObjectMeta

	mu      sync.Mutex
	pending *coordinationv1.Lease
	has     bool
	poke    chan struct{}

	validUntil atomic.Int64 // unix nanos; 0 when not leading

	// Owned by Run.
	st  State
	obj *coordinationv1.Lease
}

// ValidUntil is when this node's leadership expires unless renewed (zero time if not leading).
// A node that was frozen can tell from it, before its elector runs again, that it must not
// announce. Safe to call from any goroutine.
func (e *Elector) ValidUntil() time.Time {
	if n := e.validUntil.Load(); n != 0 {
		return time.Unix(0, n)
	}
	return time.Time{}
}

func (e *Elector) renewed(sent time.Time) {
	e.st.LastRenew, e.st.NextTry = sent, sent.Add(e.params.RetryPeriod)
	e.validUntil.Store(sent.Add(e.params.RenewDeadline).UnixNano())
}

// NewElector makes an elector for the Lease `name` in leases' namespace. labels and annotations
// are set on a Lease it creates.
func NewElector(leases coordclient.LeaseInterface, name string, p Params, labels, annotations map[string]string, h Hooks) *Elector {
	return &Elector{
		name: name, params: p, leases: leases, hooks: h,
		meta: metav1.ObjectMeta{Name: name, Labels: labels, Annotations: annotations},
		poke: make(chan struct{}, 1),
	}
}

// Observe hands the elector the Lease as the API server has it now (nil: it does not exist).
// Safe to call from any goroutine.
func (e *Elector) Observe(l *coordinationv1.Lease) {
	e.mu.Lock()
	e.pending, e.has = l, true
	e.mu.Unlock()
	select {
	case e.poke <- struct{}{}:
	default:
	}
}

// Run elects until ctx is cancelled; then it releases the Lease if it holds it and returns.
func (e *Elector) Run(ctx context.Context) {
	e.st.Candidate = true
	timer := time.NewTimer(time.Hour)
	defer timer.Stop()
	for {
		e.takePending()
		if ctx.Err() != nil {
			e.st.Candidate = false
		}
		now := time.Now()
		action, wake := Next(e.st, e.params, now)
		switch action {
		case Wait:
			if !e.st.Candidate {
				return
			}
			var tc <-chan time.Time
			if !wake.IsZero() {
				timer.Reset(time.Until(wake))
				tc = timer.C
			}
			select {
			case <-ctx.Done():
			case <-e.poke:
			case <-tc:
			}
			timer.Stop()
		case Create, Acquire:
			e.acquire(ctx, action)
		case Renew:
			e.renew(ctx)
		case Release:
			// Stop acting as leader before the Lease says so: once it does, another node may
			// take over at once.
			e.lose("released")
			e.release()
		case StepDown:
			e.lose("renewal failed for longer than the renew deadline")
		}
	}
}

func (e *Elector) takePending() {
	e.mu.Lock()
	l, has := e.pending, e.has
	e.pending, e.has = nil, false
	e.mu.Unlock()
	if has {
		e.observe(l, time.Now())
	}
}

// observe applies a Lease seen by a watch or returned by a request. A watch event older than
// what a write of ours returned is ignored, so it cannot roll the version back.
func (e *Elector) observe(l *coordinationv1.Lease, now time.Time) {
	if l != nil && e.obj != nil && older(l.ResourceVersion, e.obj.ResourceVersion) {
		return
	}
	e.obj = l
	if l == nil {
		e.st.Observe(false, Record{}, now)
	} else {
		e.st.Observe(true, recordOf(l), now)
	}
	if e.st.Leader && (l == nil || e.st.Record.Holder != e.params.Identity) {
		e.lose("another node holds the lease")
	}
}

func (e *Elector) lose(reason string) {
	if !e.st.Leader {
		return
	}
	e.st.Leader = false
	e.validUntil.Store(0)
	if e.hooks.OnStoppedLeading != nil {
		e.hooks.OnStoppedLeading(reason)
	}
}

func (e *Elector) count(verb string) {
	if e.hooks.OnRequest != nil {
		e.hooks.OnRequest(verb)
	}
}

func (e *Elector) acquire(ctx context.Context, action Action) {
	sent := time.Now()
	rctx, cancel := context.WithTimeout(ctx, e.params.RenewDeadline)
	defer cancel()
	var got *coordinationv1.Lease
	var err error
	if action == Create {
		l := &coordinationv1.Lease{ObjectMeta: *e.meta.DeepCopy()}
		e.fill(l, sent, true)
		e.count("create")
		got, err = e.leases.Create(rctx, l, metav1.CreateOptions{})
	} else {
		l := e.obj.DeepCopy()
		e.fill(l, sent, true)
		e.count("update")
		got, err = e.leases.Update(rctx, l, metav1.UpdateOptions{})
	}
	if err != nil {
		e.failed(ctx, err, sent)
		return
	}
	e.observe(got, time.Now())
	e.st.Leader = true
	e.renewed(sent)
	if e.hooks.OnStartedLeading != nil {
		e.hooks.OnStartedLeading()
	}
}

func (e *Elector) renew(ctx context.Context) {
	sent := time.Now()
	rctx, cancel := context.WithTimeout(ctx, e.st.LastRenew.Add(e.params.RenewDeadline).Sub(sent))
	defer cancel()
	l := e.obj.DeepCopy()
	e.fill(l, sent, false)
	e.count("update")
	got, err := e.leases.Update(rctx, l, metav1.UpdateOptions{})
	if err != nil {
		e.failed(ctx, err, sent)
		return
	}
	e.observe(got, time.Now())
	e.renewed(sent)
}

// release clears the holder, as client-go's ReleaseOnCancel does, so observers take over now.
func (e *Elector) release() {
	if e.obj == nil {
		return
	}
	ctx, cancel := context.WithTimeout(context.Background(), e.params.RenewDeadline)
	defer cancel()
	l := e.obj.DeepCopy()
	// A renew cut short by shutdown may have landed without our seeing its answer: on a conflict,
	// read the Lease again and release it if it is still ours, or the others wait out its duration.
	for attempt := 0; attempt < 3; attempt++ {
		now := metav1.NewMicroTime(time.Now())
		l.Spec.HolderIdentity = nil
		l.Spec.LeaseDurationSeconds = ptr(int32(1))
		l.Spec.RenewTime, l.Spec.AcquireTime = &now, &now
		e.count("update")
		got, err := e.leases.Update(ctx, l, metav1.UpdateOptions{})
		if err == nil {
			e.obj = got
			e.st.Observe(true, recordOf(got), time.Now())
			return
		}
		if !apierrors.IsConflict(err) {
			return
		}
		e.count("get")
		cur, gerr := e.leases.Get(ctx, e.name, metav1.GetOptions{})
		if gerr != nil || cur.Spec.HolderIdentity == nil || *cur.Spec.HolderIdentity != e.params.Identity {
			return
		}
		l = cur.DeepCopy()
	}
}

// failed handles a write that did not succeed: on a conflict or a missing Lease it reads the
// Lease again; in every case it waits a retry period before the next write.
func (e *Elector) failed(ctx context.Context, err error, sent time.Time) {
	e.st.NextTry = sent.Add(e.params.RetryPeriod)
	if !apierrors.IsConflict(err) && !apierrors.IsAlreadyExists(err) && !apierrors.IsNotFound(err) {
		return
	}
	rctx, cancel := context.WithTimeout(ctx, e.params.RetryPeriod)
	defer cancel()
	e.count("get")
	got, gerr := e.leases.Get(rctx, e.name, metav1.GetOptions{})
	switch {
	case gerr == nil:
		e.obj = nil // a fresh read always wins over the version we had
		e.observe(got, time.Now())
	case apierrors.IsNotFound(gerr):
		e.obj = nil
		e.observe(nil, time.Now())
	}
}

func (e *Elector) fill(l *coordinationv1.Lease, now time.Time, acquiring bool) {
	t := metav1.NewMicroTime(now)
	prev := ""
	if l.Spec.HolderIdentity != nil {
		prev = *l.Spec.HolderIdentity
	}
	l.Spec.HolderIdentity = ptr(e.params.Identity)
	l.Spec.LeaseDurationSeconds = ptr(int32(math.Ceil(e.params.LeaseDuration.Seconds())))
	l.Spec.RenewTime = &t
	if acquiring && prev != e.params.Identity {
		l.Spec.AcquireTime = &t
		n := int32(0)
		if l.Spec.LeaseTransitions != nil {
			n = *l.Spec.LeaseTransitions + 1
		}
		l.Spec.LeaseTransitions = &n
	}
}

func recordOf(l *coordinationv1.Lease) Record {
	var r Record
	if l.Spec.HolderIdentity != nil {
		r.Holder = *l.Spec.HolderIdentity
	}
	if l.Spec.LeaseDurationSeconds != nil {
		r.Duration = time.Duration(*l.Spec.LeaseDurationSeconds) * time.Second
	}
	if l.Spec.AcquireTime != nil {
		r.AcquireTime = l.Spec.AcquireTime.Time
	}
	if l.Spec.RenewTime != nil {
		r.RenewTime = l.Spec.RenewTime.Time
	}
	if l.Spec.LeaseTransitions != nil {
		r.Transitions = *l.Spec.LeaseTransitions
	}
	return r
}

// older compares resource versions when both are integers (as etcd's are); opaque ones never are.
func older(a, b string) bool {
	x, err1 := strconv.ParseUint(a, 10, 64)
	y, err2 := strconv.ParseUint(b, 10, 64)
	return err1 == nil && err2 == nil && x < y
}

func ptr[T any](v T) *T { return &v }
