package bpf

import (
	"errors"
	"fmt"
	"net"
	"net/netip"
	"sync"
	"time"

	"github.com/cilium/ebpf"
	"github.com/cilium/ebpf/link"
	"github.com/cilium/ebpf/rlimit"
	"golang.org/x/sys/unix"
)

// Key is one (interface, VIP) the responder answers for.
type Key struct {
	Ifindex int
	Addr    netip.Addr
}

// Stats are the program's counters for one Key.
type Stats struct {
	ARPReplies uint64
	NDReplies  uint64
	// Stale counts requests left unanswered because the agent's liveness stamp was too old.
	Stale uint64
}

// Responder is the loaded program, its maps, and its attachments.
type Responder struct {
	objs   responderObjects
	maxAge time.Duration

	mu    sync.Mutex
	links map[int]link.Link
}

// Load loads the program. It answers only while the agent's stamp (Stamp) is younger than maxAge.
func Load(maxAge time.Duration) (*Responder, error) {
	if err := rlimit.RemoveMemlock(); err != nil {
		return nil, fmt.Errorf("remove memlock limit: %w", err)
	}
	r := &Responder{maxAge: maxAge, links: map[int]link.Link{}}
	if err := loadResponderObjects(&r.objs, nil); err != nil {
		var verr *ebpf.VerifierError
		if errors.As(err, &verr) {
			return nil, fmt.Errorf("load XDP responder: %+v", verr)
		}
		return nil, fmt.Errorf("load XDP responder: %w", err)
	}
	return r, nil
}

// Attach attaches the program to an interface (idempotent) and records the MAC it answers with.
// generic selects the kernel's generic XDP path: on veth, native XDP_TX replies are dropped unless
// the peer runs an XDP program too (see docs), so veths use generic mode.
func (r *Responder) Attach(ifindex int, mac net.HardwareAddr, generic bool) error {
	if len(mac) != 6 {
		return fmt.Errorf("interface %d: need a 6-byte MAC, got %q", ifindex, mac)
	}
	var ifc responderIface
	copy(ifc.Mac[:], mac)
	if err := r.objs.Ifaces.Put(uint32(ifindex), ifc); err != nil {
		return fmt.Errorf("interface %d: record MAC: %w", ifindex, err)
	}
	r.mu.Lock()
	defer r.mu.Unlock()
	if _, ok := r.links[ifindex]; ok {
		return nil
	}
	flags := link.XDPDriverMode
	if generic {
		flags = link.XDPGenericMode
	}
	l, err := link.AttachXDP(link.XDPOptions{Program: r.objs.L2Responder, Interface: ifindex, Flags: flags})
	if err != nil {
		return fmt.Errorf("interface %d: attach XDP: %w", ifindex, err)
	}
	r.links[ifindex] = l
	return nil
}

// Detach removes the program from an interface.
func (r *Responder) Detach(ifindex int) error {
	r.mu.Lock()
	l, ok := r.links[ifindex]
	delete(r.links, ifindex)
	r.mu.Unlock()
	_ = r.objs.Ifaces.Delete(uint32(ifindex))
	if !ok {
		return nil
	}
	return l.Close()
}

// Attached returns the interfaces the program is attached to.
func (r *Responder) Attached() []int {
	r.mu.Lock()
	defer r.mu.Unlock()
	out := make([]int, 0, len(r.links))
	for i := range r.links {
		out = append(out, i)
	}
	return out
}

func key(k Key) responderVipKey {
	a := k.Addr.As16() // IPv4 becomes ::ffff:a.b.c.d, as the program looks it up
	return responderVipKey{Ifindex: uint32(k.Ifindex), Addr: a}
}

// Add makes the program answer for k. Counters of an existing entry are kept.
func (r *Responder) Add(k Key) error {
	err := r.objs.Vips.Update(key(k), responderVipStats{}, ebpf.UpdateNoExist)
	if err != nil && !errors.Is(err, ebpf.ErrKeyExist) {
		return fmt.Errorf("add %s on interface %d: %w", k.Addr, k.Ifindex, err)
	}
	return nil
}

// Remove stops answering for k.
func (r *Responder) Remove(k Key) error {
	if err := r.objs.Vips.Delete(key(k)); err != nil && !errors.Is(err, ebpf.ErrKeyNotExist) {
		return fmt.Errorf("remove %s on interface %d: %w", k.Addr, k.Ifindex, err)
	}
	return nil
}

// Stamp tells the program the agent is alive now.
func (r *Responder) Stamp() error {
	var ts unix.Timespec
	if err := unix.ClockGettime(unix.CLOCK_MONOTONIC, &ts); err != nil {
		return err
	}
	v := responderAgentLiveness{StampNs: uint64(ts.Nano()), MaxAgeNs: uint64(r.maxAge.Nanoseconds())}
	return r.objs.Liveness.Put(uint32(0), v)
}

// Stats reads every entry's counters.
func (r *Responder) Stats() (map[Key]Stats, error) {
	out := map[Key]Stats{}
	var k responderVipKey
	var v responderVipStats
	it := r.objs.Vips.Iterate()
	for it.Next(&k, &v) {
		addr := netip.AddrFrom16(k.Addr).Unmap()
		out[Key{Ifindex: int(k.Ifindex), Addr: addr}] = Stats{ARPReplies: v.ArpReplies, NDReplies: v.NdReplies, Stale: v.Stale}
	}
	return out, it.Err()
}

// Keys lists what the program answers for.
func (r *Responder) Keys() ([]Key, error) {
	s, err := r.Stats()
	out := make([]Key, 0, len(s))
	for k := range s {
		out = append(out, k)
	}
	return out, err
}

// Close detaches everywhere and frees the program and maps.
func (r *Responder) Close() error {
	r.mu.Lock()
	links := r.links
	r.links = map[int]link.Link{}
	r.mu.Unlock()
	var errs []error
	for _, l := range links {
		errs = append(errs, l.Close())
	}
	errs = append(errs, r.objs.Close())
	return errors.Join(errs...)
}
