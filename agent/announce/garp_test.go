package announce

import (
	"bytes"
	"encoding/binary"
	"net"
	"net/netip"
	"testing"
)

var mac = net.HardwareAddr{0x02, 0, 0, 0, 0, 0x11}

func TestGratuitousARPIsABroadcastRequestForItself(t *testing.T) {
	f := gratuitousARP(mac, netip.MustParseAddr("10.0.0.5"))
	ip := []byte{10, 0, 0, 5}
	checks := []struct {
		name      string
		got, want []byte
	}{
		{"destination", f[0:6], broadcast},
		{"source", f[6:12], mac},
		{"ethertype", f[12:14], []byte{0x08, 0x06}},
		{"opcode request", f[20:22], []byte{0, 1}},
		{"sender MAC", f[22:28], mac},
		{"sender IP", f[28:32], ip},
		{"target IP = sender IP", f[38:42], ip},
	}
	for _, c := range checks {
		if !bytes.Equal(c.got, c.want) {
			t.Errorf("%s: % x, want % x", c.name, c.got, c.want)
		}
	}
	if len(f) != 42 {
		t.Errorf("length %d, want 42", len(f))
	}
}

func TestUnsolicitedNA(t *testing.T) {
	vip := netip.MustParseAddr("fd00::5")
	f := unsolicitedNA(mac, vip)
	ip6, icmp := f[14:54], f[54:]
	if !bytes.Equal(f[0:6], []byte{0x33, 0x33, 0, 0, 0, 1}) || ip6[6] != 58 || ip6[7] != 255 {
		t.Fatalf("not an all-nodes ICMPv6 packet with hop limit 255: % x", f[:22])
	}
	if icmp[0] != 136 || icmp[4] != 0x20 {
		t.Errorf("type %d flags %#x, want NA (136) with only the override flag", icmp[0], icmp[4])
	}
	target := vip.As16()
	if !bytes.Equal(icmp[8:24], target[:]) || !bytes.Equal(icmp[26:32], mac) || icmp[24] != 2 {
		t.Errorf("target or target link-layer option wrong: % x", icmp)
	}
	var src, dst [16]byte
	copy(src[:], ip6[8:24])
	copy(dst[:], ip6[24:40])
	msg := append([]byte(nil), icmp...)
	sum := binary.BigEndian.Uint16(msg[2:])
	msg[2], msg[3] = 0, 0
	if got := ICMPv6Checksum(src, dst, msg); got != sum {
		t.Errorf("checksum %#x, want %#x", sum, got)
	}
}

// RFC 1071's example words sum to 0xddf2 (before the complement).
func TestICMPv6ChecksumArithmetic(t *testing.T) {
	var zero [16]byte
	msg := []byte{0x00, 0x01, 0xf2, 0x03, 0xf4, 0xf5, 0xf6, 0xf7}
	// The pseudo-header adds len (8) and next header (58).
	want := ^uint16(0xddf2 + 8 + 58)
	if got := ICMPv6Checksum(zero, zero, msg); got != want {
		t.Errorf("got %#x, want %#x", got, want)
	}
}
