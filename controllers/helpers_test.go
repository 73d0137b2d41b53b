package controllers

import (
	"fmt"
	"sort"
	"strings"
	"sync"
	"time"

	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"
	corev1 "k8s.io/api/core/v1"
	discoveryv1 "k8s.io/api/discovery/v1"
	eventsv1 "k8s.io/api/events/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/util/intstr"
	"sigs.k8s.io/controller-runtime/pkg/client"

	"github.com/slicelb/slicelb/internal/endpoints"
)

// newNamespace creates a namespace for one spec (envtest has no namespace controller,
// so namespaces are never removed; each spec works in its own).
func newNamespace() string {
	ns := &corev1.Namespace{ObjectMeta: metav1.ObjectMeta{GenerateName: "spec-"}}
	Expect(k8sClient.Create(ctx, ns)).To(Succeed())
	return ns.Name
}

// svcPort is a Service port: name, protocol, port and target port.
func svcPort(name string, proto corev1.Protocol, port int32, target intstr.IntOrString) corev1.ServicePort {
	return corev1.ServicePort{Name: name, Protocol: proto, Port: port, TargetPort: target}
}

// service builds a ClusterIP Service selecting app=<selector> ("" = selectorless).
func service(ns, name, selector string, ports ...corev1.ServicePort) *corev1.Service {
	svc := &corev1.Service{
		ObjectMeta: metav1.ObjectMeta{Namespace: ns, Name: name},
		Spec:       corev1.ServiceSpec{Ports: ports},
	}
	if selector != "" {
		svc.Spec.Selector = map[string]string{"app": selector}
	}
	return svc
}

// podSpec describes a pod and the status the suite gives it (there is no kubelet).
type podSpec struct {
	name, app     string
	ips           []string
	ready         bool
	phase         corev1.PodPhase
	node          string
	hostname, sub string
	ports         []corev1.ContainerPort
	finalizer     bool
	extraLabels   map[string]string
	sidecarPorts  []corev1.ContainerPort
}

const testFinalizer = "test.slicelb.io/hold"

// createPod creates the pod, then sets its IPs, phase and Ready condition through the
// status subresource, as a kubelet would.
func createPod(ns string, p podSpec) *corev1.Pod {
	GinkgoHelper()
	labels := map[string]string{"app": p.app}
	for k, v := range p.extraLabels {
		labels[k] = v
	}
	pod := &corev1.Pod{
		ObjectMeta: metav1.ObjectMeta{Namespace: ns, Name: p.name, Labels: labels},
		Spec: corev1.PodSpec{
			NodeName: p.node, Hostname: p.hostname, Subdomain: p.sub,
			Containers: []corev1.Container{{Name: "main", Image: "registry.invalid/app", Ports: p.ports}},
		},
	}
	if p.finalizer {
		pod.Finalizers = []string{testFinalizer}
	}
	if len(p.sidecarPorts) > 0 {
		always := corev1.ContainerRestartPolicyAlways
		pod.Spec.InitContainers = []corev1.Container{{
			Name: "sidecar", Image: "registry.invalid/sidecar", Ports: p.sidecarPorts, RestartPolicy: &always,
		}}
	}
	Expect(k8sClient.Create(ctx, pod)).To(Succeed())
	setPodStatus(pod, p.ips, p.ready, p.phase)
	return pod
}

// setPodStatus writes the pod's IPs, phase (Running when empty) and Ready condition.
func setPodStatus(pod *corev1.Pod, ips []string, ready bool, phase corev1.PodPhase) {
	GinkgoHelper()
	if phase == "" {
		phase = corev1.PodRunning
	}
	Expect(k8sClient.Get(ctx, client.ObjectKeyFromObject(pod), pod)).To(Succeed())
	pod.Status.Phase = phase
	pod.Status.PodIP, pod.Status.PodIPs = "", nil
	for i, ip := range ips {
		if i == 0 {
			pod.Status.PodIP = ip
		}
		pod.Status.PodIPs = append(pod.Status.PodIPs, corev1.PodIP{IP: ip})
	}
	status := corev1.ConditionFalse
	if ready {
		status = corev1.ConditionTrue
	}
	pod.Status.Conditions = []corev1.PodCondition{{
		Type: corev1.PodReady, Status: status, LastTransitionTime: metav1.Now(),
	}}
	Expect(k8sClient.Status().Update(ctx, pod)).To(Succeed())
}

// createPods creates n ready pods app=<app> named <prefix>-<i> with IPs from base, with a
// few goroutines so that a thousand pods take seconds.
func createPods(ns, app, prefix string, n int, ip func(i int) string) {
	GinkgoHelper()
	const workers = 8
	var wg sync.WaitGroup
	errs := make(chan error, n)
	next := make(chan int)
	for w := 0; w < workers; w++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			defer GinkgoRecover()
			for i := range next {
				errs <- createPodQuiet(ns, podSpec{name: fmt.Sprintf("%s-%d", prefix, i), app: app, ips: []string{ip(i)}, ready: true})
			}
		}()
	}
	for i := 0; i < n; i++ {
		next <- i
	}
	close(next)
	wg.Wait()
	close(errs)
	for err := range errs {
		Expect(err).NotTo(HaveOccurred())
	}
}

func createPodQuiet(ns string, p podSpec) error {
	pod := &corev1.Pod{
		ObjectMeta: metav1.ObjectMeta{Namespace: ns, Name: p.name, Labels: map[string]string{"app": p.app}},
		Spec:       corev1.PodSpec{Containers: []corev1.Container{{Name: "main", Image: "registry.invalid/app"}}},
	}
	if err := k8sClient.Create(ctx, pod); err != nil {
		return err
	}
	pod.Status = corev1.PodStatus{
		Phase: corev1.PodRunning, PodIP: p.ips[0], PodIPs: []corev1.PodIP{{IP: p.ips[0]}},
		Conditions: []corev1.PodCondition{{Type: corev1.PodReady, Status: corev1.ConditionTrue, LastTransitionTime: metav1.Now()}},
	}
	return k8sClient.Status().Update(ctx, pod)
}

