// Package l2 decides which Service addresses this node may announce, on which interfaces.
// Everything here is a pure function of the cluster objects and the node's links.
package l2

import (
	"fmt"
	"regexp"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/labels"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/runtime/schema"
)

// PolicyGVR is the L2AnnouncementPolicy resource (cluster-scoped).
var PolicyGVR = schema.GroupVersionResource{Group: "portico.dev", Version: "v1alpha1", Resource: "l2announcementpolicies"}

// Policy is the parsed spec of an L2AnnouncementPolicy.
type Policy struct {
	Name            string
	ServiceSelector labels.Selector
	NodeSelector    labels.Selector
	// Interfaces are unanchored RE2 patterns; none means every interface.
	Interfaces      []*regexp.Regexp
	LoadBalancerIPs bool
	ExternalIPs     bool
}

type policySpec struct {
	ServiceSelector *metav1.LabelSelector `json:"serviceSelector,omitempty"`
	NodeSelector    *metav1.LabelSelector `json:"nodeSelector,omitempty"`
	Interfaces      []string              `json:"interfaces,omitempty"`
	LoadBalancerIPs *bool                 `json:"loadBalancerIPs,omitempty"`
	ExternalIPs     *bool                 `json:"externalIPs,omitempty"`
}

// ParsePolicy reads an L2AnnouncementPolicy as the API server returns it. Defaults follow the
// CRD: loadBalancerIPs true, externalIPs false, absent selectors match everything.
func ParsePolicy(u *unstructured.Unstructured) (Policy, error) {
	p := Policy{Name: u.GetName()}
	raw, _, _ := unstructured.NestedMap(u.Object, "spec")
	var spec policySpec
	if err := runtime.DefaultUnstructuredConverter.FromUnstructured(raw, &spec); err != nil {
		return p, fmt.Errorf("l2announcementpolicy %q: spec: %w", p.Name, err)
	}
	var err error
	if p.ServiceSelector, err = selector(spec.ServiceSelector); err != nil {
		return p, fmt.Errorf("l2announcementpolicy %q: serviceSelector: %w", p.Name, err)
	}
	if p.NodeSelector, err = selector(spec.NodeSelector); err != nil {
		return p, fmt.Errorf("l2announcementpolicy %q: nodeSelector: %w", p.Name, err)
	}
	for i, expr := range spec.Interfaces {
		re, err := regexp.Compile(expr)
		if err != nil {
			return p, fmt.Errorf("l2announcementpolicy %q: interfaces[%d]: %w", p.Name, i, err)
		}
		p.Interfaces = append(p.Interfaces, re)
	}
	p.LoadBalancerIPs = spec.LoadBalancerIPs == nil || *spec.LoadBalancerIPs
	p.ExternalIPs = spec.ExternalIPs != nil && *spec.ExternalIPs
	return p, nil
}

func selector(s *metav1.LabelSelector) (labels.Selector, error) {
	if s == nil {
		return labels.Everything(), nil
	}
	return metav1.LabelSelectorAsSelector(s)
}

// NamesInterface reports whether the policy lets this node announce on the named interface.
func (p Policy) NamesInterface(name string) bool {
	if len(p.Interfaces) == 0 {
		return true
	}
	for _, re := range p.Interfaces {
		if re.MatchString(name) {
			return true
		}
	}
	return false
}
