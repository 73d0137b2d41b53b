package endpoints

import (
	"testing"

	corev1 "k8s.io/api/core/v1"
	discoveryv1 "k8s.io/api/discovery/v1"
	"k8s.io/apimachinery/pkg/util/intstr"
)

const v4, v6 = discoveryv1.AddressTypeIPv4, discoveryv1.AddressTypeIPv6

func withLabels(s *discoveryv1.EndpointSlice, kv ...string) *discoveryv1.EndpointSlice {
	s.Labels = sliceLabels(kv...)
	return s
}

func withHostname(e discoveryv1.Endpoint, h string) discoveryv1.Endpoint {
	e.Hostname = new(h)
	return e
}

func onNodeEP(e discoveryv1.Endpoint, node, zone string) discoveryv1.Endpoint {
	e.NodeName = new(node)
	if zone != "" {
		e.Zone = new(zone)
	}
	return e
}

func withHints(e discoveryv1.Endpoint, zones []string, nodes []string) discoveryv1.Endpoint {
	e.Hints = &discoveryv1.EndpointHints{}
	for _, z := range zones {
		e.Hints.ForZones = append(e.Hints.ForZones, discoveryv1.ForZone{Name: z})
	}
	for _, n := range nodes {
		e.Hints.ForNodes = append(e.Hints.ForNodes, discoveryv1.ForNode{Name: n})
	}
	return e
}

