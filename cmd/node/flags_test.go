package main

import (
	"flag"
	"io"
	"net/netip"
	"reflect"
	"strings"
	"testing"
	"time"
)

func parse(args []string, env map[string]string) (options, error) {
	fs := flag.NewFlagSet("test", flag.ContinueOnError)
	fs.SetOutput(io.Discard)
	return parseFlags(fs, args, func(k string) string { return env[k] })
}

func TestParseFlagsDefaults(t *testing.T) {
	o, err := parse(nil, map[string]string{"NODE_NAME": "node-a"})
	if err != nil {
		t.Fatal(err)
	}
	o.zap = options{}.zap // zap's own defaults are not ours to assert
	want := options{
		nodeName: "node-a", scheduler: "rr", minSyncPeriod: time.Second, syncPeriod: 30 * time.Second,
		drainTimeout: 15 * time.Minute, metricsAddr: ":10259", metricsSecure: true, probeAddr: ":10266",
		procSys: "/proc/sys", policies: true,
	}
	if !reflect.DeepEqual(o, want) {
		t.Fatalf("defaults:\n got %+v\nwant %+v", o, want)
	}
}

func TestParseFlags(t *testing.T) {
	o, err := parse([]string{
		"--node-name=n1", "--ipvs-scheduler=sh", "--nodeport-addresses=192.168.1.0/24, fd00::5/64",
		"--strict-arp", "--min-sync-period=2s", "--sync-period=1m", "--drain-timeout=5m",
		"--service-proxy-name=slicelb", "--cleanup", "--kubeconfig=/k",
	}, map[string]string{"NODE_NAME": "ignored"})
	if err != nil {
		t.Fatal(err)
	}
	if o.nodeName != "n1" || o.scheduler != "sh" || !o.strictARP || o.minSyncPeriod != 2*time.Second ||
		o.syncPeriod != time.Minute || o.drainTimeout != 5*time.Minute || o.serviceProxyName != "slicelb" ||
		!o.cleanup || o.kubeconfig != "/k" {
		t.Fatalf("parsed %+v", o)
	}
	want := []netip.Prefix{netip.MustParsePrefix("192.168.1.0/24"), netip.MustParsePrefix("fd00::/64")}
	if !reflect.DeepEqual(o.nodePortAddresses, want) {
		t.Fatalf("nodeport addresses %v, want %v", o.nodePortAddresses, want)
	}
}

func TestParseFlagsRejects(t *testing.T) {
	tests := []struct {
		args []string
		env  map[string]string
		want string
	}{
		{nil, nil, "--node-name"},
		{[]string{"--node-name=n", "--ipvs-scheduler=fastest"}, nil, "unknown scheduler"},
		{[]string{"--node-name=n", "--nodeport-addresses=10.0.0.1"}, nil, "--nodeport-addresses"},
		{[]string{"--node-name=n", "--min-sync-period=1m", "--sync-period=30s"}, nil, "--min-sync-period"},
		{[]string{"--node-name=n", "--drain-timeout=0s"}, nil, "--drain-timeout"},
	}
	for _, tc := range tests {
		_, err := parse(tc.args, tc.env)
		if err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%v: error %v, want one mentioning %q", tc.args, err, tc.want)
		}
	}
	if _, err := parse([]string{"--cleanup"}, nil); err != nil {
		t.Errorf("--cleanup without a node name: %v (it may run without the API)", err)
	}
}

func TestFilterPrefixes(t *testing.T) {
	addrs := []netip.Addr{netip.MustParseAddr("192.168.1.10"), netip.MustParseAddr("10.0.0.1"), netip.MustParseAddr("fd00::1")}
	got := filterPrefixes(addrs, []netip.Prefix{netip.MustParsePrefix("192.168.0.0/16"), netip.MustParsePrefix("fd00::/8")})
	want := []netip.Addr{netip.MustParseAddr("192.168.1.10"), netip.MustParseAddr("fd00::1")}
	if !reflect.DeepEqual(got, want) {
		t.Fatalf("filtered %v, want %v", got, want)
	}
	if got := filterPrefixes(addrs, nil); !reflect.DeepEqual(got, addrs) {
		t.Fatalf("no prefixes must keep all, got %v", got)
	}
}
