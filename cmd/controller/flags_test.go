package main

import (
	"flag"
	"io"
	"strings"
	"testing"
	"time"

	"github.com/slicelb/slicelb/controllers"
)

func parse(args ...string) (options, error) {
	fs := flag.NewFlagSet("test", flag.ContinueOnError)
	fs.SetOutput(io.Discard)
	return parseFlags(fs, args)
}

func TestDefaults(t *testing.T) {
	o, err := parse()
	if err != nil {
		t.Fatal(err)
	}
	got := []any{o.leaderElect, o.probeAddr, o.metricsAddr, o.metricsSecure, o.qps, o.burst,
		o.reconcilers.Workers, o.reconcilers.MaxEndpointsPerSlice, o.reconcilers.BatchPeriod,
		o.reconcilers.ServiceSelector == nil, strings.Join(o.controllers, ","),
		o.leaseDuration, o.renewDeadline, o.retryPeriod}
	want := []any{false, ":8081", ":8443", true, float32(200), 500, 5, 100, time.Duration(0), true,
		"endpoints,endpointslice,endpointslice-mirroring", 15 * time.Second, 10 * time.Second, 2 * time.Second}
	for i := range want {
		if got[i] != want[i] {
			t.Errorf("default %d: got %v, want %v", i, got[i], want[i])
		}
	}
}

func TestFlags(t *testing.T) {
	o, err := parse("--leader-elect", "--workers=2", "--max-endpoints-per-slice=1000",
		"--endpoint-updates-batch-period=1s", "--service-selector=team=a,!legacy",
		"--controllers=endpointslice, endpointslice-mirroring", "--kube-api-qps=10", "--kube-api-burst=20",
		"--leader-elect-lease-duration=6s", "--leader-elect-renew-deadline=4s", "--leader-elect-retry-period=1s")
	if err != nil {
		t.Fatal(err)
	}
	if !o.leaderElect || o.reconcilers.Workers != 2 || o.reconcilers.MaxEndpointsPerSlice != 1000 ||
		o.reconcilers.BatchPeriod != time.Second || o.qps != 10 || o.burst != 20 ||
		o.leaseDuration != 6*time.Second || o.renewDeadline != 4*time.Second || o.retryPeriod != time.Second ||
		strings.Join(o.controllers, ",") != controllers.EndpointSliceControllerName+","+controllers.EndpointSliceMirroringControllerName {
		t.Errorf("unexpected options %+v", o)
	}
	if got := o.reconcilers.ServiceSelector.String(); got != "!legacy,team=a" {
		t.Errorf("selector %q", got)
	}
}

func TestInvalidFlags(t *testing.T) {
	for _, args := range [][]string{
		{"--max-endpoints-per-slice=0"},
		{"--max-endpoints-per-slice=1001"},
		{"--workers=0"},
		{"--endpoint-updates-batch-period=-1s"},
		{"--service-selector=a b"},
		{"--controllers=endpoints,kube-proxy"},
		{"--controllers=,"},
		{"--kube-api-qps=0"},
		{"--leader-elect-lease-duration=10s"},
		{"--leader-elect-renew-deadline=1s", "--leader-elect-retry-period=1s"},
		{"--leader-elect-retry-period=0"},
	} {
		if _, err := parse(args...); err == nil {
			t.Errorf("%v: accepted", args)
		}
	}
}
