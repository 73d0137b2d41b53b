package reliability

import (
	"context"
	"fmt"
	"net/http"
	"strings"
	"sync/atomic"
	"time"

	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"
	discoveryv1 "k8s.io/api/discovery/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	"github.com/slicelb/slicelb/internal/endpoints"
	"github.com/slicelb/slicelb/test/utils"
)

// ourSlice returns the first slice the controller manages for the Service.
func ourSlice(ctx context.Context, namespace, name string) (*discoveryv1.EndpointSlice, error) {
	l, err := suite.Clientset.DiscoveryV1().EndpointSlices(namespace).List(ctx, metav1.ListOptions{
		LabelSelector: discoveryv1.LabelServiceName + "=" + name + "," + discoveryv1.LabelManagedBy + "=" + endpoints.ManagedByValue,
	})
	if err != nil {
		return nil, err
	}
	if len(l.Items) == 0 {
		return nil, fmt.Errorf("no slice of ours for %s/%s", namespace, name)
	}
	return &l.Items[0], nil
}

// Conflicts: someone else writes the slices the controller owns. A concurrent writer bumps the
// resourceVersion of our slice all the time while pods change, so the controller's updates meet
// 409 Conflict (counted at its proxy) and must be retried from fresh state; a user's edit of the
// endpoints is reverted; a user's deletion is healed.
var _ = Describe("Conflicting writers", Ordered, func() {
	const spec, ns, app = "conflicts", "rel-conflicts", "shop"
	var proxy *utils.APIProxy
	var c *churn

	BeforeAll(func(ctx SpecContext) {
		createNamespace(ctx, ns)
		Expect(suite.Client.Create(ctx, service(spec, ns, app))).To(Succeed())
		var err error
		c, err = seedPods(ctx, ns, []string{app}, 20)
		Expect(err).NotTo(HaveOccurred())
		proxy, err = utils.NewAPIProxy(suite.Cluster.Config)
		Expect(err).NotTo(HaveOccurred())
		DeferCleanup(proxy.Close)
		ctl := startController(ctx, controllerOptions{name: "conflicts-controller", spec: spec, proxy: proxy})
		DeferCleanup(func() { stop(ctl) })
		expectConverged(ctx, ns, app)
	})

	It("retries a write that lost to a concurrent writer and converges", func(ctx SpecContext) {
		var writes, writerConflicts atomic.Int64
		wctx, cancel := context.WithCancel(ctx)
		done := make(chan struct{})
		go func() {
			defer GinkgoRecover()
			defer close(done)
			for n := 0; wctx.Err() == nil; n++ {
				s, err := ourSlice(wctx, ns, app)
				if err == nil {
					if s.Annotations == nil {
						s.Annotations = map[string]string{}
					}
					s.Annotations["reliability.slicelb.io/touched"] = fmt.Sprint(n)
					_, err = suite.Clientset.DiscoveryV1().EndpointSlices(ns).Update(wctx, s, metav1.UpdateOptions{})
					if err == nil {
						writes.Add(1)
					} else if apierrors.IsConflict(err) {
						writerConflicts.Add(1)
					}
				}
				time.Sleep(20 * time.Millisecond)
			}
		}()
		mark := len(proxy.Requests())
		c.start(ctx, 3, 50*time.Millisecond)
		time.Sleep(8 * time.Second)
		c.stop()
		cancel()
		<-done
		v := expectConverged(ctx, ns, app)
		reqs := proxy.Requests()[mark:]
		conflicts := utils.Matching(reqs, func(r utils.ProxiedRequest) bool {
			return r.Write() && r.Status == http.StatusConflict && strings.Contains(r.Path, "/endpointslices/")
		})
		record("conflicts: controller slice writes answered 409", "%d of %d (concurrent writer: %d updates, %d of its own 409s)",
			len(conflicts), len(utils.Matching(reqs, func(r utils.ProxiedRequest) bool {
				return r.Write() && strings.Contains(r.Path, "/endpointslices")
			})), writes.Load(), writerConflicts.Load())
		record("conflicts: duplicate endpoints / lost endpoints", "%d / %d", v.DuplicateEndpoints, v.Lost)
		Expect(conflicts).NotTo(BeEmpty(), "the concurrent writer must have made the controller meet a conflict")
	}, SpecTimeout(2*time.Minute))

	It("reverts a user's edit of one of its slices", func(ctx SpecContext) {
		s, err := ourSlice(ctx, ns, app)
		Expect(err).NotTo(HaveOccurred())
		s.Endpoints[0].Addresses = []string{"192.0.2.77"}
		Expect(suite.Client.Update(ctx, s)).To(Succeed())
		edited := time.Now()
		expectConverged(ctx, ns, app)
		record("conflicts: user edit reverted after", "%v", time.Since(edited).Round(10*time.Millisecond))
	}, SpecTimeout(time.Minute))

	It("heals a user's deletion of one of its slices", func(ctx SpecContext) {
		s, err := ourSlice(ctx, ns, app)
		Expect(err).NotTo(HaveOccurred())
		Expect(suite.Client.Delete(ctx, s)).To(Succeed())
		deleted := time.Now()
		expectConverged(ctx, ns, app)
		record("conflicts: user deletion healed after", "%v", time.Since(deleted).Round(10*time.Millisecond))
	}, SpecTimeout(time.Minute))
})

// expectConverged waits until the Service's objects equal a fresh computation.
func expectConverged(ctx context.Context, namespace string, names ...string) verdict {
	var v verdict
	Eventually(func(g Gomega) {
		var err error
		v, err = judgeAll(ctx, namespace, names, 100)
		g.Expect(err).NotTo(HaveOccurred())
		g.Expect(v.ok()).To(BeTrue(), "%s", v)
	}).Should(Succeed())
	return v
}
