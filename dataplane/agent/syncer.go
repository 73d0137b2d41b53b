package agent

import (
	"context"
	"errors"
	"fmt"
	"net/netip"
	"sync"
	"time"

	"github.com/go-logr/logr"
	"github.com/prometheus/client_golang/prometheus"
	corev1 "k8s.io/api/core/v1"
	discoveryv1 "k8s.io/api/discovery/v1"
	"k8s.io/apimachinery/pkg/types"
	"k8s.io/utils/clock"
	"sigs.k8s.io/controller-runtime/pkg/log"

	"github.com/slicelb/slicelb/dataplane/ipvs"
	"github.com/slicelb/slicelb/dataplane/netif"
	"github.com/slicelb/slicelb/dataplane/proxier"
)

// Snapshot is everything one sync reads. The agent builds it from its cache; the VM suite builds it
// by hand (no API server in the VM).
type Snapshot struct {
	Services []*corev1.Service
	Slices   []*discoveryv1.EndpointSlice
	// Node is this node: its addresses serve NodePorts, its name selects the Local endpoints.
	// nil means a node without addresses named SyncerOptions.NodeName.
	Node *corev1.Node
	// Policies are optional per-Service overrides (LoadBalancingPolicy); nil means none.
	Policies map[types.NamespacedName]proxier.Policy
}

// SyncerOptions wires a Syncer to the kernel ports and carries the flags that shape the state.
type SyncerOptions struct {
	IPVS  ipvs.Interface  // required: netlink implementation or *ipvs.Fake
	Netif netif.Interface // required: slicelb0 + sysctls, or *netif.Fake
	NAT   NAT             // optional: nil skips masquerade rules
	// Conntrack is optional: nil skips flushing UDP entries of removed real servers.
	Conntrack Conntrack

	NodeName          string         // used when Snapshot.Node is nil
	Scheduler         string         // --ipvs-scheduler; "" = rr
	NodePortAddresses []netip.Prefix // --nodeport-addresses; empty = the node's addresses
	NodePortRange     proxier.PortRange
	ServiceProxyName  string        // --service-proxy-name
	StrictARP         bool          // --strict-arp
	DrainTimeout      time.Duration // --drain-timeout; 0 = 15m
	// FullResyncPeriod is how often the whole IPVS table is read from the kernel; syncs in
	// between plan against the table as last read and programmed (see kernelCache). 0 reads the
	// whole table on every sync. slicelb-node uses its --sync-period.
	FullResyncPeriod time.Duration

	// Metrics default to a private registry (tests that do not read them).
	Metrics *Metrics
	// Clock measures sync durations; defaults to the real clock.
	Clock clock.PassiveClock
}

// Result says what one Sync (or Cleanup) did.
type Result struct {
	// Writes counts kernel writes attempted: IPVS ops, VIP adds/removes, nft transactions that
	// changed something, conntrack flushes. A sync with nothing changed has 0.
	Writes int
	// Errors counts failed writes; each is retried by the next sync.
	Errors int
	// VirtualServers and RealServers are the owned virtual servers and their real servers
	// (draining ones included) as planned; Draining are real servers at weight 0.
	VirtualServers, RealServers, Draining int
	// Conflicts are desired virtual servers the agent may not own (left untouched).
	Conflicts int
	// NextDrainDeadline is the earliest drain deadline (zero when nothing drains): the agent
	// syncs again by then to delete the real server.
	NextDrainDeadline time.Time
}

// Syncer turns a Snapshot into kernel state through the pure proxier. It is not safe for
// concurrent use; the agent calls it from one goroutine (the runner).
type Syncer struct {
	opts    SyncerOptions
	metrics *Metrics
	clock   clock.PassiveClock

	mu sync.Mutex
	// draining are the drain deadlines handed from one plan to the next. After a restart it is nil
	// and the proxier rebuilds it from the kernel (weight 0 and undesired = draining).
	draining map[proxier.DrainKey]time.Time
	latency  *programmingLatency
	// cache is the kernel table between full resyncs (nil: the next sync reads the kernel).
	cache *kernelCache
}

