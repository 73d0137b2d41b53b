package proxier

import (
	"net/netip"
	"testing"
)

func TestCategorizeEndpoints(t *testing.T) {
	e := func(ip, node string, r, s, term bool) Endpoint {
		return Endpoint{Address: netip.MustParseAddr(ip), Port: 80, NodeName: node, Ready: r, Serving: s, Terminating: term}
	}
	readyLocal := e("10.0.0.1", thisNode, true, true, false)
	readyRemote := e("10.0.0.2", "node-b", true, true, false)
	termLocal := e("10.0.0.3", thisNode, false, true, true)
	termRemote := e("10.0.0.4", "node-b", false, true, true)
	deadLocal := e("10.0.0.5", thisNode, false, false, true)
	notReadyRemote := e("10.0.0.6", "node-b", false, false, false)
	for _, tc := range []struct {
		name           string
		eps            []Endpoint
		cluster, local []Endpoint
	}{
		{name: "none", eps: nil},
		{name: "ready everywhere", eps: []Endpoint{readyLocal, readyRemote, termLocal},
			cluster: []Endpoint{readyLocal, readyRemote}, local: []Endpoint{readyLocal}},
		{name: "no local ready: local falls back to local terminating", eps: []Endpoint{readyRemote, termLocal, deadLocal},
			cluster: []Endpoint{readyRemote}, local: []Endpoint{termLocal}},
		{name: "nothing ready: serving+terminating everywhere", eps: []Endpoint{termRemote, termLocal, deadLocal, notReadyRemote},
			cluster: []Endpoint{termRemote, termLocal}, local: []Endpoint{termLocal}},
		{name: "neither ready nor serving: nothing", eps: []Endpoint{deadLocal, notReadyRemote}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			cluster, local := CategorizeEndpoints(tc.eps, thisNode)
			assertEqual(t, "cluster", cluster, tc.cluster)
			assertEqual(t, "local", local, tc.local)
		})
	}
	// Without a node name nothing is local.
	if _, local := CategorizeEndpoints([]Endpoint{e("10.0.0.9", "", true, true, false)}, ""); local != nil {
		t.Fatalf("local endpoints without a node name: %v", local)
	}
}
