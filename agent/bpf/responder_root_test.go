package bpf

import (
	"net"
	"net/netip"
	"strings"
	"testing"
	"time"

	"portico.dev/agent/internal/netnstest"
	"portico.dev/agent/internal/probe"
)

func who(t *testing.T, ns, ifname, src, target string) []net.HardwareAddr {
	t.Helper()
	var got []net.HardwareAddr
	err := netnstest.In(ns, func() error {
		var err error
		got, err = probe.Who(ifname, netip.MustParseAddr(src), netip.MustParseAddr(target), 200*time.Millisecond)
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	return got
}

// Needs root: loads the XDP program and runs it on a veth in namespaces the test creates.
func TestResponderAnswersARPAndNDPRoot(t *testing.T) {
	lab := netnstest.New(t)
	sw, nodeNS, client := lab.NS("sw"), lab.NS("node"), lab.NS("client")
	lab.Bridge(sw, "br0")
	nodeMAC := lab.Link(nodeNS, "lan0", sw, "br0", "p-node", "10.9.0.1/24", "fd09::1/64")
	lab.Link(client, "eth0", sw, "br0", "p-client", "10.9.0.2/24", "fd09::2/64")

	r, err := Load(300 * time.Millisecond)
	if err != nil {
		t.Fatal(err)
	}
	defer r.Close()
	var ifindex int
	if err := netnstest.In(nodeNS, func() error {
		ifi, err := net.InterfaceByName("lan0")
		if err != nil {
			return err
		}
		ifindex = ifi.Index
		return r.Attach(ifi.Index, ifi.HardwareAddr, true)
	}); err != nil {
		t.Fatal(err)
	}
	v4, v6 := Key{ifindex, netip.MustParseAddr("10.9.0.100")}, Key{ifindex, netip.MustParseAddr("fd09::100")}
	for _, k := range []Key{v4, v6} {
		if err := r.Add(k); err != nil {
			t.Fatal(err)
		}
	}
	if err := r.Stamp(); err != nil {
		t.Fatal(err)
	}

	one := func(got []net.HardwareAddr, what string) {
		t.Helper()
		if len(got) != 1 || got[0].String() != nodeMAC.String() {
			t.Errorf("%s: answers %v, want exactly one from %v", what, got, nodeMAC)
		}
	}
	one(who(t, client, "eth0", "10.9.0.2", "10.9.0.100"), "ARP for the VIP")
	if err := r.Stamp(); err != nil {
		t.Fatal(err)
	}
	one(who(t, client, "eth0", "fd09::2", "fd09::100"), "NS for the IPv6 VIP")
	if got := who(t, client, "eth0", "10.9.0.2", "10.9.0.101"); len(got) != 0 {
		t.Errorf("ARP for an address not in the map: answers %v, want none", got)
	}

	// The client's own kernel accepts the advertisement (so its checksum and flags are right).
	if err := r.Stamp(); err != nil {
		t.Fatal(err)
	}
	// A datagram to the VIP makes the client's kernel solicit it (no ping: not on every machine).
	if err := netnstest.In(client, func() error {
		c, err := net.Dial("udp6", "[fd09::100]:9")
		if err != nil {
			return err
		}
		defer c.Close()
		_, err = c.Write([]byte{0})
		return err
	}); err != nil {
		t.Fatal(err)
	}
	var neigh string
	for deadline := time.Now().Add(250 * time.Millisecond); time.Now().Before(deadline); time.Sleep(10 * time.Millisecond) {
		if neigh = lab.Run("ip", "-n", client, "-6", "neigh", "show", "fd09::100"); strings.Contains(neigh, "lladdr") {
			break
		}
	}
	if !strings.Contains(neigh, nodeMAC.String()) {
		t.Errorf("client neighbour entry %q, want lladdr %v", neigh, nodeMAC)
	}

	// Liveness: without a fresh stamp the program falls silent and counts what it left unanswered.
	time.Sleep(400 * time.Millisecond)
	if got := who(t, client, "eth0", "10.9.0.2", "10.9.0.100"); len(got) != 0 {
		t.Errorf("stale stamp: answers %v, want none", got)
	}
	if err := r.Stamp(); err != nil {
		t.Fatal(err)
	}
	one(who(t, client, "eth0", "10.9.0.2", "10.9.0.100"), "ARP after a fresh stamp")

	st, err := r.Stats()
	if err != nil {
		t.Fatal(err)
	}
	if s := st[v4]; s.ARPReplies != 2 || s.Stale != 1 {
		t.Errorf("v4 counters %+v, want 2 ARP replies and 1 stale", s)
	}
	if s := st[v6]; s.NDReplies < 1 {
		t.Errorf("v6 counters %+v, want NDP replies", s)
	}
	if err := r.Remove(v4); err != nil {
		t.Fatal(err)
	}
	if got := who(t, client, "eth0", "10.9.0.2", "10.9.0.100"); len(got) != 0 {
		t.Errorf("after Remove: answers %v, want none", got)
	}
}
