package daemon

import (
	"context"
	"fmt"
	"strings"
	"time"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	corev1ac "k8s.io/client-go/applyconfigurations/core/v1"
	metav1ac "k8s.io/client-go/applyconfigurations/meta/v1"
	"k8s.io/client-go/kubernetes"
	"k8s.io/client-go/kubernetes/scheme"
	typedcorev1 "k8s.io/client-go/kubernetes/typed/core/v1"
	"k8s.io/client-go/tools/record"

	"portico.dev/agent/l2"
)

// ConditionType is the Service condition naming the node that announces it.
const ConditionType = "portico.dev/L2Announced"

// FieldManager is the server-side-apply field manager of the agent's status writes.
const FieldManager = "portico-agent"

func newRecorder(ctx context.Context, cs kubernetes.Interface, node string) record.EventRecorder {
	b := record.NewBroadcaster(record.WithContext(ctx))
	b.StartRecordingToSink(&typedcorev1.EventSinkImpl{Interface: cs.CoreV1().Events("")})
	return b.NewRecorder(scheme.Scheme, corev1.EventSource{Component: "portico-agent", Host: node})
}

// report tells the cluster this node took over: an Event on the Service, and the
// portico.dev/L2Announced condition in its status (server-side apply, so other conditions and
// fields stay as their owners wrote them).
func (d *Daemon) report(a l2.Announcement) {
	svc, err := d.svcs.Services(a.Service.Namespace).Get(a.Service.Name)
	if err != nil {
		return
	}
	var parts []string
	for _, v := range a.VIPs {
		parts = append(parts, fmt.Sprintf("%s on %s", v.Addr, strings.Join(v.Interfaces, ",")))
	}
	msg := fmt.Sprintf("node %s announces %s", d.cfg.NodeName, strings.Join(parts, "; "))
	d.recorder.Event(svc, corev1.EventTypeNormal, "L2Announced", msg)

	transition := metav1.Now()
	for _, c := range svc.Status.Conditions {
		if c.Type == ConditionType && c.Status == metav1.ConditionTrue {
			transition = c.LastTransitionTime
		}
	}
	apply := corev1ac.Service(svc.Name, svc.Namespace).WithStatus(corev1ac.ServiceStatus().WithConditions(
		metav1ac.Condition().WithType(ConditionType).WithStatus(metav1.ConditionTrue).
			WithReason("Announced").WithMessage(msg).WithObservedGeneration(svc.Generation).
			WithLastTransitionTime(transition)))
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	if _, err := d.cs.CoreV1().Services(svc.Namespace).ApplyStatus(ctx, apply, metav1.ApplyOptions{FieldManager: FieldManager, Force: true}); err != nil {
		d.log.Warn("write Service condition", "service", a.Service.String(), "err", err)
	}
}