func TestPlanSlices(t *testing.T) {
	namedWeb := svcPorts(corev1.ServicePort{Name: "http", Port: 80, Protocol: corev1.ProtocolTCP, TargetPort: intstr.FromString("web")})
	webPort := func(port int32) podMod {
		return containerPorts(corev1.ContainerPort{Name: "web", ContainerPort: port, Protocol: corev1.ProtocolTCP})
	}
	hosted := func(p *corev1.Pod) { p.Spec.Hostname, p.Spec.Subdomain = "web-0", "web" }
	foreign := existingSlice("web-kcm", v4, httpPorts, readyEP("p1", "10.0.0.1"))
	foreign.Labels["endpointslice.kubernetes.io/managed-by"] = "endpointslice-controller.k8s.io"
	oldOwner := existingSlice("web-old", v4, httpPorts, readyEP("p1", "10.0.0.1"))
	oldOwner.OwnerReferences[0].UID = "previous-svc-uid"
	placeholderExisting := existingSlice("web-ph", v4, nil)
	staleHints := existingSlice("web-h", v4, httpPorts, withHints(readyEP("p1", "10.0.0.1"), []string{"zone-a"}, nil))
	deletingSvc := newSvc(func(s *corev1.Service) { s.DeletionTimestamp = pods(1)[0].CreationTimestamp.DeepCopy() })
	deletingSvc.DeletionTimestamp = &deletingSvc.CreationTimestamp

	tests := []struct {
		name         string
		in           Input
		existing     []*discoveryv1.EndpointSlice
		opts         SliceOptions
		want         SlicePlan
		wantProblems []Problem
	}{{
		name: "conditions: ready, not ready, terminating kept with terminating=true; Failed and IP-less pods out",
		in: Input{Service: newSvc(), TriggerTime: trigger, Pods: []*corev1.Pod{
			mod(newPod("p3", "10.0.0.3"), deleting),
			newPod("p1", "10.0.0.1"),
			mod(newPod("p2", "10.0.0.2"), notReady),
			mod(newPod("p4", "10.0.0.4"), phase(corev1.PodFailed)),
			newPod("p5"),
		}},
		want: SlicePlan{Create: []*discoveryv1.EndpointSlice{newSliceWant(v4, httpPorts,
			readyEP("p1", "10.0.0.1"), wantEP("p2", "10.0.0.2", false, false, false), wantEP("p3", "10.0.0.3", false, true, true))}},
	}, {
		name: "publishNotReadyAddresses: every endpoint ready, serving and terminating still reported",
		in: Input{Service: newSvc(publishNotReady), TriggerTime: trigger, Pods: []*corev1.Pod{
			mod(newPod("p1", "10.0.0.1"), notReady), mod(newPod("p2", "10.0.0.2"), deleting),
		}},
		want: SlicePlan{Create: []*discoveryv1.EndpointSlice{newSliceWant(v4, httpPorts,
			wantEP("p1", "10.0.0.1", true, false, false), wantEP("p2", "10.0.0.2", true, true, true))}},
	}, {
		name: "named port resolved per pod: one slice per port list; a pod lacking it lands in a port-less slice (upstream) and is reported",
		in: Input{Service: newSvc(namedWeb), TriggerTime: trigger, Pods: []*corev1.Pod{
			mod(newPod("p1", "10.0.0.1"), webPort(8080)), mod(newPod("p2", "10.0.0.2"), webPort(9090)), newPod("p3", "10.0.0.3"),
		}},
		want: SlicePlan{Create: []*discoveryv1.EndpointSlice{
			newSliceWant(v4, httpPorts, readyEP("p1", "10.0.0.1")),
			newSliceWant(v4, []discoveryv1.EndpointPort{sport("http", 9090, corev1.ProtocolTCP)}, readyEP("p2", "10.0.0.2")),
			newSliceWant(v4, nil, readyEP("p3", "10.0.0.3")),
		}},
		wantProblems: []Problem{{Pod: "p3", Port: "http", Reason: ReasonPortNotFound,
			Message: `Pod p3 has no container port named "web" with protocol TCP for Service port "http"; it is not an endpoint for that port`}},
	}, {
		name: "multi-port 53/TCP 53/UDP 5001/TCP with appProtocol in one slice",
		in: Input{Service: newSvc(svcPorts(
			corev1.ServicePort{Name: "dns-tcp", Port: 53, Protocol: corev1.ProtocolTCP},
			corev1.ServicePort{Name: "dns", Port: 53, Protocol: corev1.ProtocolUDP},
			corev1.ServicePort{Name: "iperf", Port: 5001, Protocol: corev1.ProtocolTCP, AppProtocol: new("iperf")},
		)), TriggerTime: trigger, Pods: []*corev1.Pod{newPod("p1", "10.0.0.1")}},
		want: SlicePlan{Create: []*discoveryv1.EndpointSlice{newSliceWant(v4, []discoveryv1.EndpointPort{
			sport("dns", 53, corev1.ProtocolUDP), sport("dns-tcp", 53, corev1.ProtocolTCP),
			{Name: new("iperf"), Port: new(int32(5001)), Protocol: new(corev1.ProtocolTCP), AppProtocol: new("iperf")},
		}, readyEP("p1", "10.0.0.1"))}},
	}, {
		name: "dual-stack: one IPv4 and one IPv6 set; a single-stack pod only in its family",
		in: Input{Service: newSvc(dualStack), TriggerTime: trigger, Pods: []*corev1.Pod{
			newPod("p1", "10.0.0.1", "fd00::1"), newPod("p2", "fd00::2"),
		}},
		want: SlicePlan{Create: []*discoveryv1.EndpointSlice{
			newSliceWant(v4, httpPorts, readyEP("p1", "10.0.0.1")),
			newSliceWant(v6, httpPorts, readyEP("p1", "fd00::1"), readyEP("p2", "fd00::2")),
		}},
	}, {
		name: "headless without ports: headless label, hostname within the subdomain, Service labels minus reserved keys",
		in: Input{Service: newSvc(headless, noPorts, svcLabels("team", "a", "kubernetes.io/service-name", "evil", "endpointslice.kubernetes.io/managed-by", "evil")),
			TriggerTime: trigger, Pods: []*corev1.Pod{mod(newPod("p1", "10.0.0.1"), hosted), newPod("p2", "10.0.0.2")}},
		want: SlicePlan{Create: []*discoveryv1.EndpointSlice{withLabels(newSliceWant(v4, nil,
			withHostname(readyEP("p1", "10.0.0.1"), "web-0"), readyEP("p2", "10.0.0.2")), "team", "a", "service.kubernetes.io/headless", "")}},
	}, {
		name: "no endpoints: one empty placeholder of the primary family",
		in:   Input{Service: newSvc(dualStack), TriggerTime: trigger},
		want: SlicePlan{Create: []*discoveryv1.EndpointSlice{newSliceWant(v4, nil)}},
	}, {
		name:     "no endpoints and the placeholder exists: nothing to do",
		in:       Input{Service: newSvc(), TriggerTime: trigger, Pods: []*corev1.Pod{newPod("p5")}},
		existing: []*discoveryv1.EndpointSlice{placeholderExisting},
		want:     SlicePlan{Unchanged: 1},
	}, {
		name:     "endpoints appear: the placeholder is updated in place (create+delete → update)",
		in:       Input{Service: newSvc(), TriggerTime: trigger, Pods: []*corev1.Pod{newPod("p1", "10.0.0.1")}},
		existing: []*discoveryv1.EndpointSlice{placeholderExisting},
		want: SlicePlan{Update: []*discoveryv1.EndpointSlice{func() *discoveryv1.EndpointSlice {
			u := updated(placeholderExisting, readyEP("p1", "10.0.0.1"))
			u.Ports = httpPorts
			return u
		}()}},
	}, {
		name:     "all endpoints gone: the last slice becomes the placeholder instead of delete+create",
		in:       Input{Service: newSvc(), TriggerTime: trigger},
		existing: []*discoveryv1.EndpointSlice{existingSlice("web-1", v4, httpPorts, readyEP("p1", "10.0.0.1"))},
		want: SlicePlan{Update: []*discoveryv1.EndpointSlice{func() *discoveryv1.EndpointSlice {
			u := updated(existingSlice("web-1", v4, httpPorts))
			u.Ports = []discoveryv1.EndpointPort{}
			return u
		}()}},
	}, {
		name:     "targetPort changed: the slice of the old port list is reused for the new one",
		in:       Input{Service: newSvc(svcPorts(corev1.ServicePort{Name: "http", Port: 80, Protocol: corev1.ProtocolTCP, TargetPort: intstr.FromInt32(9090)})), TriggerTime: trigger, Pods: []*corev1.Pod{newPod("p1", "10.0.0.1")}},
		existing: []*discoveryv1.EndpointSlice{existingSlice("web-1", v4, httpPorts, readyEP("p1", "10.0.0.1"))},
		want: SlicePlan{Update: []*discoveryv1.EndpointSlice{func() *discoveryv1.EndpointSlice {
			u := updated(existingSlice("web-1", v4, httpPorts), readyEP("p1", "10.0.0.1"))
			u.Ports = []discoveryv1.EndpointPort{sport("http", 9090, corev1.ProtocolTCP)}
			return u
		}()}},
	}, {
		name:     "unchanged slice: no write even though the trigger time moved",
		in:       Input{Service: newSvc(), TriggerTime: trigger, Pods: []*corev1.Pod{newPod("p1", "10.0.0.1")}},
		existing: []*discoveryv1.EndpointSlice{existingSlice("web-1", v4, httpPorts, readyEP("p1", "10.0.0.1"))},
		want:     SlicePlan{Unchanged: 1},
	}, {
		name:     "Service label added: labels of the slice updated",
		in:       Input{Service: newSvc(svcLabels("team", "a")), TriggerTime: trigger, Pods: []*corev1.Pod{newPod("p1", "10.0.0.1")}},
		existing: []*discoveryv1.EndpointSlice{existingSlice("web-1", v4, httpPorts, readyEP("p1", "10.0.0.1"))},
		want: SlicePlan{Update: []*discoveryv1.EndpointSlice{
			withLabels(updated(existingSlice("web-1", v4, httpPorts), readyEP("p1", "10.0.0.1")), "team", "a")}},
	}, {
		name: "another manager's slice is never touched; ours owned by an older Service UID and ours of a dropped family are deleted",
		in:   Input{Service: newSvc(), TriggerTime: trigger, Pods: []*corev1.Pod{newPod("p1", "10.0.0.1")}},
		existing: []*discoveryv1.EndpointSlice{
			foreign, oldOwner,
			existingSlice("web-v6", v6, httpPorts, readyEP("p1", "fd00::1")),
			existingSlice("web-1", v4, httpPorts, readyEP("p1", "10.0.0.1")),
		},
		want: SlicePlan{Unchanged: 1, Delete: []*discoveryv1.EndpointSlice{oldOwner, existingSlice("web-v6", v6, httpPorts, readyEP("p1", "fd00::1"))}},
	}, {
		name: "PreferSameZone: ready endpoints hinted with their own zone; not-ready and zone-less ones not",
		in: Input{Service: newSvc(trafficDist(corev1.ServiceTrafficDistributionPreferSameZone)), Nodes: zoneNodes(), TriggerTime: trigger, Pods: []*corev1.Pod{
			newPod("p1", "10.0.0.1"), mod(newPod("p2", "10.0.0.2"), onNode("node-b"), notReady), mod(newPod("p3", "10.0.0.3"), onNode("node-c")),
		}},
		want: SlicePlan{Create: []*discoveryv1.EndpointSlice{newSliceWant(v4, httpPorts,
			withHints(onNodeEP(readyEP("p1", "10.0.0.1"), "node-a", "zone-a"), []string{"zone-a"}, nil),
			onNodeEP(wantEP("p2", "10.0.0.2", false, false, false), "node-b", "zone-b"),
			onNodeEP(readyEP("p3", "10.0.0.3"), "node-c", ""),
		)}},
	}, {
		name: "PreferClose behaves as PreferSameZone",
		in:   Input{Service: newSvc(trafficDist(corev1.ServiceTrafficDistributionPreferClose)), Nodes: zoneNodes(), TriggerTime: trigger, Pods: []*corev1.Pod{newPod("p1", "10.0.0.1")}},
		want: SlicePlan{Create: []*discoveryv1.EndpointSlice{newSliceWant(v4, httpPorts,
			withHints(onNodeEP(readyEP("p1", "10.0.0.1"), "node-a", "zone-a"), []string{"zone-a"}, nil))}},
	}, {
		name: "PreferSameNode: node hints plus zone hints",
		in: Input{Service: newSvc(trafficDist(corev1.ServiceTrafficDistributionPreferSameNode)), Nodes: zoneNodes(), TriggerTime: trigger, Pods: []*corev1.Pod{
			mod(newPod("p1", "10.0.0.1"), onNode("node-b")), mod(newPod("p2", "10.0.0.2"), onNode("node-c")),
		}},
		want: SlicePlan{Create: []*discoveryv1.EndpointSlice{newSliceWant(v4, httpPorts,
			withHints(onNodeEP(readyEP("p1", "10.0.0.1"), "node-b", "zone-b"), []string{"zone-b"}, []string{"node-b"}),
			withHints(onNodeEP(readyEP("p2", "10.0.0.2"), "node-c", ""), nil, []string{"node-c"}),
		)}},
	}, {
		name:     "trafficDistribution removed: stale hints are cleared",
		in:       Input{Service: newSvc(), TriggerTime: trigger, Pods: []*corev1.Pod{newPod("p1", "10.0.0.1")}},
		existing: []*discoveryv1.EndpointSlice{staleHints},
		want:     SlicePlan{Update: []*discoveryv1.EndpointSlice{updated(staleHints, readyEP("p1", "10.0.0.1"))}},
	}, {
		name: "Service being deleted: nothing is created",
		in:   Input{Service: deletingSvc, TriggerTime: trigger, Pods: []*corev1.Pod{newPod("p1", "10.0.0.1")}},
		want: SlicePlan{},
	}, {
		name:     "max endpoints lowered: the overflow moves to a new slice; zero trigger time clears the annotation",
		in:       Input{Service: newSvc(), Pods: []*corev1.Pod{newPod("p1", "10.0.0.1"), newPod("p2", "10.0.0.2"), newPod("p3", "10.0.0.3")}},
		existing: []*discoveryv1.EndpointSlice{existingSlice("web-1", v4, httpPorts, readyEP("p1", "10.0.0.1"), readyEP("p2", "10.0.0.2"), readyEP("p3", "10.0.0.3"))},
		opts:     SliceOptions{MaxEndpointsPerSlice: 2},
		want: SlicePlan{
			Create: []*discoveryv1.EndpointSlice{func() *discoveryv1.EndpointSlice {
				s := newSliceWant(v4, httpPorts, readyEP("p3", "10.0.0.3"))
				s.Annotations = nil
				return s
			}()},
			Update: []*discoveryv1.EndpointSlice{func() *discoveryv1.EndpointSlice {
				u := updated(existingSlice("web-1", v4, httpPorts), readyEP("p1", "10.0.0.1"), readyEP("p2", "10.0.0.2"))
				u.Annotations = map[string]string{}
				return u
			}()},
		},
	}}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			var before []*discoveryv1.EndpointSlice
			for _, s := range tc.existing {
				before = append(before, s.DeepCopy())
			}
			got, problems := PlanSlices(tc.in, tc.existing, tc.opts)
			diff(t, "plan", tc.want, got)
			diff(t, "problems", tc.wantProblems, problems)
			diff(t, "existing (must not be mutated)", before, tc.existing)
		})
	}
}
