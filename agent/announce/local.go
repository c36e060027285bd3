package announce

import (
	"errors"
	"fmt"
	"net"
	"net/netip"
	"os"
	"strings"

	"github.com/vishvananda/netlink"
	"golang.org/x/sys/unix"
)

// RouteProtocol marks the agent's routes, so a restarted agent finds and removes stale ones.
const RouteProtocol netlink.RouteProtocol = 0xb0

// Local makes the kernel deliver VIPs to local sockets (Envoy binds them with IP_FREEBIND):
// `local VIP dev lo table local proto 0xb0`. With such a route the kernel would also answer ARP
// for the VIP on every interface; ARPIgnore stops that.
type Local struct {
	lo int
}

// NewLocal finds the loopback interface.
func NewLocal() (*Local, error) {
	lo, err := netlink.LinkByName("lo")
	if err != nil {
		return nil, fmt.Errorf("find lo: %w", err)
	}
	return &Local{lo: lo.Attrs().Index}, nil
}

func (l *Local) route(addr netip.Addr) *netlink.Route {
	addr = addr.Unmap()
	bits := addr.BitLen()
	return &netlink.Route{
		LinkIndex: l.lo,
		Dst:       &net.IPNet{IP: net.IP(addr.AsSlice()), Mask: net.CIDRMask(bits, bits)},
		Table:     unix.RT_TABLE_LOCAL,
		Type:      unix.RTN_LOCAL,
		Scope:     netlink.SCOPE_HOST,
		Protocol:  RouteProtocol,
	}
}

// Add installs the local route for addr (idempotent).
func (l *Local) Add(addr netip.Addr) error {
	if err := netlink.RouteReplace(l.route(addr)); err != nil {
		return fmt.Errorf("add local route for %s: %w", addr, err)
	}
	return nil
}

// Remove deletes the local route for addr (absent is fine).
func (l *Local) Remove(addr netip.Addr) error {
	err := netlink.RouteDel(l.route(addr))
	if err != nil && !errors.Is(err, unix.ESRCH) && !errors.Is(err, unix.ENOENT) {
		return fmt.Errorf("remove local route for %s: %w", addr, err)
	}
	return nil
}

// List returns the VIPs that have the agent's local route now.
func (l *Local) List() ([]netip.Addr, error) {
	var out []netip.Addr
	for _, family := range []int{netlink.FAMILY_V4, netlink.FAMILY_V6} {
		routes, err := netlink.RouteListFiltered(family, &netlink.Route{Table: unix.RT_TABLE_LOCAL, Protocol: RouteProtocol},
			netlink.RT_FILTER_TABLE|netlink.RT_FILTER_PROTOCOL)
		if err != nil {
			return nil, err
		}
		for _, r := range routes {
			if a, ok := netip.AddrFromSlice(r.Dst.IP); ok {
				out = append(out, a.Unmap())
			}
		}
	}
	return out, nil
}

// ARPIgnore sets net.ipv4.conf.all.arp_ignore to 1 (answer only for addresses configured on
// the receiving interface) if it is 0, so the kernel never answers ARP for a VIP that only has
// a local route: the XDP program alone answers, only on the named interfaces, and only while
// the agent is alive. kube-proxy's IPVS mode sets the same for the same reason.
// It returns the value found.
func ARPIgnore() (string, error) {
	const path = "/proc/sys/net/ipv4/conf/all/arp_ignore"
	b, err := os.ReadFile(path)
	if err != nil {
		return "", err
	}
	old := strings.TrimSpace(string(b))
	if old != "0" {
		return old, nil
	}
	return old, os.WriteFile(path, []byte("1"), 0o644)
}