// NewSyncer checks opts and returns a Syncer. Nothing is written until the first Sync.
func NewSyncer(opts SyncerOptions) (*Syncer, error) {
	if opts.IPVS == nil || opts.Netif == nil {
		return nil, errors.New("agent: SyncerOptions.IPVS and .Netif are required")
	}
	if opts.Scheduler == "" {
		opts.Scheduler = proxier.DefaultScheduler
	}
	if !ipvs.ValidScheduler(opts.Scheduler) {
		return nil, fmt.Errorf("agent: unknown IPVS scheduler %q", opts.Scheduler)
	}
	if opts.DrainTimeout <= 0 {
		opts.DrainTimeout = proxier.DefaultDrainTimeout
	}
	if opts.NodePortRange == (proxier.PortRange{}) {
		opts.NodePortRange = proxier.DefaultNodePortRange
	}
	if opts.Metrics == nil {
		opts.Metrics = NewMetrics(prometheus.NewRegistry())
	}
	if opts.Clock == nil {
		opts.Clock = clock.RealClock{}
	}
	return &Syncer{opts: opts, metrics: opts.Metrics, clock: opts.Clock, latency: newProgrammingLatency()}, nil
}

// Sync programs the kernel for snap; now is the time drain deadlines are measured against.
// A failed write does not abort the sync: it is counted (Result.Errors, netlink_errors_total), the
// rest is applied, and the joined errors are returned so the runner retries with backoff. Only a
// failed kernel read aborts, because nothing can be planned without it.
func (s *Syncer) Sync(ctx context.Context, snap Snapshot, now time.Time) (Result, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	start := s.clock.Now()
	res, err := s.sync(ctx, snap, now)
	elapsed := s.clock.Now().Sub(start)
	s.metrics.SyncDuration.Observe(elapsed.Seconds())
	if err != nil {
		s.metrics.Syncs.WithLabelValues("error").Inc()
		return res, err
	}
	s.metrics.Syncs.WithLabelValues("success").Inc()
	s.metrics.LastSync.Set(float64(now.Add(elapsed).UnixNano()) / 1e9)
	s.latency.observe(snap.Slices, now.Add(elapsed), s.metrics.ProgrammingDuration)
	log.FromContext(ctx).V(1).Info("Synced IPVS", "writes", res.Writes, "virtualServers", res.VirtualServers,
		"realServers", res.RealServers, "draining", res.Draining, "duration", elapsed)
	return res, nil
}

