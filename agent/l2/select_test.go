package l2

import (
	"fmt"
	"net/netip"
	"testing"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
)

func policy(t *testing.T, name string, spec map[string]any) Policy {
	t.Helper()
	u := &unstructured.Unstructured{Object: map[string]any{
		"apiVersion": "portico.dev/v1alpha1", "kind": "L2AnnouncementPolicy",
		"metadata": map[string]any{"name": name}, "spec": spec,
	}}
	p, err := ParsePolicy(u)
	if err != nil {
		t.Fatal(err)
	}
	return p
}

type svcOpt func(*corev1.Service)

func service(ns, name string, opts ...svcOpt) *corev1.Service {
	s := &corev1.Service{
		ObjectMeta: metav1.ObjectMeta{Namespace: ns, Name: name, Labels: map[string]string{}},
		Spec:       corev1.ServiceSpec{Type: corev1.ServiceTypeLoadBalancer},
	}
	for _, o := range opts {
		o(s)
	}
	return s
}

func ingress(ips ...string) svcOpt {
	return func(s *corev1.Service) {
		for _, ip := range ips {
			s.Status.LoadBalancer.Ingress = append(s.Status.LoadBalancer.Ingress, corev1.LoadBalancerIngress{IP: ip})
		}
	}
}
func label(k, v string) svcOpt { return func(s *corev1.Service) { s.Labels[k] = v } }
func class(c string) svcOpt    { return func(s *corev1.Service) { s.Spec.LoadBalancerClass = &c } }
func clusterIP() svcOpt        { return func(s *corev1.Service) { s.Spec.Type = corev1.ServiceTypeClusterIP } }
func external(ips ...string) svcOpt {
	return func(s *corev1.Service) { s.Spec.ExternalIPs = append(s.Spec.ExternalIPs, ips...) }
}

func node(labels map[string]string) *corev1.Node {
	return &corev1.Node{ObjectMeta: metav1.ObjectMeta{Name: "n1", Labels: labels}}
}

var upLinks = []Interface{{Name: "eth0", Up: true}, {Name: "eth1", Up: true}, {Name: "mgmt0", Up: true}}

// render gives "ns/name ip@if,if ip@if" per announcement, for compact expectations.
func render(as []Announcement) []string {
	var out []string
	for _, a := range as {
		s := a.Service.String()
		for _, v := range a.VIPs {
			s += fmt.Sprintf(" %s@%v", v.Addr, v.Interfaces)
		}
		out = append(out, s)
	}
	return out
}

