// Package probe asks the network who has an address, the way a client on the segment would, and
// reports every answer: ARP requests for IPv4, neighbour solicitations for IPv6.
package probe

import (
	"bytes"
	"encoding/binary"
	"errors"
	"fmt"
	"net"
	"net/netip"
	"time"

	"github.com/mdlayher/packet"

	"portico.dev/agent/announce"
)

const (
	ethARP  = 0x0806
	ethIPv6 = 0x86DD
)

// Who sends one request for target from ifname and returns the MAC of every answer that arrives
// within wait (the sender hardware address for ARP, the target link-layer option for NDP),
// in arrival order. src is the asking address (IPv4 for ARP, IPv6 for NDP).
func Who(ifname string, src, target netip.Addr, wait time.Duration) ([]net.HardwareAddr, error) {
	ifi, err := net.InterfaceByName(ifname)
	if err != nil {
		return nil, err
	}
	proto := ethARP
	if target.Is6() && !target.Is4In6() {
		proto = ethIPv6
	}
	conn, err := packet.Listen(ifi, packet.Raw, proto, nil)
	if err != nil {
		return nil, fmt.Errorf("packet socket on %s: %w", ifname, err)
	}
	defer conn.Close()
	var frame []byte
	var dst net.HardwareAddr
	if proto == ethARP {
		frame, dst = arpRequest(ifi.HardwareAddr, src, target), net.HardwareAddr{255, 255, 255, 255, 255, 255}
	} else {
		frame, dst = neighborSolicitation(ifi.HardwareAddr, src, target)
	}
	if _, err := conn.WriteTo(frame, &packet.Addr{HardwareAddr: dst}); err != nil {
		return nil, fmt.Errorf("send on %s: %w", ifname, err)
	}
	var out []net.HardwareAddr
	deadline := time.Now().Add(wait)
	buf := make([]byte, 2048)
	for {
		if err := conn.SetReadDeadline(deadline); err != nil {
			return nil, err
		}
		n, _, err := conn.ReadFrom(buf)
		if err != nil {
			var ne net.Error
			if errors.As(err, &ne) && ne.Timeout() {
				return out, nil
			}
			return out, err
		}
		if mac := answer(buf[:n], proto, target); mac != nil {
			out = append(out, mac)
		}
	}
}

func ethernet(dst, src net.HardwareAddr, proto uint16, payload []byte) []byte {
	b := make([]byte, 0, 14+len(payload))
	b = append(b, dst...)
	b = append(b, src...)
	b = binary.BigEndian.AppendUint16(b, proto)
	return append(b, payload...)
}

func arpRequest(mac net.HardwareAddr, src, target netip.Addr) []byte {
	p := []byte{0, 1, 8, 0, 6, 4, 0, 1}
	p = append(p, mac...)
	s4, t4 := src.As4(), target.Unmap().As4()
	p = append(p, s4[:]...)
	p = append(p, make([]byte, 6)...)
	p = append(p, t4[:]...)
	return ethernet(net.HardwareAddr{255, 255, 255, 255, 255, 255}, mac, ethARP, p)
}

func neighborSolicitation(mac net.HardwareAddr, src, target netip.Addr) ([]byte, net.HardwareAddr) {
	t := target.As16()
	// Solicited-node multicast address and its MAC.
	group := [16]byte{0: 0xff, 1: 0x02, 11: 0x01, 12: 0xff, 13: t[13], 14: t[14], 15: t[15]}
	dst := net.HardwareAddr{0x33, 0x33, 0xff, t[13], t[14], t[15]}
	icmp := []byte{135, 0, 0, 0, 0, 0, 0, 0}
	icmp = append(icmp, t[:]...)
	icmp = append(icmp, 1, 1)
	icmp = append(icmp, mac...)
	s := src.As16()
	binary.BigEndian.PutUint16(icmp[2:], announce.ICMPv6Checksum(s, group, icmp))
	ip := []byte{0x60, 0, 0, 0}
	ip = binary.BigEndian.AppendUint16(ip, uint16(len(icmp)))
	ip = append(ip, 58, 255)
	ip = append(ip, s[:]...)
	ip = append(ip, group[:]...)
	return ethernet(dst, mac, ethIPv6, append(ip, icmp...)), dst
}

// answer returns the announced MAC if frame answers for target.
func answer(frame []byte, proto int, target netip.Addr) net.HardwareAddr {
	if len(frame) < 14 || int(binary.BigEndian.Uint16(frame[12:])) != proto {
		return nil
	}
	p := frame[14:]
	if proto == ethARP {
		t4 := target.Unmap().As4()
		if len(p) < 28 || binary.BigEndian.Uint16(p[6:]) != 2 || !bytes.Equal(p[14:18], t4[:]) {
			return nil
		}
		return append(net.HardwareAddr(nil), p[8:14]...)
	}
	if len(p) < 40+32 || p[6] != 58 {
		return nil
	}
	icmp := p[40:]
	t := target.As16()
	if icmp[0] != 136 || !bytes.Equal(icmp[8:24], t[:]) {
		return nil
	}
	var src, dst [16]byte
	copy(src[:], p[8:24])
	copy(dst[:], p[24:40])
	msg := append([]byte(nil), icmp[:binary.BigEndian.Uint16(p[4:])]...)
	got := binary.BigEndian.Uint16(msg[2:])
	msg[2], msg[3] = 0, 0
	if announce.ICMPv6Checksum(src, dst, msg) != got {
		return nil // a bad checksum is no answer: the kernel would drop it too
	}
	if icmp[24] == 2 && icmp[25] == 1 {
		return append(net.HardwareAddr(nil), icmp[26:32]...)
	}
	return nil
}
