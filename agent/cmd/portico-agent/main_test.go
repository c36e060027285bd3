package main

import (
	"strings"
	"testing"
	"time"

	"portico.dev/agent/daemon"
	"portico.dev/agent/lease"
)

func TestValidate(t *testing.T) {
	ok := daemon.Config{
		NodeName: "n1", XDPMode: "auto", MaxLiveness: 750 * time.Millisecond, StampInterval: 100 * time.Millisecond,
		Lease: lease.Params{LeaseDuration: time.Second, RenewDeadline: 750 * time.Millisecond, RetryPeriod: 250 * time.Millisecond},
	}
	cases := []struct {
		name string
		edit func(*daemon.Config)
		want string
	}{
		{"defaults", func(*daemon.Config) {}, ""},
		{"no node name", func(c *daemon.Config) { c.NodeName = "" }, "--node-name"},
		{"renew deadline not below lease duration", func(c *daemon.Config) { c.Lease.RenewDeadline = time.Second }, "--lease-duration"},
		{"retry period not below renew deadline", func(c *daemon.Config) { c.Lease.RetryPeriod = time.Second }, "--lease-renew-deadline"},
		{"liveness not above its interval", func(c *daemon.Config) { c.MaxLiveness = 50 * time.Millisecond }, "--max-liveness"},
		{"unknown XDP mode", func(c *daemon.Config) { c.XDPMode = "offload" }, "--xdp-mode"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			c := ok
			tc.edit(&c)
			err := validate(c)
			if tc.want == "" && err != nil || tc.want != "" && (err == nil || !strings.Contains(err.Error(), tc.want)) {
				t.Errorf("validate: %v, want error naming %q", err, tc.want)
			}
		})
	}
}
