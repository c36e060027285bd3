package l2

import (
	"net/netip"
	"slices"
	"strings"

	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/labels"
	"k8s.io/apimachinery/pkg/types"
)

// LBClass is the loadBalancerClass Portico's IPAM serves (besides an unset class).
const LBClass = "portico.dev/lb"

// Pseudo-labels a serviceSelector may use, as LoadBalancerIPPool selectors do.
const (
	ServiceNamespaceLabel = "portico.dev/service-namespace"
	ServiceNameLabel      = "portico.dev/service-name"
)

// Interface is a link of this node as the announcer sees it.
type Interface struct {
	Name string
	// Up is true when the link is administratively up and has carrier.
	Up bool
}

// VIP is one address and the interfaces to answer for it on (sorted).
type VIP struct {
	Addr       netip.Addr
	Interfaces []string
}

// Announcement is what this node would announce for one Service if it held the Service's Lease.
type Announcement struct {
	Service types.NamespacedName
	VIPs    []VIP // sorted by address
}

// Equal reports whether two announcements announce the same addresses on the same interfaces.
func (a Announcement) Equal(b Announcement) bool {
	return a.Service == b.Service && slices.EqualFunc(a.VIPs, b.VIPs, func(x, y VIP) bool {
		return x.Addr == y.Addr && slices.Equal(x.Interfaces, y.Interfaces)
	})
}

// HandledByPortico reports whether Portico's IPAM assigns this Service's LoadBalancer addresses.
func HandledByPortico(svc *corev1.Service) bool {
	cls := svc.Spec.LoadBalancerClass
	return svc.Spec.Type == corev1.ServiceTypeLoadBalancer && (cls == nil || *cls == "" || *cls == LBClass)
}

// Select returns, sorted by Service, what this node may announce: a Service's address is announced
// where a policy selects both the Service and the node, on the up interfaces that policy names.
// A nil node selects nothing (the node is not known yet).
func Select(node *corev1.Node, policies []Policy, services []*corev1.Service, ifaces []Interface) []Announcement {
	if node == nil {
		return nil
	}
	nodeLabels := labels.Set(node.Labels)
	var out []Announcement
	for _, svc := range services {
		svcLabels := serviceLabels(svc)
		perAddr := map[netip.Addr]map[string]bool{}
		for _, p := range policies {
			if !p.NodeSelector.Matches(nodeLabels) || !p.ServiceSelector.Matches(svcLabels) {
				continue
			}
			addrs := addresses(svc, p)
			if len(addrs) == 0 {
				continue
			}
			for _, ifi := range ifaces {
				if !ifi.Up || !p.NamesInterface(ifi.Name) {
					continue
				}
				for _, a := range addrs {
					if perAddr[a] == nil {
						perAddr[a] = map[string]bool{}
					}
					perAddr[a][ifi.Name] = true
				}
			}
		}
		if len(perAddr) == 0 {
			continue
		}
		a := Announcement{Service: types.NamespacedName{Namespace: svc.Namespace, Name: svc.Name}}
		for addr, names := range perAddr {
			v := VIP{Addr: addr}
			for n := range names {
				v.Interfaces = append(v.Interfaces, n)
			}
			slices.Sort(v.Interfaces)
			a.VIPs = append(a.VIPs, v)
		}
		slices.SortFunc(a.VIPs, func(x, y VIP) int { return x.Addr.Compare(y.Addr) })
		out = append(out, a)
	}
	slices.SortFunc(out, func(x, y Announcement) int {
		return strings.Compare(x.Service.String(), y.Service.String())
	})
	return out
}

func serviceLabels(svc *corev1.Service) labels.Set {
	set := labels.Set{}
	for k, v := range svc.Labels {
		set[k] = v
	}
	set[ServiceNamespaceLabel] = svc.Namespace
	set[ServiceNameLabel] = svc.Name
	return set
}

// addresses are the Service's addresses the policy announces: Portico-assigned LoadBalancer
// ingress IPs and/or spec.externalIPs. Hostname-only ingress entries and unparsable text are skipped.
func addresses(svc *corev1.Service, p Policy) []netip.Addr {
	var out []netip.Addr
	add := func(s string) {
		a, err := netip.ParseAddr(s)
		if err != nil || a.Zone() != "" {
			return
		}
		a = a.Unmap()
		if !slices.Contains(out, a) {
			out = append(out, a)
		}
	}
	if p.LoadBalancerIPs && HandledByPortico(svc) {
		for _, ing := range svc.Status.LoadBalancer.Ingress {
			add(ing.IP)
		}
	}
	if p.ExternalIPs {
		for _, ip := range svc.Spec.ExternalIPs {
			add(ip)
		}
	}
	return out
}
