package ctrlbench

import (
	"reflect"
	"testing"
	"time"
)

func TestResourceOfPath(t *testing.T) {
	for path, want := range map[string]string{
		"/api/v1/namespaces/bench/pods":            "pods",
		"/api/v1/namespaces/bench/pods/p-1/status": "pods/status",
		"/api/v1/nodes":                            "nodes",
		"/api/v1/nodes/node-01":                    "nodes",
		"/api/v1/namespaces":                       "namespaces",
		"/api/v1/namespaces/bench":                 "namespaces",
		"/apis/discovery.k8s.io/v1/namespaces/bench/endpointslices/s-abc":      "endpointslices",
		"/apis/apiextensions.k8s.io/v1/customresourcedefinitions/x.slicelb.io": "customresourcedefinitions",
	} {
		if got := ResourceOfPath(path); got != want {
			t.Errorf("ResourceOfPath(%q) = %q, want %q", path, got, want)
		}
	}
}

const exposition = `# TYPE apiserver_request_total counter
apiserver_request_total{code="201",component="apiserver",dry_run="",group="",resource="pods",scope="resource",subresource="",verb="POST",version="v1"} 7
apiserver_request_total{code="200",component="apiserver",dry_run="",group="",resource="pods",scope="resource",subresource="status",verb="PUT",version="v1"} 7
apiserver_request_total{code="201",component="apiserver",dry_run="",group="discovery.k8s.io",resource="endpointslices",scope="resource",subresource="",verb="POST",version="v1"} 3
apiserver_request_total{code="409",component="apiserver",dry_run="",group="discovery.k8s.io",resource="endpointslices",scope="resource",subresource="",verb="PUT",version="v1"} 2
apiserver_request_total{code="200",component="apiserver",dry_run="",group="coordination.k8s.io",resource="leases",scope="resource",subresource="",verb="PUT",version="v1"} 9
apiserver_request_total{code="200",component="apiserver",dry_run="",group="",resource="pods",scope="namespace",subresource="",verb="LIST",version="v1"} 40
apiserver_request_total_other{verb="POST"} 5
`

func TestParseAndAttributeWrites(t *testing.T) {
	before := RequestCounts{Writes: map[string]int{"POST pods": 2, "PUT pods/status": 2, "PUT leases": 4}}
	after := ParseRequests(exposition)
	wantAfter := RequestCounts{Writes: map[string]int{"POST pods": 7, "PUT pods/status": 7, "POST endpointslices": 3,
		"PUT endpointslices": 2, "PUT leases": 9}, Conflicts: 2}
	if !reflect.DeepEqual(after, wantAfter) {
		t.Fatalf("ParseRequests = %+v, want %+v", after, wantAfter)
	}
	// The harness wrote the pods; the contender wrote the slices; the API server its lease.
	got, total := ContenderWrites(before, after, map[string]int{"POST pods": 2, "PUT pods/status": 2},
		map[string]int{"POST pods": 7, "PUT pods/status": 7})
	if want := map[string]int{"POST endpointslices": 3, "PUT endpointslices": 2}; !reflect.DeepEqual(got, want) || total != 5 {
		t.Fatalf("ContenderWrites = %v (total %d), want %v (total 5)", got, total, want)
	}
}

func TestParseCPU(t *testing.T) {
	// Field 2 with spaces and parentheses; utime 250, stime 50 ticks.
	stat := "1234 (kube (ctl) x) S 1 1234 1234 0 -1 4194560 100 0 0 0 250 50 0 0 20 0 12 0 100 0 0"
	got, err := ParseCPU(stat)
	if err != nil || got != 3.0 {
		t.Fatalf("ParseCPU = %v, %v; want 3, nil", got, err)
	}
	if _, err := ParseCPU("1234 (x) S 1"); err == nil {
		t.Fatal("ParseCPU of a short stat: no error")
	}
}

func TestPercentile(t *testing.T) {
	var ds []time.Duration
	for i := 100; i >= 1; i-- {
		ds = append(ds, time.Duration(i)*time.Millisecond)
	}
	for p, want := range map[float64]time.Duration{50: 50 * time.Millisecond, 99: 99 * time.Millisecond, 100: 100 * time.Millisecond, 1: time.Millisecond} {
		if got := Percentile(ds, p); got != want {
			t.Errorf("Percentile(p%v) = %v, want %v", p, got, want)
		}
	}
	if Percentile(nil, 50) != 0 {
		t.Error("Percentile of nothing is not 0")
	}
}
