package controllers

import (
	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"
	"github.com/prometheus/client_golang/prometheus/testutil"
	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/api/resource"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/util/intstr"
)

var _ = Describe("Write failures", func() {
	It("reports refused writes as Warning events and error syncs, and recovers once the API server accepts them", func() {
		ns := newNamespace()
		By("a ResourceQuota that admits no Endpoints and no EndpointSlices")
		hard := corev1.ResourceList{
			"count/endpoints":                       resource.MustParse("0"),
			"count/endpointslices.discovery.k8s.io": resource.MustParse("0"),
		}
		quota := &corev1.ResourceQuota{ObjectMeta: metav1.ObjectMeta{Namespace: ns, Name: "none"}, Spec: corev1.ResourceQuotaSpec{Hard: hard}}
		Expect(k8sClient.Create(ctx, quota)).To(Succeed())
		// There is no quota controller in envtest: publish the usage it would compute.
		quota.Status = corev1.ResourceQuotaStatus{Hard: hard, Used: corev1.ResourceList{
			"count/endpoints": resource.MustParse("0"), "count/endpointslices.discovery.k8s.io": resource.MustParse("0"),
		}}
		Expect(k8sClient.Status().Update(ctx, quota)).To(Succeed())
		errorSyncs := testutil.ToFloat64(sliceMetrics.syncs.WithLabelValues(resultError))

		Expect(k8sClient.Create(ctx, service(ns, "web", "web", svcPort("http", corev1.ProtocolTCP, 80, intstr.FromInt32(8080))))).To(Succeed())
		createPod(ns, podSpec{name: "a", app: "web", ips: []string{"10.1.0.1"}, ready: true})
		Eventually(eventsWithReason(ns, ReasonFailedToUpdateEndpointSlices)).ShouldNot(BeEmpty())
		Eventually(eventsWithReason(ns, ReasonFailedToUpdateEndpoint)).ShouldNot(BeEmpty())
		Expect(eventsWithReason(ns, ReasonFailedToUpdateEndpoint)()[0]).To(ContainSubstring("exceeded quota"))
		Expect(testutil.ToFloat64(sliceMetrics.syncs.WithLabelValues(resultError))).To(BeNumerically(">", errorSyncs))

		By("lifting the quota")
		Expect(k8sClient.Delete(ctx, quota)).To(Succeed())
		Eventually(endpointsView(ns, "web")).Should(Equal([]string{"ready=[10.1.0.1] notReady=[] ports=[http/TCP/8080]"}))
		Eventually(slicesView(ns, "web", ours)).Should(Equal([]string{"IPv4 ports=[http/TCP/8080] eps=[10.1.0.1(rs-)]"}))
	})
})
