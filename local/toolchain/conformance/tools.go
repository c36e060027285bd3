//go:build tools

// Package tools pins the conformance suite and its echo server, which local/toolchain builds:
// the suite's test binary with `go test -c`, echo-basic with `go build`.
package tools

import (
	_ "sigs.k8s.io/gateway-api/conformance"
	_ "sigs.k8s.io/gateway-api/conformance/echo-basic"
)
