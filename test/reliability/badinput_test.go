package reliability

import (
	"context"
	"fmt"
	"strings"
	"time"

	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"
	corev1 "k8s.io/api/core/v1"
	discoveryv1 "k8s.io/api/discovery/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/util/intstr"
	"sigs.k8s.io/controller-runtime/pkg/client"

	"github.com/slicelb/slicelb/internal/endpoints"
)

const badSpec, badNS = "bad-input", "rel-bad"

// Bad input: each case must give an event (or be refused by the API server's validation, which
// is then the proof), never crash the controller (stop() fails a spec whose controller exited)
// and never cost another Service an endpoint: the canary Service is judged after every case.
var _ = Describe("Bad input", Ordered, func() {
	BeforeAll(func(ctx SpecContext) {
		createNamespace(ctx, badNS)
		Expect(suite.Client.Create(ctx, service(badSpec, badNS, "canary"))).To(Succeed())
		_, err := seedPods(ctx, badNS, []string{"canary"}, 10)
		Expect(err).NotTo(HaveOccurred())
		ctl := startController(ctx, controllerOptions{name: "bad-input-controller", spec: badSpec})
		DeferCleanup(func() { stop(ctl) })
		expectConverged(ctx, badNS, "canary")
	})

	AfterEach(func(ctx SpecContext) {
		v := expectConverged(ctx, badNS, "canary")
		Expect(v.Lost).To(BeZero())
	})

	It("reports a named targetPort that exists on no pod", func(ctx SpecContext) {
		svc := service(badSpec, badNS, "noport")
		svc.Spec.Ports[0].TargetPort = intstr.FromString("nope")
		Expect(suite.Client.Create(ctx, svc)).To(Succeed())
		_, err := seedPods(ctx, badNS, []string{"noport"}, 3)
		Expect(err).NotTo(HaveOccurred())
		expectEvent(ctx, "Service", "noport", endpoints.ReasonPortNotFound)
		expectConverged(ctx, badNS, "noport")
		record("bad input: named targetPort on no pod", "event %s; canary lost 0", endpoints.ReasonPortNotFound)
	})

	It("never sees a Pod IP that does not parse: the API server refuses it", func(ctx SpecContext) {
		p := pod(badNS, "badip", "canary", true)
		p.Status.PodIP, p.Status.PodIPs = "999.1.2.3", []corev1.PodIP{{IP: "999.1.2.3"}}
		err := createPod(ctx, p)
		Expect(apierrors.IsInvalid(err)).To(BeTrue(), "want 422 Invalid, got %v", err)
		record("bad input: unparsable Pod IP", "refused by kube-apiserver (422 Invalid); planner: internal/endpoints TestUnparsablePodIPs")
	})

	It("never sees hand-written Endpoints with invalid IPs: the API server refuses them", func(ctx SpecContext) {
		Expect(suite.Client.Create(ctx, selectorless("manual"))).To(Succeed())
		err := suite.Client.Create(ctx, manualEndpoints("manual", []string{"10.1.2.3", "not-an-ip"}))
		Expect(apierrors.IsInvalid(err)).To(BeTrue(), "want 422 Invalid, got %v", err)
		record("bad input: Endpoints with an invalid IP", "refused by kube-apiserver (422 Invalid); planner: mirror_test InvalidIPAddress")
	})

	It("mirrors at most 1000 of 5,000 hand-written addresses and says so", func(ctx SpecContext) {
		Expect(suite.Client.Create(ctx, selectorless("manual-big"))).To(Succeed())
		ips := make([]string, 5000)
		for i := range ips {
			ips[i] = nextIP()
		}
		Expect(suite.Client.Create(ctx, manualEndpoints("manual-big", ips))).To(Succeed())
		expectEvent(ctx, "Endpoints", "manual-big", endpoints.ReasonTooManyAddresses)
		var mirrored int
		Eventually(func(g Gomega) {
			mirrored = 0
			var l discoveryv1.EndpointSliceList
			g.Expect(suite.Client.List(ctx, &l, client.InNamespace(badNS), client.MatchingLabels{
				discoveryv1.LabelServiceName: "manual-big", discoveryv1.LabelManagedBy: endpoints.MirrorManagedByValue,
			})).To(Succeed())
			seen := map[string]bool{}
			for _, s := range l.Items {
				for _, e := range s.Endpoints {
					g.Expect(seen[e.Addresses[0]]).To(BeFalse(), "address %s mirrored twice", e.Addresses[0])
					seen[e.Addresses[0]] = true
					mirrored++
				}
			}
			g.Expect(mirrored).To(Equal(endpoints.DefaultMaxAddressesPerMirroredSubset))
		}).Should(Succeed())
		record("bad input: Endpoints with 5,000 addresses", "%d mirrored, event %s", mirrored, endpoints.ReasonTooManyAddresses)
	})

	It("serves a Service with 100 ports", func(ctx SpecContext) {
		svc := service(badSpec, badNS, "ports100")
		svc.Spec.Ports = nil
		for i := range 100 {
			svc.Spec.Ports = append(svc.Spec.Ports, corev1.ServicePort{Name: fmt.Sprintf("p%d", i), Port: int32(1000 + i),
				TargetPort: intstr.FromInt32(int32(2000 + i)), Protocol: corev1.ProtocolTCP})
		}
		Expect(suite.Client.Create(ctx, svc)).To(Succeed())
		_, err := seedPods(ctx, badNS, []string{"ports100"}, 3)
		Expect(err).NotTo(HaveOccurred())
		expectConverged(ctx, badNS, "ports100")
		s, err := ourSlice(ctx, badNS, "ports100")
		Expect(err).NotTo(HaveOccurred())
		Expect(s.Ports).To(HaveLen(100))
		record("bad input: Service with 100 ports", "converged, %d ports per slice", len(s.Ports))
	})

	It("copies labels at their size limits and writes Services with 256 KiB of annotations", func(ctx SpecContext) {
		prefix := strings.Join([]string{strings.Repeat("a", 63), strings.Repeat("b", 63), strings.Repeat("c", 63), strings.Repeat("d", 61)}, ".")
		Expect(prefix).To(HaveLen(253))
		key, value := prefix+"/"+strings.Repeat("k", 63), strings.Repeat("v", 63)
		svc := service(badSpec, badNS, "limits")
		svc.Labels[key] = value
		// The API server limits a object's annotations to 256 KiB in total (keys and values).
		annKey := "reliability.slicelb.io/big"
		svc.Annotations = map[string]string{annKey: strings.Repeat("x", 256*1024-len(annKey)-64)}
		Expect(suite.Client.Create(ctx, svc)).To(Succeed())
		_, err := seedPods(ctx, badNS, []string{"limits"}, 3)
		Expect(err).NotTo(HaveOccurred())
		expectConverged(ctx, badNS, "limits")
		s, err := ourSlice(ctx, badNS, "limits")
		Expect(err).NotTo(HaveOccurred())
		Expect(s.Labels).To(HaveKeyWithValue(key, value))
		ep := &corev1.Endpoints{}
		Expect(suite.Client.Get(ctx, client.ObjectKey{Namespace: badNS, Name: "limits"}, ep)).To(Succeed())
		Expect(ep.Labels).To(HaveKeyWithValue(key, value))
		record("bad input: labels/annotations at size limits", "253+63-char key, 63-char value copied to slice and Endpoints; 256 KiB annotations")
	})

	It("never deletes an EndpointSlice someone else manages for its Service", func(ctx SpecContext) {
		foreign := &discoveryv1.EndpointSlice{
			ObjectMeta: metav1.ObjectMeta{Namespace: badNS, Name: "canary-other", Labels: map[string]string{
				discoveryv1.LabelServiceName: "canary", discoveryv1.LabelManagedBy: "other-controller.example.com",
			}},
			AddressType: discoveryv1.AddressTypeIPv4,
			Endpoints:   []discoveryv1.Endpoint{{Addresses: []string{"192.0.2.10"}}},
			Ports:       []discoveryv1.EndpointPort{{Name: new("http"), Port: new(int32(8080)), Protocol: new(corev1.ProtocolTCP)}},
		}
		Expect(suite.Client.Create(ctx, foreign)).To(Succeed())
		// A change of the Service's pods makes the controller sync it with the foreign slice listed.
		Expect(createPod(ctx, pod(badNS, "canary-extra", "canary", true))).To(Succeed())
		expectConverged(ctx, badNS, "canary")
		Consistently(func() error {
			return suite.Client.Get(ctx, client.ObjectKeyFromObject(foreign), &discoveryv1.EndpointSlice{})
		}).WithTimeout(3 * time.Second).Should(Succeed())
		record("bad input: foreign EndpointSlice for our Service", "kept (not deleted, not adopted)")
	})

	It("caps a selector matching 10,000 pods: 1000 Endpoints addresses (truncated), 100 full slices", func(ctx SpecContext) {
		// Pods first, then the Service: one sync plans all 10,000 (slices packed full), and the
		// controller does not compete with the pod creation for the 2 cores of CI.
		start := time.Now()
		Expect(createPodsParallel(ctx, badNS, "huge", 10000, 48)).To(Succeed())
		created := time.Since(start)
		Expect(suite.Client.Create(ctx, service(badSpec, badNS, "huge"))).To(Succeed())
		var v verdict
		Eventually(func(g Gomega) {
			var err error
			v, err = judge(ctx, badNS, "huge", 100)
			g.Expect(err).NotTo(HaveOccurred())
			g.Expect(v.ok()).To(BeTrue(), "%s", v)
		}).WithTimeout(2 * time.Minute).WithPolling(2 * time.Second).Should(Succeed())
		ep := &corev1.Endpoints{}
		Expect(suite.Client.Get(ctx, client.ObjectKey{Namespace: badNS, Name: "huge"}, ep)).To(Succeed())
		Expect(ep.Annotations).To(HaveKeyWithValue(corev1.EndpointsOverCapacity, "truncated"))
		addresses := 0
		for _, ss := range ep.Subsets {
			addresses += len(ss.Addresses) + len(ss.NotReadyAddresses)
		}
		Expect(addresses).To(Equal(endpoints.MaxEndpointsAddresses))
		Expect(v.Slices).To(Equal(100), "%s", v)
		record("bad input: selector matching 10,000 pods", "Endpoints %d addresses (over-capacity=truncated), %d slices of 100, "+
			"duplicate %d, lost %d; pods created in %v, converged %v after",
			addresses, v.Slices, v.DuplicateEndpoints, v.Lost, created.Round(100*time.Millisecond),
			(time.Since(start) - created).Round(100*time.Millisecond))
	}, SpecTimeout(4*time.Minute))
})

