/* SPDX-License-Identifier: Apache-2.0 */
/* Portico's L2 responder: answers ARP requests and IPv6 neighbour solicitations for the VIPs
 * this node leads, on the interfaces the agent put them on, while the agent is alive.
 *
 * Maps (filled by the agent, see ../responder.go):
 *   vips:     (ifindex, address as IPv6 or v4-mapped) -> counters; presence means "answer"
 *   ifaces:   ifindex -> MAC to answer with
 *   liveness: [0] = agent's last CLOCK_MONOTONIC stamp and the longest age to trust it
 * Anything not answered is passed to the kernel untouched. */
#include "types.h"
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_endian.h>

#define ETH_ALEN 6
#define ETH_P_ARP 0x0806
#define ETH_P_IPV6 0x86DD
#define ARPHRD_ETHER 1
#define ARPOP_REQUEST 1
#define ARPOP_REPLY 2
#define IPPROTO_ICMPV6 58
#define ND_NEIGHBOR_SOLICIT 135
#define ND_NEIGHBOR_ADVERT 136
#define ND_OPT_TARGET_LL_ADDR 2
#define NA_FLAG_SOLICITED_OVERRIDE bpf_htonl(0x60000000)

struct ethhdr {
	__u8 h_dest[ETH_ALEN];
	__u8 h_source[ETH_ALEN];
	__be16 h_proto;
} __attribute__((packed));

struct arp_eth_ipv4 {
	__be16 htype;
	__be16 ptype;
	__u8 hlen;
	__u8 plen;
	__be16 op;
	__u8 sha[ETH_ALEN];
	__u8 spa[4];
	__u8 tha[ETH_ALEN];
	__u8 tpa[4];
} __attribute__((packed));

struct ipv6hdr {
	__be32 vtc_flow;
	__be16 payload_len;
	__u8 nexthdr;
	__u8 hop_limit;
	__u8 saddr[16];
	__u8 daddr[16];
} __attribute__((packed));

/* A neighbour advertisement with one target link-layer address option: 32 bytes. */
struct nd_msg {
	__u8 type;
	__u8 code;
	__u16 csum;
	__be32 flags;
	__u8 target[16];
	__u8 opt_type;
	__u8 opt_len;
	__u8 opt_mac[ETH_ALEN];
} __attribute__((packed));

#define ND_NS_LEN 24 /* solicitation without options */
#define ND_MSG_LEN ((int)sizeof(struct nd_msg))

struct vip_key {
	__u32 ifindex;
	__u8 addr[16];
};

struct vip_stats {
	__u64 arp_replies;
	__u64 nd_replies;
	/* requests for this VIP left unanswered because the agent's stamp was stale */
	__u64 stale;
};

struct iface {
	__u8 mac[ETH_ALEN];
	__u8 pad[2];
};

struct agent_liveness {
	__u64 stamp_ns;
	__u64 max_age_ns;
};

struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, 4096);
	__type(key, struct vip_key);
	__type(value, struct vip_stats);
} vips SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, 256);
	__type(key, __u32);
	__type(value, struct iface);
} ifaces SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, struct agent_liveness);
} liveness SEC(".maps");

static __always_inline int agent_alive(void)
{
	__u32 zero = 0;
	struct agent_liveness *l = bpf_map_lookup_elem(&liveness, &zero);
	if (!l || l->stamp_ns == 0)
		return 0;
	return bpf_ktime_get_ns() - l->stamp_ns <= l->max_age_ns;
}

/* Looks up (ifindex, address); returns the counters if this node answers for it now. A hit
 * while the agent is stale is counted and not answered. */
static __always_inline struct vip_stats *answering(struct vip_key *key)
{
	struct vip_stats *s = bpf_map_lookup_elem(&vips, key);
	if (!s)
		return 0;
	if (!agent_alive()) {
		__sync_fetch_and_add(&s->stale, 1);
		return 0;
	}
	return s;
}

static __always_inline void copy_mac(__u8 *dst, const __u8 *src)
{
	__builtin_memcpy(dst, src, ETH_ALEN);
}

static __always_inline int handle_arp(struct xdp_md *ctx, struct ethhdr *eth, void *end)
{
	struct arp_eth_ipv4 *arp = (void *)(eth + 1);
	if ((void *)(arp + 1) > end)
		return XDP_PASS;
	if (arp->htype != bpf_htons(ARPHRD_ETHER) || arp->ptype != bpf_htons(0x0800) ||
	    arp->hlen != ETH_ALEN || arp->plen != 4 || arp->op != bpf_htons(ARPOP_REQUEST))
		return XDP_PASS;
	/* A gratuitous request for the VIP (sender = target) announces, it does not ask. */
	if (__builtin_memcmp(arp->spa, arp->tpa, 4) == 0)
		return XDP_PASS;

	struct vip_key key = { .ifindex = ctx->ingress_ifindex };
	key.addr[10] = 0xff;
	key.addr[11] = 0xff;
	__builtin_memcpy(&key.addr[12], arp->tpa, 4);
	struct vip_stats *s = answering(&key);
	if (!s)
		return XDP_PASS;
	__u32 ifindex = ctx->ingress_ifindex;
	struct iface *ifc = bpf_map_lookup_elem(&ifaces, &ifindex);
	if (!ifc)
		return XDP_PASS;

	__u8 ip[4];
	__builtin_memcpy(ip, arp->tpa, 4);
	arp->op = bpf_htons(ARPOP_REPLY);
	copy_mac(arp->tha, arp->sha);
	__builtin_memcpy(arp->tpa, arp->spa, 4);
	copy_mac(arp->sha, ifc->mac);
	__builtin_memcpy(arp->spa, ip, 4);
	copy_mac(eth->h_dest, eth->h_source);
	copy_mac(eth->h_source, ifc->mac);
	__sync_fetch_and_add(&s->arp_replies, 1);
	return XDP_TX;
}

