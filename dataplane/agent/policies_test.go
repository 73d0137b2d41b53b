package agent

import (
	"reflect"
	"testing"
	"time"

	"k8s.io/apimachinery/pkg/types"
	"k8s.io/utils/ptr"

	"github.com/slicelb/slicelb/dataplane/proxier"
	"github.com/slicelb/slicelb/internal/policy"
)

func TestProxierPolicies(t *testing.T) {
	a := types.NamespacedName{Namespace: "default", Name: "a"}
	b := types.NamespacedName{Namespace: "default", Name: "b"}
	c := types.NamespacedName{Namespace: "other", Name: "c"}
	got := ProxierPolicies(map[types.NamespacedName]policy.Override{
		a: {Scheduler: "sh", PersistenceTimeout: 60},
		b: {Scheduler: "lc", DrainTimeout: ptr.To(2 * time.Minute)},
		c: {Scheduler: "rr", DrainTimeout: ptr.To(time.Duration(0))},
	})
	want := map[types.NamespacedName]proxier.Policy{
		a: {Scheduler: "sh", PersistenceTimeout: 60},
		b: {Scheduler: "lc", DrainTimeout: 2 * time.Minute},
		c: {Scheduler: "rr", DrainTimeout: time.Nanosecond}, // 0s: drop at once, not "the default"
	}
	if !reflect.DeepEqual(got, want) {
		t.Fatalf("policies %v, want %v", got, want)
	}
	if got := ProxierPolicies(nil); got != nil {
		t.Fatalf("no overrides gave %v, want nil", got)
	}
}