func TestSelect(t *testing.T) {
	cases := []struct {
		name     string
		node     *corev1.Node
		policies []map[string]any
		services []*corev1.Service
		ifaces   []Interface
		want     []string
	}{
		{
			name:     "empty policy announces every Portico LB address on every up interface",
			node:     node(nil),
			policies: []map[string]any{{}},
			services: []*corev1.Service{service("default", "gw", ingress("10.0.0.5"))},
			want:     []string{"default/gw 10.0.0.5@[eth0 eth1 mgmt0]"},
		},
		{
			name:     "no policy, no announcement",
			node:     node(nil),
			services: []*corev1.Service{service("default", "gw", ingress("10.0.0.5"))},
		},
		{
			name:     "unknown node announces nothing",
			policies: []map[string]any{{}},
			services: []*corev1.Service{service("default", "gw", ingress("10.0.0.5"))},
		},
		{
			name:     "interfaces are unanchored regexes; a link that is down is skipped",
			node:     node(nil),
			policies: []map[string]any{{"interfaces": []any{"^eth"}}},
			services: []*corev1.Service{service("default", "gw", ingress("10.0.0.5"))},
			ifaces:   []Interface{{Name: "eth0", Up: true}, {Name: "eth1", Up: false}, {Name: "veth-eth9", Up: true}},
			want:     []string{"default/gw 10.0.0.5@[eth0]"},
		},
		{
			name:     "no named interface is up: not a candidate at all",
			node:     node(nil),
			policies: []map[string]any{{"interfaces": []any{"^eth1$"}}},
			services: []*corev1.Service{service("default", "gw", ingress("10.0.0.5"))},
			ifaces:   []Interface{{Name: "eth0", Up: true}, {Name: "eth1", Up: false}},
		},
		{
			name: "serviceSelector by label and by pseudo-label",
			node: node(nil),
			policies: []map[string]any{
				{"serviceSelector": map[string]any{"matchLabels": map[string]any{"l2": "yes"}}, "interfaces": []any{"eth0"}},
				{"serviceSelector": map[string]any{"matchLabels": map[string]any{ServiceNameLabel: "b"}}, "interfaces": []any{"eth1"}},
			},
			services: []*corev1.Service{
				service("default", "a", ingress("10.0.0.1"), label("l2", "yes")),
				service("default", "b", ingress("10.0.0.2")),
				service("default", "c", ingress("10.0.0.3")),
			},
			want: []string{"default/a 10.0.0.1@[eth0]", "default/b 10.0.0.2@[eth1]"},
		},
		{
			name: "nodeSelector with matchExpressions",
			node: node(map[string]string{"role": "edge"}),
			policies: []map[string]any{
				{"nodeSelector": map[string]any{"matchExpressions": []any{
					map[string]any{"key": "role", "operator": "In", "values": []any{"edge"}}}}, "interfaces": []any{"eth0"}},
				{"nodeSelector": map[string]any{"matchLabels": map[string]any{"role": "core"}}, "interfaces": []any{"eth1"}},
			},
			services: []*corev1.Service{service("default", "gw", ingress("10.0.0.5"))},
			want:     []string{"default/gw 10.0.0.5@[eth0]"},
		},
		{
			name:     "node not selected",
			node:     node(map[string]string{"role": "core"}),
			policies: []map[string]any{{"nodeSelector": map[string]any{"matchLabels": map[string]any{"role": "edge"}}}},
			services: []*corev1.Service{service("default", "gw", ingress("10.0.0.5"))},
		},
		{
			name:     "two policies union their interfaces",
			node:     node(nil),
			policies: []map[string]any{{"interfaces": []any{"eth0"}}, {"interfaces": []any{"mgmt"}}},
			services: []*corev1.Service{service("default", "gw", ingress("10.0.0.5"))},
			want:     []string{"default/gw 10.0.0.5@[eth0 mgmt0]"},
		},
		{
			name:     "other load balancer classes and non-LB Services are not Portico's",
			node:     node(nil),
			policies: []map[string]any{{"interfaces": []any{"eth0"}}},
			services: []*corev1.Service{
				service("a", "mine", ingress("10.0.0.1"), class(LBClass)),
				service("a", "metallb", ingress("10.0.0.2"), class("metallb.io/l2")),
				service("a", "cip", ingress("10.0.0.3"), clusterIP()),
				service("a", "pending"),
			},
			want: []string{"a/mine 10.0.0.1@[eth0]"},
		},
		{
			name: "externalIPs only when the policy asks; loadBalancerIPs can be turned off",
			node: node(nil),
			policies: []map[string]any{
				{"interfaces": []any{"eth0"}, "loadBalancerIPs": false, "externalIPs": true},
			},
			services: []*corev1.Service{
				service("a", "both", ingress("10.0.0.1"), external("192.0.2.1")),
				service("a", "cip", clusterIP(), external("192.0.2.2")),
			},
			want: []string{"a/both 192.0.2.1@[eth0]", "a/cip 192.0.2.2@[eth0]"},
		},
		{
			name:     "IPv6, v4-mapped and hostname-only ingress; addresses sorted, duplicates merged",
			node:     node(nil),
			policies: []map[string]any{{"interfaces": []any{"eth0"}, "externalIPs": true}},
			services: []*corev1.Service{
				service("a", "dual", ingress("fd00::5", "::ffff:10.0.0.9", "not-an-ip"), external("10.0.0.9"),
					func(s *corev1.Service) {
						s.Status.LoadBalancer.Ingress = append(s.Status.LoadBalancer.Ingress, corev1.LoadBalancerIngress{Hostname: "lb.example"})
					}),
			},
			want: []string{"a/dual 10.0.0.9@[eth0] fd00::5@[eth0]"},
		},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			var ps []Policy
			for i, spec := range tc.policies {
				ps = append(ps, policy(t, fmt.Sprintf("p%d", i), spec))
			}
			ifaces := tc.ifaces
			if ifaces == nil {
				ifaces = upLinks
			}
			got := render(Select(tc.node, ps, tc.services, ifaces))
			if fmt.Sprint(got) != fmt.Sprint(tc.want) {
				t.Errorf("got  %q\nwant %q", got, tc.want)
			}
		})
	}
}

func TestParsePolicyErrorsNameTheField(t *testing.T) {
	cases := []struct {
		spec map[string]any
		want string
	}{
		{map[string]any{"interfaces": []any{"eth("}}, `l2announcementpolicy "bad": interfaces[0]: error parsing regexp`},
		{map[string]any{"nodeSelector": map[string]any{"matchExpressions": []any{
			map[string]any{"key": "k", "operator": "Bogus"}}}}, `l2announcementpolicy "bad": nodeSelector:`},
	}
	for _, tc := range cases {
		u := &unstructured.Unstructured{Object: map[string]any{"metadata": map[string]any{"name": "bad"}, "spec": tc.spec}}
		_, err := ParsePolicy(u)
		if err == nil || len(err.Error()) < len(tc.want) || err.Error()[:len(tc.want)] != tc.want {
			t.Errorf("error %v, want prefix %q", err, tc.want)
		}
	}
}

func TestAnnouncementEqual(t *testing.T) {
	a := Announcement{VIPs: []VIP{{Addr: netip.MustParseAddr("10.0.0.1"), Interfaces: []string{"eth0"}}}}
	b := Announcement{VIPs: []VIP{{Addr: netip.MustParseAddr("10.0.0.1"), Interfaces: []string{"eth0", "eth1"}}}}
	if !a.Equal(a) || a.Equal(b) {
		t.Error("Equal must compare addresses and interfaces")
	}
}
