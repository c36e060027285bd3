// Package bpf loads Portico's XDP ARP/NDP responder (c/responder.c) and fills its maps.
//
// The object and its Go bindings are generated with clang and committed, so building the agent
// needs no clang. objects.sha256 records the inputs they were generated from; the package's
// tests (and agent/test.sh, without Go) fail when the sources changed and the objects did not.
// Regenerate with `go generate ./bpf` (needs clang and libbpf-dev's bpf_helpers.h).
package bpf

//go:generate go tool bpf2go -cc clang -cflags "-O2 -g -Wall -Werror" -target bpfel -go-package bpf -type vip_key -type vip_stats -type iface -type agent_liveness responder c/responder.c
//go:generate sh -c "sha256sum c/responder.c c/types.h gen.go > objects.sha256"
