package controllers

import (
	"sync"

	"github.com/prometheus/client_golang/prometheus"
	"k8s.io/apimachinery/pkg/types"
	"sigs.k8s.io/controller-runtime/pkg/metrics"
)

// Metric subsystems. The EndpointSlice and mirroring metrics keep upstream's names
// (pkg/controller/endpointslice/metrics and endpointslicemirroring/metrics) so that
// dashboards built for kube-controller-manager carry over; the rest are slicelb's own.
const (
	sliceSubsystem     = "endpoint_slice_controller"
	mirrorSubsystem    = "endpoint_slice_mirroring_controller"
	slicelbSubsystem   = "slicelb_controller"
	resultSuccess      = "success"
	resultError        = "error"
	resultStale        = "stale"
	operationCreate    = "create"
	operationUpdate    = "update"
	operationDelete    = "delete"
	controllerEndpoint = "endpoints"
	controllerSlice    = "endpointslice"
	controllerMirror   = "endpointslice-mirroring"
)

// perSyncBuckets are upstream's buckets for the *_per_sync histograms.
var perSyncBuckets = prometheus.ExponentialBuckets(2, 2, 15)

// syncMetrics are the metrics one slice-writing controller exports.
type syncMetrics struct {
	added, updated, removed *prometheus.HistogramVec
	desired, slices, wanted prometheus.Gauge
	changes                 *prometheus.CounterVec
	syncs                   *prometheus.CounterVec
	totals                  *serviceTotals
}

func newSyncMetrics(subsystem string) *syncMetrics {
	histogram := func(name, help string) *prometheus.HistogramVec {
		return prometheus.NewHistogramVec(prometheus.HistogramOpts{
			Subsystem: subsystem, Name: name, Help: help, Buckets: perSyncBuckets,
		}, nil)
	}
	gauge := func(name, help string) prometheus.Gauge {
		return prometheus.NewGauge(prometheus.GaugeOpts{Subsystem: subsystem, Name: name, Help: help})
	}
	m := &syncMetrics{
		added:   histogram("endpoints_added_per_sync", "Number of endpoints added on each Service sync"),
		updated: histogram("endpoints_updated_per_sync", "Number of endpoints updated on each Service sync"),
		removed: histogram("endpoints_removed_per_sync", "Number of endpoints removed on each Service sync"),
		desired: gauge("endpoints_desired", "Number of endpoints desired"),
		slices:  gauge("num_endpoint_slices", "Number of EndpointSlices"),
		wanted:  gauge("desired_endpoint_slices", "Number of EndpointSlices that would exist with perfect endpoint allocation"),
		changes: prometheus.NewCounterVec(prometheus.CounterOpts{
			Subsystem: subsystem, Name: "changes", Help: "Number of EndpointSlice changes",
		}, []string{"operation"}),
		syncs: prometheus.NewCounterVec(prometheus.CounterOpts{
			Subsystem: subsystem, Name: "syncs", Help: "Number of EndpointSlice syncs",
		}, []string{"result"}),
	}
	m.totals = &serviceTotals{byService: map[types.NamespacedName]serviceTotal{}, m: m}
	return m
}

func (m *syncMetrics) collectors() []prometheus.Collector {
	return []prometheus.Collector{m.added, m.updated, m.removed, m.desired, m.slices, m.wanted, m.changes, m.syncs}
}

// serviceTotal is one Service's share of the cluster-wide gauges.
type serviceTotal struct{ endpoints, slices, wantedSlices int }

// serviceTotals keeps the gauges equal to the sum over Services, as upstream's metrics
// cache does: each sync replaces its Service's share, a deleted Service drops it.
type serviceTotals struct {
	mu        sync.Mutex
	byService map[types.NamespacedName]serviceTotal
	sum       serviceTotal
	m         *syncMetrics
}

func (t *serviceTotals) set(svc types.NamespacedName, v serviceTotal) {
	t.mu.Lock()
	defer t.mu.Unlock()
	old := t.byService[svc]
	if v == (serviceTotal{}) {
		delete(t.byService, svc)
	} else {
		t.byService[svc] = v
	}
	t.sum.endpoints += v.endpoints - old.endpoints
	t.sum.slices += v.slices - old.slices
	t.sum.wantedSlices += v.wantedSlices - old.wantedSlices
	t.m.desired.Set(float64(t.sum.endpoints))
	t.m.slices.Set(float64(t.sum.slices))
	t.m.wanted.Set(float64(t.sum.wantedSlices))
}

var (
	sliceMetrics  = newSyncMetrics(sliceSubsystem)
	mirrorMetrics = newSyncMetrics(mirrorSubsystem)

	// endpointsChanges and endpointsSyncs cover the Endpoints controller, which has no
	// metrics of its own upstream.
	endpointsChanges = prometheus.NewCounterVec(prometheus.CounterOpts{
		Subsystem: slicelbSubsystem, Name: "endpoints_changes_total", Help: "Number of Endpoints writes by operation",
	}, []string{"operation"})
	endpointsSyncs = prometheus.NewCounterVec(prometheus.CounterOpts{
		Subsystem: slicelbSubsystem, Name: "endpoints_syncs_total", Help: "Number of Endpoints syncs by result",
	}, []string{"result"})
	// foreignEndpointsSkipped counts syncs that left another writer's Endpoints alone.
	foreignEndpointsSkipped = prometheus.NewCounter(prometheus.CounterOpts{
		Subsystem: slicelbSubsystem, Name: "foreign_endpoints_skipped_total",
		Help: "Number of syncs that did not write an Endpoints object because another controller manages it",
	})
	// staleCacheRequeues counts syncs postponed because the cache had not observed our own writes.
	staleCacheRequeues = prometheus.NewCounterVec(prometheus.CounterOpts{
		Subsystem: slicelbSubsystem, Name: "stale_cache_requeues_total",
		Help: "Number of syncs requeued because the cache had not yet observed the controller's last write",
	}, []string{"controller"})
	// ownedObjectsRemoved counts objects of ours removed because their Service lost its
	// selector, became ExternalName or was deleted (upstream leaves them behind).
	ownedObjectsRemoved = prometheus.NewCounterVec(prometheus.CounterOpts{
		Subsystem: slicelbSubsystem, Name: "orphaned_objects_removed_total",
		Help: "Number of Endpoints/EndpointSlices of ours removed because their Service no longer selects pods",
	}, []string{"kind"})
)

func init() {
	metrics.Registry.MustRegister(sliceMetrics.collectors()...)
	metrics.Registry.MustRegister(mirrorMetrics.collectors()...)
	metrics.Registry.MustRegister(endpointsChanges, endpointsSyncs, foreignEndpointsSkipped, staleCacheRequeues, ownedObjectsRemoved)
}
