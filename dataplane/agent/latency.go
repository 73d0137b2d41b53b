package agent

import (
	"time"

	discoveryv1 "k8s.io/api/discovery/v1"
	"k8s.io/apimachinery/pkg/types"

	"github.com/prometheus/client_golang/prometheus"
)

// programmingLatency measures network programming latency the way kube-proxy does: from an
// EndpointSlice's endpoints.kubernetes.io/last-change-trigger-time to the end of the first
// successful sync that saw that value. The first sync after start only records the values it
// finds: their latency would measure the agent's start-up, not the data path.
type programmingLatency struct {
	seen        map[types.NamespacedName]string
	initialized bool
}

func newProgrammingLatency() *programmingLatency {
	return &programmingLatency{seen: map[types.NamespacedName]string{}}
}

// observe records, for each slice whose trigger time changed since the last successful sync,
// end - trigger time in h; slices gone from the snapshot are forgotten.
func (p *programmingLatency) observe(slices []*discoveryv1.EndpointSlice, end time.Time, h prometheus.Observer) {
	next := make(map[types.NamespacedName]string, len(slices))
	for _, s := range slices {
		v, ok := s.Annotations[AnnotationLastChangeTriggerTime]
		if !ok {
			continue
		}
		key := types.NamespacedName{Namespace: s.Namespace, Name: s.Name}
		next[key] = v
		if !p.initialized || p.seen[key] == v {
			continue
		}
		t, err := time.Parse(time.RFC3339Nano, v)
		if err != nil || t.After(end) {
			continue // unparsable, or a clock skewed ahead of ours: not a latency
		}
		h.Observe(end.Sub(t).Seconds())
	}
	p.seen = next
	p.initialized = true
}
