package controllers

import (
	"time"

	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"
	"k8s.io/apimachinery/pkg/types"
)

var _ = Describe("WriteTracker", func() {
	svc := types.NamespacedName{Namespace: "ns", Name: "web"}
	var (
		t   *WriteTracker
		now time.Time
	)
	BeforeEach(func() {
		t = NewWriteTracker()
		now = time.Unix(1000, 0)
		t.now = func() time.Time { return now }
	})

	It("is stale until the cache lists a created object, then forgets it", func() {
		t.Created(svc, "web-abc")
		Expect(t.Stale(svc, map[string]string{})).To(BeTrue())
		Expect(t.Stale(svc, map[string]string{"web-abc": "7"})).To(BeFalse())
		Expect(t.Stale(svc, map[string]string{})).To(BeFalse(), "met expectations are forgotten")
	})

	It("is stale while the cache shows the version an update or delete replaced", func() {
		t.Updated(svc, "web-abc", "7")
		t.Deleted(svc, "web-def", "9")
		Expect(t.Stale(svc, map[string]string{"web-abc": "7", "web-def": "9"})).To(BeTrue())
		Expect(t.Stale(svc, map[string]string{"web-abc": "8", "web-def": "9"})).To(BeTrue(), "the delete is not observed yet")
		Expect(t.Stale(svc, map[string]string{"web-abc": "8"})).To(BeFalse())
	})

	It("drops an expectation the cache never meets after the TTL, so a Service is never wedged", func() {
		t.Created(svc, "web-abc")
		now = now.Add(expectationTTL - time.Second)
		Expect(t.Stale(svc, nil)).To(BeTrue())
		now = now.Add(2 * time.Second)
		Expect(t.Stale(svc, nil)).To(BeFalse())
	})

	It("keeps Services apart and forgets a Service as a whole", func() {
		other := types.NamespacedName{Namespace: "ns", Name: "api"}
		t.Created(svc, "web-abc")
		t.Created(other, "api-abc")
		Expect(t.Stale(other, map[string]string{"api-abc": "1"})).To(BeFalse())
		Expect(t.Stale(svc, nil)).To(BeTrue())
		t.Forget(svc)
		Expect(t.Stale(svc, nil)).To(BeFalse())
	})
})