// createPodsParallel creates n ready pods of app from the given number of workers.
func createPodsParallel(ctx context.Context, namespace, app string, n, workers int) error {
	errs := make(chan error, workers)
	for w := range workers {
		go func() {
			var err error
			for i := w; i < n && err == nil; i += workers {
				err = createPod(ctx, pod(namespace, fmt.Sprintf("%s-%d", app, i), app, true))
			}
			errs <- err
		}()
	}
	var first error
	for range workers {
		if err := <-errs; err != nil && first == nil {
			first = err
		}
	}
	return first
}

// selectorless is a Service of the bad-input spec without a selector (its Endpoints are hand-written).
func selectorless(name string) *corev1.Service {
	svc := service(badSpec, badNS, name)
	svc.Spec.Selector = nil
	return svc
}

func manualEndpoints(name string, ips []string) *corev1.Endpoints {
	addrs := make([]corev1.EndpointAddress, len(ips))
	for i, ip := range ips {
		addrs[i] = corev1.EndpointAddress{IP: ip}
	}
	return &corev1.Endpoints{
		ObjectMeta: metav1.ObjectMeta{Namespace: badNS, Name: name},
		Subsets:    []corev1.EndpointSubset{{Addresses: addrs, Ports: []corev1.EndpointPort{{Name: "http", Port: 8080, Protocol: corev1.ProtocolTCP}}}},
	}
}

// expectEvent waits for an events.k8s.io event with the reason about the named object.
func expectEvent(ctx context.Context, kind, name, reason string) {
	Eventually(func(g Gomega) {
		l, err := suite.Clientset.EventsV1().Events(badNS).List(ctx, metav1.ListOptions{})
		g.Expect(err).NotTo(HaveOccurred())
		var reasons []string
		for _, e := range l.Items {
			if e.Regarding.Kind == kind && e.Regarding.Name == name {
				reasons = append(reasons, e.Reason)
			}
		}
		g.Expect(reasons).To(ContainElement(reason))
	}).Should(Succeed())
}