func (s *Syncer) sync(ctx context.Context, snap Snapshot, now time.Time) (Result, error) {
	node := proxier.Node{Name: s.opts.NodeName}
	if snap.Node != nil {
		node = proxier.NodeFromObject(snap.Node)
	}
	desired := proxier.BuildDesired(proxier.Input{
		Services: snap.Services,
		Slices:   snap.Slices,
		Node:     node,
		Options: proxier.Options{
			Scheduler:         s.opts.Scheduler,
			NodePortAddresses: s.opts.NodePortAddresses,
			ProxyName:         s.opts.ServiceProxyName,
			Policies:          snap.Policies,
		},
	})

	w := newWriter(s.metrics, log.FromContext(ctx))
	// The device and sysctls are checked every sync (a read; a write only when missing), so a
	// deleted slicelb0 or a reset sysctl is repaired by the periodic resync.
	w.do("ensure_device", s.opts.Netif.EnsureDevice)
	w.do("sysctl", func() error { return s.opts.Netif.EnsureSysctls(netif.Sysctls{StrictARP: s.opts.StrictARP}) })

	bound, err := s.opts.Netif.Addresses()
	if err != nil {
		return w.result(), fmt.Errorf("listing the VIPs on %s: %w", netif.DefaultDevice, err)
	}
	owned := proxier.NewOwnership(union(bound, desired.BindAddresses), node.Addresses, s.opts.NodePortRange)
	current, cached, err := s.readCurrent(owned, now)
	if err != nil {
		return w.result(), fmt.Errorf("reading IPVS: %w", err)
	}
	in := proxier.SyncInput{
		Desired:        desired,
		Current:        current,
		BoundAddresses: bound,
		NodeAddresses:  node.Addresses,
		NodePortRange:  s.opts.NodePortRange,
		Draining:       s.draining,
		Now:            now,
		DrainTimeout:   s.opts.DrainTimeout,
	}
	plan := proxier.PlanSync(in)
	if keys := tcpRealServerRemovals(plan); cached && len(keys) > 0 {
		// The cache does not know the connection counters of real servers it has not re-read, and
		// a TCP real server with connections must drain instead of being deleted: read those
		// virtual servers' real servers and plan again.
		if err := s.refresh(keys); err != nil {
			s.cache = nil
			return w.result(), fmt.Errorf("reading IPVS: %w", err)
		}
		in.Current = s.cache.table()
		current = in.Current
		plan = proxier.PlanSync(in)
	}

	// Order matters for ownership: a VIP is bound before its virtual server is created and
	// unbound only after its last virtual server is gone, so a crash in between never leaves a
	// virtual server whose VIP is not on slicelb0 (it would no longer be ours to delete).
	// Each VIP sync re-reads every VIP route on slicelb0 (10,000 on a large node) before
	// changing any, so it is skipped when this sync's own read of the device shows nothing to
	// change; whatever changed behind the agent's back since is in the next sync's read.
	onDevice := union(bound, desired.BindAddresses)
	if !netif.DiffAddresses(bound, onDevice).Empty() {
		w.syncAddresses(s.opts.Netif, onDevice)
	}
	remaining, removed := w.applyOps(s.opts.IPVS, plan.Ops, current, owned, s.foldIntoCache)
	w.flushConntrack(s.opts.Conntrack, plan.RemovedUDP, removed)
	if s.opts.NAT != nil {
		w.syncNAT(s.opts.NAT, desired)
	}
	if keep := keepAddresses(desired.BindAddresses, bound, remaining); !netif.DiffAddresses(onDevice, keep).Empty() {
		w.syncAddresses(s.opts.Netif, keep)
	}

	s.draining = plan.Draining
	res := w.result()
	res.VirtualServers = len(remaining)
	res.Draining = len(plan.Draining)
	res.RealServers = res.Draining
	for _, vs := range desired.VirtualServers {
		if remaining[vs.Key()] {
			res.RealServers += len(vs.RealServers)
		}
	}
	res.Conflicts = len(plan.Conflicts)
	res.NextDrainDeadline, _ = plan.NextDeadline()
	s.metrics.VirtualServers.Set(float64(res.VirtualServers))
	s.metrics.RealServers.Set(float64(res.RealServers))
	s.metrics.DrainingServers.Set(float64(res.Draining))
	if len(plan.Conflicts) > 0 {
		log.FromContext(ctx).Info("Left virtual servers it does not own untouched", "conflicts", len(plan.Conflicts), "first", plan.Conflicts[0].String())
	}
	return res, w.err()
}

// keepAddresses is what slicelb0 must hold after the sync: the desired VIPs, plus every bound VIP
// that still has an owned virtual server (a removed Service's virtual server draining its last
// connections keeps its VIP, and with it its ownership mark).
func keepAddresses(desired, bound []netip.Addr, remaining map[ipvs.VirtualServerKey]bool) []netip.Addr {
	keep := append([]netip.Addr(nil), desired...)
	onDevice := map[netip.Addr]bool{}
	for _, a := range bound {
		onDevice[a] = true
	}
	for k := range remaining {
		if onDevice[k.Address] {
			keep = append(keep, k.Address)
		}
	}
	return keep
}

func union(a, b []netip.Addr) []netip.Addr {
	out := make([]netip.Addr, 0, len(a)+len(b))
	return append(append(out, a...), b...)
}

// logger is a small alias so helpers take the sync's logger without importing logr everywhere.
type logger = logr.Logger
