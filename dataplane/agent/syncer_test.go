package agent

import (
	"context"
	"net/netip"
	"reflect"
	"slices"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	corev1 "k8s.io/api/core/v1"
	discoveryv1 "k8s.io/api/discovery/v1"
	clocktesting "k8s.io/utils/clock/testing"

	"github.com/slicelb/slicelb/dataplane/conntrack"
	"github.com/slicelb/slicelb/dataplane/ipvs"
	"github.com/slicelb/slicelb/dataplane/nat"
	"github.com/slicelb/slicelb/dataplane/netif"
	"github.com/slicelb/slicelb/dataplane/proxier"
)

var t0 = time.Date(2026, 11, 21, 12, 0, 0, 0, time.UTC)

// world is one node: the fake kernel ports and a syncer over them.
type world struct {
	t       *testing.T
	ipvs    *ipvs.Fake
	netif   *netif.Fake
	nat     *nat.Fake
	natPort NAT // the port the syncer uses: nat, or a wrapper that injects failures
	ct      *conntrack.Fake
	reg     *prometheus.Registry
	metrics *Metrics
	syncer  *Syncer
	// fullResync is SyncerOptions.FullResyncPeriod for the next restart (0: read every sync).
	fullResync time.Duration
}

func newWorld(t *testing.T) *world {
	w := &world{t: t, ipvs: ipvs.NewFake(), netif: netif.NewFake(), nat: &nat.Fake{}, ct: &conntrack.Fake{}}
	w.natPort = w.nat
	w.restart()
	return w
}

// restart replaces the syncer (and its metrics) over the same kernel, as an agent restart does.
func (w *world) restart() {
	w.reg = prometheus.NewRegistry()
	w.metrics = NewMetrics(w.reg)
	s, err := NewSyncer(SyncerOptions{
		IPVS: w.ipvs, Netif: w.netif, NAT: w.natPort, Conntrack: w.ct,
		NodeName: "node-a", Metrics: w.metrics, Clock: clocktesting.NewFakePassiveClock(t0),
		FullResyncPeriod: w.fullResync,
	})
	if err != nil {
		w.t.Fatal(err)
	}
	w.syncer = s
}

func (w *world) sync(snap Snapshot, now time.Time) Result {
	w.t.Helper()
	res, err := w.syncer.Sync(context.Background(), snap, now)
	if err != nil {
		w.t.Fatalf("Sync: %v", err)
	}
	return res
}

// expectKernel compares the whole fake kernel: IPVS table and the addresses on slicelb0.
func (w *world) expectKernel(table ipvs.Table, vips ...string) {
	w.t.Helper()
	table.Sort()
	if got := w.ipvs.State(); !reflect.DeepEqual(got, table) {
		w.t.Fatalf("IPVS state:\n%s\nwant:\n%s", got, table)
	}
	want := make([]netip.Addr, 0, len(vips))
	for _, v := range vips {
		want = append(want, addr(v))
	}
	slices.SortFunc(want, netip.Addr.Compare)
	got, _ := w.netif.Addresses()
	if !slices.Equal(got, want) {
		w.t.Fatalf("slicelb0 addresses %v, want %v", got, want)
	}
}

// scenario: on node-a (192.168.1.10)
//   - web: ClusterIP 10.96.0.10 TCP 80, ClientIP affinity; endpoints 10.244.1.5 (node-a, ready),
//     10.244.2.7 (node-b, ready), 10.244.3.9 (not ready: no traffic)
//   - dns: ClusterIP 10.96.0.53, UDP 53 + TCP 53 named ports; endpoint 10.244.1.9 (node-a)
//   - np: NodePort 30010 on ClusterIP 10.96.0.30 TCP 80; endpoint 10.244.2.8 (node-b)
func baseSnapshot() Snapshot {
	web := service("web", "10.96.0.10", corev1.ServiceTypeClusterIP, portSpec{name: "http", proto: corev1.ProtocolTCP, port: 80})
	web.Spec.SessionAffinity = corev1.ServiceAffinityClientIP
	dns := service("dns", "10.96.0.53", corev1.ServiceTypeClusterIP,
		portSpec{name: "dns", proto: corev1.ProtocolUDP, port: 53}, portSpec{name: "dns-tcp", proto: corev1.ProtocolTCP, port: 53})
	np := service("np", "10.96.0.30", corev1.ServiceTypeNodePort, portSpec{name: "http", proto: corev1.ProtocolTCP, port: 80, nodePort: 30010})
	return Snapshot{
		Services: []*corev1.Service{web, dns, np},
		Slices: []*discoveryv1.EndpointSlice{
			endpointSlice("web", "web-abc", []slicePort{{"http", corev1.ProtocolTCP, 8080}},
				ep{"10.244.1.5", "node-a", true}, ep{"10.244.2.7", "node-b", true}, ep{"10.244.3.9", "node-b", false}),
			endpointSlice("dns", "dns-1", []slicePort{{"dns", corev1.ProtocolUDP, 53}, {"dns-tcp", corev1.ProtocolTCP, 53}},
				ep{"10.244.1.9", "node-a", true}),
			endpointSlice("np", "np-1", []slicePort{{"http", corev1.ProtocolTCP, 80}}, ep{"10.244.2.8", "node-b", true}),
		},
		Node: node("node-a", "192.168.1.10"),
	}
}

