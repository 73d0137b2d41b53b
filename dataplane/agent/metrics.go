package agent

import (
	"github.com/prometheus/client_golang/prometheus"
)

// Metric names, kept here so the README and the dashboards can grep them.
const (
	metricSyncDuration        = "slicelb_node_sync_duration_seconds"
	metricProgrammingDuration = "slicelb_node_network_programming_duration_seconds"
	metricVirtualServers      = "slicelb_node_virtual_servers"
	metricRealServers         = "slicelb_node_real_servers"
	metricDrainingServers     = "slicelb_node_draining_real_servers"
	metricNetlinkErrors       = "slicelb_node_netlink_errors_total"
	metricNetlinkWrites       = "slicelb_node_netlink_writes_total"
	metricLastSync            = "slicelb_node_last_successful_sync_timestamp_seconds"
	metricSyncs               = "slicelb_node_syncs_total"
)

// Metrics are the node agent's Prometheus series. One instance per registry.
type Metrics struct {
	SyncDuration        prometheus.Histogram
	ProgrammingDuration prometheus.Histogram
	VirtualServers      prometheus.Gauge
	RealServers         prometheus.Gauge
	DrainingServers     prometheus.Gauge
	NetlinkErrors       *prometheus.CounterVec // label op: the kind of write that failed
	NetlinkWrites       *prometheus.CounterVec // label op: the kind of write done
	LastSync            prometheus.Gauge
	Syncs               *prometheus.CounterVec // label result: success, error
}

// NewMetrics creates the agent's metrics and registers them with reg (controller-runtime's
// metrics.Registry in the binary, a fresh prometheus.NewRegistry() in tests).
func NewMetrics(reg prometheus.Registerer) *Metrics {
	m := &Metrics{
		SyncDuration: prometheus.NewHistogram(prometheus.HistogramOpts{
			Name: metricSyncDuration,
			Help: "Time one sync took: snapshot, plan, kernel read and writes.",
			// From 1ms (a no-op sync) to ~16s (a full sync of a very large table).
			Buckets: prometheus.ExponentialBuckets(0.001, 2, 15),
		}),
		ProgrammingDuration: prometheus.NewHistogram(prometheus.HistogramOpts{
			Name: metricProgrammingDuration,
			Help: "Time from an EndpointSlice's endpoints.kubernetes.io/last-change-trigger-time " +
				"to the end of the sync that programmed it (kube-proxy's network_programming_duration_seconds).",
			// kube-proxy's buckets: 0.25s .. 5min then up to 1h.
			Buckets: merge(
				prometheus.LinearBuckets(0.25, 0.25, 2),
				prometheus.LinearBuckets(1, 1, 59),
				prometheus.LinearBuckets(60, 5, 12),
				prometheus.LinearBuckets(120, 30, 7)),
		}),
		VirtualServers: prometheus.NewGauge(prometheus.GaugeOpts{
			Name: metricVirtualServers,
			Help: "IPVS virtual servers owned and programmed by this agent after the last sync.",
		}),
		RealServers: prometheus.NewGauge(prometheus.GaugeOpts{
			Name: metricRealServers,
			Help: "IPVS real servers under this agent's virtual servers after the last sync, draining ones included.",
		}),
		DrainingServers: prometheus.NewGauge(prometheus.GaugeOpts{
			Name: metricDrainingServers,
			Help: "Real servers at weight 0 waiting for their connections to end (graceful termination).",
		}),
		NetlinkErrors: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: metricNetlinkErrors,
			Help: "Kernel writes (IPVS, addresses, nftables, conntrack) that failed; they are retried with backoff.",
		}, []string{"op"}),
		NetlinkWrites: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: metricNetlinkWrites,
			Help: "Kernel writes done (IPVS, addresses, nftables, conntrack). A no-op sync adds 0.",
		}, []string{"op"}),
		LastSync: prometheus.NewGauge(prometheus.GaugeOpts{
			Name: metricLastSync,
			Help: "Unix time of the end of the last sync that completed without error.",
		}),
		Syncs: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: metricSyncs,
			Help: "Syncs run, by result.",
		}, []string{"result"}),
	}
	reg.MustRegister(m.SyncDuration, m.ProgrammingDuration, m.VirtualServers, m.RealServers,
		m.DrainingServers, m.NetlinkErrors, m.NetlinkWrites, m.LastSync, m.Syncs)
	return m
}

func merge(parts ...[]float64) []float64 {
	var out []float64
	for _, p := range parts {
		out = append(out, p...)
	}
	return out
}
