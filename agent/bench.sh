#!/bin/sh
# Failover benchmark of the node agent: prints JSON lines {"name":...,"value":...,"unit":...}.
# Needs root, and kube-apiserver + etcd from `npm run toolchain`. PORTICO_AGENT_BENCH_TRIALS
# sets the trials per scenario (default 20). Progress goes to stderr.
set -eu
cd "$(dirname "$0")"
out=$(mktemp)
trap 'rm -f "$out"' EXIT
status=0
PORTICO_AGENT_BENCH=1 go test -count=1 -timeout 30m -run '^TestFailoverBench$' -v ./e2e >"$out" 2>&1 || status=$?
grep -v '^{"name"' "$out" >&2 || true
grep '^{"name"' "$out" || true
exit "$status"
