// Package e2e runs portico-agent processes on three "nodes" (network namespaces) and a client
// on a bridge, against a real kube-apiserver, and checks what the client sees. Every test here
// needs root, and kube-apiserver and etcd from `npm run toolchain`; otherwise they skip.
package e2e