// endpointsView is the whole content of an Endpoints object, in a comparable form:
// one string per subset: "ready=[ip/host ...] notReady=[...] ports=[name/proto/port ...]".
func endpointsView(ns, name string) func() []string {
	return func() []string {
		ep := &corev1.Endpoints{}
		if err := k8sClient.Get(ctx, client.ObjectKey{Namespace: ns, Name: name}, ep); err != nil {
			return []string{"error: " + err.Error()}
		}
		var out []string
		for _, s := range ep.Subsets {
			var ready, notReady, ports []string
			for _, a := range s.Addresses {
				ready = append(ready, addressView(a))
			}
			for _, a := range s.NotReadyAddresses {
				notReady = append(notReady, addressView(a))
			}
			for _, p := range s.Ports {
				ports = append(ports, fmt.Sprintf("%s/%s/%d", p.Name, p.Protocol, p.Port))
			}
			sort.Strings(ready)
			sort.Strings(notReady)
			sort.Strings(ports)
			out = append(out, fmt.Sprintf("ready=%v notReady=%v ports=%v", ready, notReady, ports))
		}
		sort.Strings(out)
		return out
	}
}

func addressView(a corev1.EndpointAddress) string {
	if a.Hostname != "" {
		return a.IP + "/" + a.Hostname
	}
	return a.IP
}

// slicesView is the whole content of the slices of ours for a Service: one string per
// slice, "family ports=[...] eps=[ip(r,s,t)[/host][@node/zone] ...]", sorted.
func slicesView(ns, svc, managedBy string) func() []string {
	return func() []string {
		var out []string
		for _, s := range listSlicesOf(ns, svc, managedBy) {
			var ports, eps []string
			for _, p := range s.Ports {
				ports = append(ports, fmt.Sprintf("%s/%s/%d", deref(p.Name), derefProto(p.Protocol), derefInt(p.Port)))
			}
			for _, e := range s.Endpoints {
				v := fmt.Sprintf("%s(%s)", strings.Join(e.Addresses, ","), conditionsView(e.Conditions))
				if e.Hostname != nil {
					v += "/" + *e.Hostname
				}
				if e.NodeName != nil || e.Zone != nil {
					v += "@" + deref(e.NodeName) + "/" + deref(e.Zone)
				}
				eps = append(eps, v)
			}
			sort.Strings(ports)
			sort.Strings(eps)
			out = append(out, fmt.Sprintf("%s ports=%v eps=%v", s.AddressType, ports, eps))
		}
		sort.Strings(out)
		return out
	}
}

// listSlicesOf lists the slices labelled for the Service with the given managed-by.
func listSlicesOf(ns, svc, managedBy string) []discoveryv1.EndpointSlice {
	var list discoveryv1.EndpointSliceList
	Expect(k8sClient.List(ctx, &list, client.InNamespace(ns), client.MatchingLabels{
		discoveryv1.LabelServiceName: svc, discoveryv1.LabelManagedBy: managedBy,
	})).To(Succeed())
	return list.Items
}

// conditionsView renders ready, serving, terminating as r/s/t letters, "-" when false.
func conditionsView(c discoveryv1.EndpointConditions) string {
	flag := func(b *bool, letter string) string {
		if b != nil && *b {
			return letter
		}
		return "-"
	}
	return flag(c.Ready, "r") + flag(c.Serving, "s") + flag(c.Terminating, "t")
}

func deref(s *string) string {
	if s == nil {
		return ""
	}
	return *s
}

func derefProto(p *corev1.Protocol) string {
	if p == nil {
		return ""
	}
	return string(*p)
}

func derefInt(p *int32) int32 {
	if p == nil {
		return 0
	}
	return *p
}

// ours is the managed-by of the slices the EndpointSlice controller derives from pods.
const ours = endpoints.ManagedByValue

// eventsWithReason lists the events.k8s.io Events of the namespace with the reason.
func eventsWithReason(ns, reason string) func() []string {
	return func() []string {
		var list eventsv1.EventList
		Expect(k8sClient.List(ctx, &list, client.InNamespace(ns))).To(Succeed())
		var out []string
		for _, e := range list.Items {
			if e.Reason == reason {
				out = append(out, e.Regarding.Kind+"/"+e.Regarding.Name+": "+e.Note)
			}
		}
		return out
	}
}

// nsWrites returns the manager's writes in ns since mark ("METHOD path"), optionally
// only those to one resource ("endpoints", "endpointslices", "events").
func nsWrites(ns string, mark int, resource ...string) []string {
	var out []string
	for _, r := range writes.WritesSince(mark, "/namespaces/"+ns+"/") {
		if len(resource) > 0 && !strings.HasSuffix(r.Path, "/"+resource[0]) && !strings.Contains(r.Path, "/"+resource[0]+"/") {
			continue
		}
		out = append(out, r.Method+" "+r.Path)
	}
	return out
}

// waitQuiet waits until the manager has written nothing in ns for a second: the echoes
// of its own writes have been reconciled and the asynchronous events are out.
func waitQuiet(ns string) {
	GinkgoHelper()
	Eventually(func() []string {
		mark := writes.Mark()
		time.Sleep(time.Second)
		return nsWrites(ns, mark)
	}).Should(BeEmpty())
}

func clientKey(ns, name string) client.ObjectKey { return client.ObjectKey{Namespace: ns, Name: name} }
