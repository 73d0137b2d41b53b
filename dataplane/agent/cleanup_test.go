package agent

import (
	"context"
	"net/netip"
	"testing"
	"time"

	"github.com/slicelb/slicelb/dataplane/ipvs"
)

// foreignTable holds virtual servers another program created: one on a node address outside the
// NodePort range, one on an address not on slicelb0, one UDP on a node address.
func foreignTable() ipvs.Table {
	return ipvs.Table{
		{VirtualServer: vs(ipvs.TCP, "192.168.1.10", 8080), RealServers: []ipvs.RealServer{rs("10.0.0.5", 80, 3)}},
		{VirtualServer: vs(ipvs.TCP, "172.16.0.1", 443), RealServers: []ipvs.RealServer{rs("10.0.0.6", 443, 1)}},
		{VirtualServer: vs(ipvs.UDP, "192.168.1.10", 53), RealServers: []ipvs.RealServer{rs("10.0.0.7", 53, 1)}},
	}
}

func withForeign(t ipvs.Table) ipvs.Table {
	out := append(ipvs.Table{}, t...)
	out = append(out, foreignTable()...)
	out.Sort()
	return out
}

// TestForeignVirtualServersSurviveSyncRestartAndCleanup: what the agent does not own is never
// read for real servers, modified or deleted — by syncs, by a restart, or by --cleanup — while
// everything it owns is removed by the cleanup.
func TestForeignVirtualServersSurviveSyncRestartAndCleanup(t *testing.T) {
	w := newWorld(t)
	w.ipvs.Load(foreignTable())

	w.sync(baseSnapshot(), t0)
	w.expectKernel(withForeign(baseTable()), baseVIPs...)
	w.sync(removedSnapshot(), t0.Add(time.Minute))
	w.expectKernel(withForeign(drainingAfterRemoval()), "10.96.0.10", "10.96.0.30")

	w.restart()
	if res := w.sync(removedSnapshot(), t0.Add(2*time.Minute)); res.Writes != 0 {
		t.Fatalf("sync after restart wrote %d", res.Writes)
	}
	w.expectKernel(withForeign(drainingAfterRemoval()), "10.96.0.10", "10.96.0.30")

	res, err := w.syncer.Cleanup(context.Background(), []netip.Addr{addr("192.168.1.10")})
	if err != nil {
		t.Fatal(err)
	}
	// 3 virtual servers + the nft table + the device.
	if res.Writes != 5 || res.VirtualServers != 0 {
		t.Fatalf("cleanup %+v", res)
	}
	w.expectKernel(foreignTable())
	if w.netif.DeviceExists() || len(w.nat.Rules()) != 0 {
		t.Fatalf("cleanup left device=%v nft rules=%v", w.netif.DeviceExists(), w.nat.Rules())
	}
}

// drainingAfterRemoval is the owned state after removedSnapshot when the endpoint had no
// connections left: it is deleted at once.
func drainingAfterRemoval() ipvs.Table {
	t := drainingTable(0, 0)
	t[0].RealServers = t[0].RealServers[:1]
	return t
}
