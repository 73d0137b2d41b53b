package nodebench

import (
	"net/netip"
	"testing"
)

const promText = `# HELP kubeproxy_sync_proxy_rules_duration_seconds x
# TYPE kubeproxy_sync_proxy_rules_duration_seconds histogram
kubeproxy_sync_proxy_rules_duration_seconds_bucket{le="0.001"} 0
kubeproxy_sync_proxy_rules_duration_seconds_sum 12.5
kubeproxy_sync_proxy_rules_duration_seconds_count 3
kubeproxy_sync_proxy_rules_duration_seconds_count_other 99
kubeproxy_sync_proxy_rules_last_timestamp_seconds{ip_family="IPv4"} 5
kubeproxy_sync_proxy_rules_last_timestamp_seconds{ip_family="IPv6"} 7
slicelb_node_netlink_writes_total{op="add-real-server"} 100
slicelb_node_netlink_writes_total{op="add-virtual-server"} 10
slicelb_node_netlink_writes_total{op="a}b"} 1e3
`

func TestMetricSum(t *testing.T) {
	for _, tc := range []struct {
		name   string
		labels []string
		want   float64
		found  bool
	}{
		{"kubeproxy_sync_proxy_rules_duration_seconds_sum", nil, 12.5, true},
		{"kubeproxy_sync_proxy_rules_duration_seconds_count", nil, 3, true},
		{"slicelb_node_netlink_writes_total", nil, 1110, true},
		{"slicelb_node_syncs_total", nil, 0, false},
		{"kubeproxy_sync_proxy_rules_duration_seconds", nil, 0, false},
		{"kubeproxy_sync_proxy_rules_last_timestamp_seconds", nil, 12, true},
		{"kubeproxy_sync_proxy_rules_last_timestamp_seconds", []string{`ip_family="IPv4"`}, 5, true},
		{"kubeproxy_sync_proxy_rules_last_timestamp_seconds", []string{`ip_family="IPv5"`}, 0, false},
		{"slicelb_node_netlink_writes_total", []string{`op="add-real-server"`}, 100, true},
		{"kubeproxy_sync_proxy_rules_duration_seconds_sum", []string{`ip_family="IPv4"`}, 0, false},
	} {
		got, found := MetricSum(promText, tc.name, tc.labels...)
		if got != tc.want || found != tc.found {
			t.Errorf("MetricSum(%s) = %v, %v; want %v, %v", tc.name, got, found, tc.want, tc.found)
		}
	}
}

func TestObjects(t *testing.T) {
	s := NewSlice(3, 10)
	if len(s.Endpoints) != 10 || s.Endpoints[0].Addresses[0] != EndpointIP(30).String() {
		t.Fatalf("slice endpoints: %+v", s.Endpoints)
	}
	if s.Labels["kubernetes.io/service-name"] != "svc-00003" || s.Labels["endpointslice.kubernetes.io/managed-by"] == "" {
		t.Fatalf("labels: %v", s.Labels)
	}
	r := ReplaceFirst(s, netip.MustParseAddr("10.200.0.1"))
	if r.Endpoints[0].Addresses[0] != "10.200.0.1" || s.Endpoints[0].Addresses[0] == "10.200.0.1" {
		t.Fatal("ReplaceFirst must copy")
	}
	for _, tc := range []struct {
		k    int
		want string
	}{{0, "10.128.0.0"}, {257, "10.128.1.1"}, {100000, "10.129.134.160"}} {
		if got := EndpointIP(tc.k).String(); got != tc.want {
			t.Errorf("EndpointIP(%d) = %s, want %s", tc.k, got, tc.want)
		}
	}
}
