package ipvstest

import (
	"errors"
	"fmt"

	"github.com/slicelb/slicelb/dataplane/ipvs"
)

// batchRealServers is more than one netlink batch (256 messages), so the
// check crosses a chunk boundary.
const batchRealServers = 600

// batch applies writes through ipvs.ApplyWrites (a real batch for Netlink,
// one call each for the Fake) and checks the per-write results and the
// resulting state, including failures in the middle of a batch.
func (c *checker) batch() error {
	vs := ipvs.VirtualServer{Address: c.a.VIP4, Protocol: ipvs.TCP, Port: 8000, Scheduler: "rr"}
	r1 := ipvs.RealServer{Address: c.a.Backend4a, Port: 1, Weight: 1}
	ws := []ipvs.Write{
		{Method: ipvs.MethodAddVirtualServer, VirtualServer: vs},
		{Method: ipvs.MethodAddRealServer, VirtualServer: vs, RealServer: r1},
		{Method: ipvs.MethodAddRealServer, VirtualServer: vs, RealServer: r1},                                                         // 2: ErrExists
		{Method: ipvs.MethodAddRealServer, VirtualServer: vs, RealServer: ipvs.RealServer{Address: c.a.Backend6, Port: 1, Weight: 1}}, // 3: family
		{Method: ipvs.MethodUpdateRealServer, VirtualServer: vs, RealServer: ipvs.RealServer{Address: c.a.Backend4a, Port: 1, Weight: 5}},
		{Method: ipvs.MethodDeleteRealServer, VirtualServer: vs, RealServer: ipvs.RealServer{Address: c.a.Backend4b, Port: 1}}, // 5: ErrNotFound
		{Method: ipvs.MethodAddVirtualServer, VirtualServer: vs},                                                               // 6: ErrExists
	}
	for p := range batchRealServers {
		ws = append(ws, ipvs.Write{Method: ipvs.MethodAddRealServer, VirtualServer: vs,
			RealServer: ipvs.RealServer{Address: c.a.Backend4b, Port: uint16(1000 + p), Weight: 1}})
	}
	c.created = append(c.created, vs.Key())
	errs := ipvs.ApplyWrites(c.h, ws)
	if len(errs) != len(ws) {
		return fmt.Errorf("batch: %d results for %d writes", len(errs), len(ws))
	}
	for i, err := range errs {
		var ok bool
		switch i {
		case 2, 6:
			ok = errors.Is(err, ipvs.ErrExists)
		case 3:
			ok = err != nil
		case 5:
			ok = errors.Is(err, ipvs.ErrNotFound)
		default:
			ok = err == nil
		}
		if !ok {
			return fmt.Errorf("batch write %d (%s %s): unexpected result %v", i, ws[i].Method, ws[i].RealServer.AddrPort(), err)
		}
	}
	rss, err := c.h.ListRealServers(vs.Key())
	if err != nil {
		return err
	}
	if len(rss) != 1+batchRealServers {
		return fmt.Errorf("batch: %d real servers listed, want %d", len(rss), 1+batchRealServers)
	}
	ipvs.SortRealServers(rss)
	if want := (ipvs.RealServer{Address: c.a.Backend4a, Port: 1, Weight: 5}); !rss[0].Equal(want) {
		return fmt.Errorf("batch: first real server %v, want %v", rss[0], want)
	}
	del := ipvs.ApplyWrites(c.h, []ipvs.Write{{Method: ipvs.MethodDeleteVirtualServer, VirtualServer: vs}})
	if del[0] != nil {
		return fmt.Errorf("batch delete: %w", del[0])
	}
	c.created = c.created[:len(c.created)-1]
	return nil
}
