package controllers

import (
	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"
	"github.com/prometheus/client_golang/prometheus/testutil"
	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/util/intstr"
	"sigs.k8s.io/controller-runtime/pkg/metrics"
)

var _ = Describe("Metrics", func() {
	It("exports upstream's EndpointSlice and mirroring metric names in controller-runtime's registry", func() {
		ns := newNamespace()
		creates := testutil.ToFloat64(sliceMetrics.changes.WithLabelValues(operationCreate))
		mirrorCreates := testutil.ToFloat64(mirrorMetrics.changes.WithLabelValues(operationCreate))
		http := svcPort("http", corev1.ProtocolTCP, 80, intstr.FromInt32(8080))
		Expect(k8sClient.Create(ctx, service(ns, "web", "web", http))).To(Succeed())
		Expect(k8sClient.Create(ctx, service(ns, "ext", "", http))).To(Succeed())
		Expect(k8sClient.Create(ctx, handEndpoints(ns, "ext", nil))).To(Succeed())
		createPod(ns, podSpec{name: "a", app: "web", ips: []string{"10.1.0.1"}, ready: true})
		Eventually(slicesView(ns, "web", ours)).Should(HaveLen(1))
		Eventually(func() float64 { return testutil.ToFloat64(sliceMetrics.changes.WithLabelValues(operationCreate)) }).
			Should(BeNumerically(">", creates))
		Eventually(func() float64 { return testutil.ToFloat64(mirrorMetrics.changes.WithLabelValues(operationCreate)) }).
			Should(BeNumerically(">", mirrorCreates))
		Expect(testutil.ToFloat64(sliceMetrics.desired)).To(BeNumerically(">=", 1))
		Expect(testutil.ToFloat64(sliceMetrics.slices)).To(BeNumerically(">=", 1))

		families, err := metrics.Registry.Gather()
		Expect(err).NotTo(HaveOccurred())
		var names []string
		for _, f := range families {
			names = append(names, f.GetName())
		}
		Expect(names).To(ContainElements(
			"endpoint_slice_controller_changes",
			"endpoint_slice_controller_syncs",
			"endpoint_slice_controller_endpoints_desired",
			"endpoint_slice_controller_num_endpoint_slices",
			"endpoint_slice_controller_desired_endpoint_slices",
			"endpoint_slice_controller_endpoints_added_per_sync",
			"endpoint_slice_controller_endpoints_removed_per_sync",
			"endpoint_slice_controller_endpoints_updated_per_sync",
			"endpoint_slice_mirroring_controller_changes",
			"endpoint_slice_mirroring_controller_endpoints_desired",
			"endpoint_slice_mirroring_controller_num_endpoint_slices",
			"endpoint_slice_mirroring_controller_endpoints_added_per_sync",
			"slicelb_controller_endpoints_changes_total",
			"slicelb_controller_endpoints_syncs_total",
			"slicelb_controller_foreign_endpoints_skipped_total",
		))
	})
})
