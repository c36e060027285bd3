#!/bin/sh
# The node agent's checks and tests, for `npm test`: stale BPF objects, gofmt, go vet, go test.
# Tests that need root (network namespaces, XDP) run when this runs as root and skip otherwise;
# tests that need kube-apiserver and etcd skip until `npm run toolchain` has built them.
# Packages run one at a time (-p 1): the failover tests measure time and share two cores.
set -eu
cd "$(dirname "$0")"

# No clang needed: the objects must come from the committed C sources (see bpf/gen.go).
if ! (cd bpf && sha256sum --quiet --check objects.sha256); then
	echo "agent/bpf: the committed BPF object is stale: run 'go generate ./bpf' (needs clang, libbpf-dev) and commit" >&2
	exit 1
fi
unformatted=$(gofmt -l .)
if [ -n "$unformatted" ]; then
	echo "agent: gofmt -w these files:" >&2
	echo "$unformatted" >&2
	exit 1
fi
go vet ./...
go test -count=1 -p 1 -timeout 15m "$@" ./...
