// Package announce does the node-side work of holding a VIP: it tells the segment (gratuitous
// ARP, unsolicited neighbour advertisement), makes the kernel deliver the VIP locally, and keeps
// the kernel itself from answering ARP for it.
package announce

import (
	"encoding/binary"
	"fmt"
	"net"
	"net/netip"

	"github.com/mdlayher/packet"
)

var broadcast = net.HardwareAddr{0xff, 0xff, 0xff, 0xff, 0xff, 0xff}

// Announce sends one gratuitous ARP request (IPv4) or unsolicited neighbour advertisement with
// the override flag (IPv6) for addr from ifi, so neighbours update an existing entry now.
// A request, not a reply: Linux treats an ARP reply as gratuitous only if its target MAC equals
// the sender's.
func Announce(ifi *net.Interface, addr netip.Addr) error {
	if len(ifi.HardwareAddr) != 6 {
		return fmt.Errorf("%s has no Ethernet address", ifi.Name)
	}
	var frame []byte
	var dst net.HardwareAddr
	var proto uint16
	if addr.Unmap().Is4() {
		frame, dst, proto = gratuitousARP(ifi.HardwareAddr, addr.Unmap()), broadcast, 0x0806
	} else {
		frame, dst, proto = unsolicitedNA(ifi.HardwareAddr, addr), net.HardwareAddr{0x33, 0x33, 0, 0, 0, 1}, 0x86DD
	}
	conn, err := packet.Listen(ifi, packet.Raw, int(proto), nil)
	if err != nil {
		return fmt.Errorf("packet socket on %s: %w", ifi.Name, err)
	}
	defer conn.Close()
	if _, err := conn.WriteTo(frame, &packet.Addr{HardwareAddr: dst}); err != nil {
		return fmt.Errorf("announce %s on %s: %w", addr, ifi.Name, err)
	}
	return nil
}

func gratuitousARP(mac net.HardwareAddr, addr netip.Addr) []byte {
	ip := addr.As4()
	b := append([]byte{}, broadcast...)
	b = append(b, mac...)
	b = append(b, 0x08, 0x06, 0, 1, 8, 0, 6, 4, 0, 1)
	b = append(b, mac...)
	b = append(b, ip[:]...)
	b = append(b, 0, 0, 0, 0, 0, 0)
	return append(b, ip[:]...)
}

func unsolicitedNA(mac net.HardwareAddr, addr netip.Addr) []byte {
	src := addr.As16()
	allNodes := [16]byte{0: 0xff, 1: 0x02, 15: 1}
	icmp := []byte{136, 0, 0, 0, 0x20, 0, 0, 0} // override, not solicited
	icmp = append(icmp, src[:]...)
	icmp = append(icmp, 2, 1)
	icmp = append(icmp, mac...)
	binary.BigEndian.PutUint16(icmp[2:], ICMPv6Checksum(src, allNodes, icmp))
	b := []byte{0x33, 0x33, 0, 0, 0, 1}
	b = append(b, mac...)
	b = append(b, 0x86, 0xdd, 0x60, 0, 0, 0)
	b = binary.BigEndian.AppendUint16(b, uint16(len(icmp)))
	b = append(b, 58, 255)
	b = append(b, src[:]...)
	b = append(b, allNodes[:]...)
	return append(b, icmp...)
}

// ICMPv6Checksum is the RFC 4443 checksum of msg (its checksum field zero) from src to dst.
func ICMPv6Checksum(src, dst [16]byte, msg []byte) uint16 {
	var sum uint32
	add := func(b []byte) {
		for i := 0; i+1 < len(b); i += 2 {
			sum += uint32(binary.BigEndian.Uint16(b[i:]))
		}
		if len(b)%2 == 1 {
			sum += uint32(b[len(b)-1]) << 8
		}
	}
	add(src[:])
	add(dst[:])
	add(binary.BigEndian.AppendUint32(nil, uint32(len(msg))))
	add([]byte{0, 0, 0, 58})
	add(msg)
	for sum > 0xffff {
		sum = sum&0xffff + sum>>16
	}
	return ^uint16(sum)
}