// baseTable is the whole IPVS state baseSnapshot programs.
func baseTable() ipvs.Table {
	web := vs(ipvs.TCP, "10.96.0.10", 80)
	web.Persistent, web.Timeout = true, 10800
	return ipvs.Table{
		{VirtualServer: web, RealServers: []ipvs.RealServer{rs("10.244.1.5", 8080, 1), rs("10.244.2.7", 8080, 1)}},
		{VirtualServer: vs(ipvs.TCP, "10.96.0.30", 80), RealServers: []ipvs.RealServer{rs("10.244.2.8", 80, 1)}},
		{VirtualServer: vs(ipvs.TCP, "10.96.0.53", 53), RealServers: []ipvs.RealServer{rs("10.244.1.9", 53, 1)}},
		{VirtualServer: vs(ipvs.UDP, "10.96.0.53", 53), RealServers: []ipvs.RealServer{rs("10.244.1.9", 53, 1)}},
		{VirtualServer: vs(ipvs.TCP, "192.168.1.10", 30010), RealServers: []ipvs.RealServer{rs("10.244.2.8", 80, 1)}},
	}
}

var baseVIPs = []string{"10.96.0.10", "10.96.0.30", "10.96.0.53"}

func TestSyncProgramsWholeStateThenNoOp(t *testing.T) {
	w := newWorld(t)
	res := w.sync(baseSnapshot(), t0)
	w.expectKernel(baseTable(), baseVIPs...)

	// 5 virtual servers + 6 real servers + 3 VIPs + 1 nft transaction.
	wantRes := Result{Writes: 15, VirtualServers: 5, RealServers: 6}
	if res != wantRes {
		t.Fatalf("first sync result %+v, want %+v", res, wantRes)
	}
	if !w.netif.DeviceExists() || w.netif.Sysctl("net/ipv4/vs/conntrack") != "1" {
		t.Fatal("slicelb0 or the IPVS sysctls were not set up")
	}
	// NodePort with externalTrafficPolicy Cluster is masqueraded; local endpoints may hairpin.
	wantRules := nat.DesiredRules(
		[]ipvs.VirtualServerKey{vsKey(ipvs.TCP, "192.168.1.10", 30010)},
		[]proxier.Hairpin{
			{Protocol: ipvs.TCP, Endpoint: netip.MustParseAddrPort("10.244.1.5:8080")},
			{Protocol: ipvs.TCP, Endpoint: netip.MustParseAddrPort("10.244.1.9:53")},
			{Protocol: ipvs.UDP, Endpoint: netip.MustParseAddrPort("10.244.1.9:53")},
		})
	if got := w.nat.Rules(); !slices.Equal(got, wantRules) {
		t.Fatalf("nft rules %v, want %v", got, wantRules)
	}

	// A resync with nothing changed writes nothing, on any port.
	w.ipvs.ResetCounters()
	netifWrites, natWrites := w.netif.Writes(), w.nat.Writes()
	res = w.sync(baseSnapshot(), t0.Add(30*time.Second))
	if res.Writes != 0 || w.ipvs.Writes() != 0 || w.netif.Writes() != netifWrites || w.nat.Writes() != natWrites {
		t.Fatalf("no-op sync wrote: result %d, ipvs %d, netif %d, nat %d",
			res.Writes, w.ipvs.Writes(), w.netif.Writes()-netifWrites, w.nat.Writes()-natWrites)
	}
	w.expectKernel(baseTable(), baseVIPs...)
	if got := counterSum(t, w.reg, metricNetlinkWrites); got != 15 {
		t.Fatalf("%s = %v, want 15 (all from the first sync)", metricNetlinkWrites, got)
	}
	if got := gaugeValue(t, w.reg, metricVirtualServers); got != 5 {
		t.Fatalf("%s = %v, want 5", metricVirtualServers, got)
	}
}

// TestSyncRepairsDrift: the periodic resync puts back what someone removed behind the agent's back.
func TestSyncRepairsDrift(t *testing.T) {
	w := newWorld(t)
	w.sync(baseSnapshot(), t0)
	if err := w.ipvs.DeleteRealServer(vsKey(ipvs.TCP, "10.96.0.10", 80), netip.MustParseAddrPort("10.244.2.7:8080")); err != nil {
		t.Fatal(err)
	}
	if _, err := w.netif.SyncAddresses([]netip.Addr{addr("10.96.0.10"), addr("10.96.0.53")}); err != nil {
		t.Fatal(err)
	}
	res := w.sync(baseSnapshot(), t0.Add(30*time.Second))
	if res.Writes != 2 { // the real server and the VIP
		t.Fatalf("repair wrote %d, want 2", res.Writes)
	}
	w.expectKernel(baseTable(), baseVIPs...)
}
