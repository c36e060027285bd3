package announce

import (
	"context"
	"net"

	"github.com/vishvananda/netlink"

	"portico.dev/agent/l2"
)

// Link is an interface the agent could announce on.
type Link struct {
	l2.Interface
	Index int
	MAC   net.HardwareAddr
	// Veth is true for veth devices, where native XDP_TX does not deliver (see bpf.Attach).
	Veth bool
}

// Links lists Ethernet links other than loopback. Up means administratively up with carrier
// (operstate up, or unknown for devices that do not report it).
func Links() ([]Link, error) {
	links, err := netlink.LinkList()
	if err != nil {
		return nil, err
	}
	var out []Link
	for _, l := range links {
		a := l.Attrs()
		if a.Flags&net.FlagLoopback != 0 || len(a.HardwareAddr) != 6 || a.EncapType != "ether" {
			continue
		}
		up := a.Flags&net.FlagUp != 0 && (a.OperState == netlink.OperUp || a.OperState == netlink.OperUnknown)
		out = append(out, Link{
			Interface: l2.Interface{Name: a.Name, Up: up},
			Index:     a.Index, MAC: a.HardwareAddr, Veth: l.Type() == "veth",
		})
	}
	return out, nil
}

// WatchLinks calls changed whenever a link appears, disappears or changes state, until ctx ends.
func WatchLinks(ctx context.Context, changed func()) error {
	ch := make(chan netlink.LinkUpdate, 64)
	if err := netlink.LinkSubscribe(ch, ctx.Done()); err != nil {
		return err
	}
	go func() {
		for {
			select {
			case <-ctx.Done():
				return
			case _, ok := <-ch:
				if !ok {
					return
				}
				changed()
			}
		}
	}()
	return nil
}
