package e2e

import (
	"strings"
	"time"

	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"
	corev1 "k8s.io/api/core/v1"
	discoveryv1 "k8s.io/api/discovery/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/utils/ptr"
	"sigs.k8s.io/controller-runtime/pkg/client"

	"github.com/slicelb/slicelb/internal/endpoints"
	"github.com/slicelb/slicelb/test/vmnode"
)

// foreignManager is the managed-by value of the EndpointSlice another controller writes.
const foreignManager = "someone-else.example.com"

// foreignSliceSpec: an EndpointSlice another controller writes for one of our Services. Kubernetes
// lets several managers publish slices for one Service (discovery consumers merge every slice
// labelled kubernetes.io/service-name); the node agent must route to its endpoints too, and the
// controller must leave slices with another managed-by label alone, also when it re-syncs.
func foreignSliceSpec(node func() *vmnode.Node) {
	It("merges an EndpointSlice written by another manager, which the controller never deletes", func(ctx SpecContext) {
		n := node()
		merged := map[string]string{"app": "merged"}
		Expect(createPodWithStatus(ctx, vmPod("merged-0", "10.244.2.50", merged))).To(Succeed())
		// outside-0 is selected by no Service: only the foreign slice points at it.
		Expect(createPodWithStatus(ctx, vmPod("outside-0", "10.244.2.51", map[string]string{"app": "outside"}))).To(Succeed())
		target := createService(ctx, httpService("merged", merged))
		Eventually(ctx, n.Pods).Should(ContainElement(trafficNamespace + "/outside-0 10.244.2.51"))
		Eventually(ctx, func() []string { return distinct(get(ctx, n, target, 3)) }).Should(Equal([]string{"merged-0"}))

		foreign := &discoveryv1.EndpointSlice{
			ObjectMeta: metav1.ObjectMeta{Namespace: trafficNamespace, Name: "merged-foreign", Labels: map[string]string{
				discoveryv1.LabelServiceName: "merged", discoveryv1.LabelManagedBy: foreignManager,
			}},
			AddressType: discoveryv1.AddressTypeIPv4,
			Endpoints: []discoveryv1.Endpoint{{
				Addresses: []string{"10.244.2.51"}, NodeName: ptr.To(vmNodeName),
				Conditions: discoveryv1.EndpointConditions{Ready: ptr.To(true), Serving: ptr.To(true), Terminating: ptr.To(false)},
			}},
			Ports: []discoveryv1.EndpointPort{{Name: ptr.To("http"), Port: ptr.To[int32](80), Protocol: ptr.To(corev1.ProtocolTCP)}},
		}
		start := time.Now()
		Expect(suite.Client.Create(ctx, foreign)).To(Succeed())
		both := []string{"merged-0", "outside-0"}
		Eventually(ctx, func() []string { return distinct(get(ctx, n, target, 4)) }).WithPolling(pollInterval).Should(Equal(both))
		merging := time.Since(start)
		replies := get(ctx, n, target, 8)
		Expect(errorsIn(replies)).To(BeEmpty())
		Expect(distinct(replies)).To(Equal(both))

		By("a pod change makes the controller re-sync the Service; the foreign slice stays")
		Expect(createPodWithStatus(ctx, vmPod("merged-1", "10.244.2.52", merged))).To(Succeed())
		Eventually(ctx, func() []string { return ourSliceAddresses(ctx, "merged") }).Should(ConsistOf("10.244.2.50", "10.244.2.52"))
		all := []string{"merged-0", "merged-1", "outside-0"}
		Eventually(ctx, func() []string { return distinct(get(ctx, n, target, 6)) }).Should(Equal(all))
		Consistently(ctx, func() error {
			return suite.Client.Get(ctx, client.ObjectKeyFromObject(foreign), &discoveryv1.EndpointSlice{})
		}).WithTimeout(5 * time.Second).Should(Succeed())
		got := &discoveryv1.EndpointSlice{}
		Expect(suite.Client.Get(ctx, client.ObjectKeyFromObject(foreign), got)).To(Succeed())
		Expect(got.Labels[discoveryv1.LabelManagedBy]).To(Equal(foreignManager))
		Expect(got.Endpoints).To(HaveLen(1), "nobody rewrote it")
		replies = get(ctx, n, target, 9)
		report("foreign EndpointSlice", "%s -> %s; merged by the agent %v after its creation; still present (generation %d) after the controller re-synced for merged-1",
			target, strings.Join(replies, " "), merging.Round(10*time.Millisecond), got.Generation)
		Expect(errorsIn(replies)).To(BeEmpty())
		Expect(distinct(replies)).To(Equal(all))
	}, SpecTimeout(3*time.Minute))
}

// ourSliceAddresses are the endpoint addresses of the controller's own slices of a Service.
func ourSliceAddresses(ctx SpecContext, service string) []string {
	GinkgoHelper()
	list := &discoveryv1.EndpointSliceList{}
	Expect(suite.Client.List(ctx, list, client.InNamespace(trafficNamespace), client.MatchingLabels{
		discoveryv1.LabelServiceName: service, discoveryv1.LabelManagedBy: endpoints.ManagedByValue,
	})).To(Succeed())
	var out []string
	for _, s := range list.Items {
		for _, e := range s.Endpoints {
			out = append(out, e.Addresses...)
		}
	}
	return out
}