static __always_inline __u16 csum_fold(__u64 sum)
{
	sum = (sum & 0xffff) + (sum >> 16);
	sum = (sum & 0xffff) + (sum >> 16);
	sum = (sum & 0xffff) + (sum >> 16);
	return ~sum;
}

static __always_inline int handle_ns(struct xdp_md *ctx)
{
	void *data = (void *)(long)ctx->data;
	void *end = (void *)(long)ctx->data_end;
	struct ethhdr *eth = data;
	struct ipv6hdr *ip6 = (void *)(eth + 1);
	struct nd_msg *nd = (void *)(ip6 + 1);
	/* The fixed part of a solicitation: type, code, checksum, reserved, target. */
	if ((void *)nd + ND_NS_LEN > end)
		return XDP_PASS;
	if (ip6->nexthdr != IPPROTO_ICMPV6 || ip6->hop_limit != 255 || nd->type != ND_NEIGHBOR_SOLICIT ||
	    nd->code != 0)
		return XDP_PASS;
	int len = bpf_ntohs(ip6->payload_len);
	if (len != ND_NS_LEN && len != ND_MSG_LEN)
		return XDP_PASS;
	/* Duplicate address detection (unspecified source) is left to the kernel. */
	__u64 *src = (__u64 *)ip6->saddr;
	if (src[0] == 0 && src[1] == 0)
		return XDP_PASS;

	struct vip_key key = { .ifindex = ctx->ingress_ifindex };
	__builtin_memcpy(key.addr, nd->target, 16);
	struct vip_stats *s = answering(&key);
	if (!s)
		return XDP_PASS;
	__u32 ifindex = ctx->ingress_ifindex;
	struct iface *ifc = bpf_map_lookup_elem(&ifaces, &ifindex);
	if (!ifc)
		return XDP_PASS;
	struct iface mac = *ifc;

	if (len == ND_NS_LEN) {
		/* Room for the target link-layer address option. */
		if (bpf_xdp_adjust_tail(ctx, ND_MSG_LEN - ND_NS_LEN))
			return XDP_PASS;
		data = (void *)(long)ctx->data;
		end = (void *)(long)ctx->data_end;
		eth = data;
		ip6 = (void *)(eth + 1);
		nd = (void *)(ip6 + 1);
	}
	if ((void *)(nd + 1) > end)
		return XDP_PASS;

	copy_mac(eth->h_dest, eth->h_source);
	copy_mac(eth->h_source, mac.mac);
	__builtin_memcpy(ip6->daddr, ip6->saddr, 16);
	__builtin_memcpy(ip6->saddr, key.addr, 16);
	ip6->payload_len = bpf_htons(ND_MSG_LEN);
	ip6->hop_limit = 255;
	nd->type = ND_NEIGHBOR_ADVERT;
	nd->code = 0;
	nd->csum = 0;
	nd->flags = NA_FLAG_SOLICITED_OVERRIDE;
	nd->opt_type = ND_OPT_TARGET_LL_ADDR;
	nd->opt_len = 1;
	copy_mac(nd->opt_mac, mac.mac);

	/* ICMPv6 checksum: pseudo-header (addresses, length, next header), then the message. */
	struct {
		__be32 len;
		__be32 nexthdr;
	} pseudo = { bpf_htonl(ND_MSG_LEN), bpf_htonl(IPPROTO_ICMPV6) };
	__u8 addrs[32];
	__builtin_memcpy(addrs, ip6->saddr, 32);
	struct nd_msg msg;
	__builtin_memcpy(&msg, nd, sizeof(msg));
	__s64 sum = bpf_csum_diff(0, 0, (__be32 *)addrs, sizeof(addrs), 0);
	sum = bpf_csum_diff(0, 0, (__be32 *)&pseudo, sizeof(pseudo), sum);
	sum = bpf_csum_diff(0, 0, (__be32 *)&msg, sizeof(msg), sum);
	nd->csum = csum_fold((__u32)sum);

	__sync_fetch_and_add(&s->nd_replies, 1);
	return XDP_TX;
}

SEC("xdp")
int l2_responder(struct xdp_md *ctx)
{
	void *data = (void *)(long)ctx->data;
	void *end = (void *)(long)ctx->data_end;
	struct ethhdr *eth = data;
	if ((void *)(eth + 1) > end)
		return XDP_PASS;
	if (eth->h_proto == bpf_htons(ETH_P_ARP))
		return handle_arp(ctx, eth, end);
	if (eth->h_proto == bpf_htons(ETH_P_IPV6))
		return handle_ns(ctx);
	return XDP_PASS;
}

char __license[] SEC("license") = "Apache-2.0";
