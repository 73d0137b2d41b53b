package endpoints

import (
	"cmp"
	"slices"
	"strconv"
	"strings"

	corev1 "k8s.io/api/core/v1"
)

// addrID identifies an Endpoints address for de-duplication: IP plus target UID, as upstream's
// RepackSubsets does (two pods may share an IP, e.g. hostNetwork pods on one node).
type addrID struct {
	ip  string
	uid string
}

func idOf(a *corev1.EndpointAddress) addrID {
	id := addrID{ip: a.IP}
	if a.TargetRef != nil {
		id.uid = string(a.TargetRef.UID)
	}
	return id
}

func compareAddrID(a, b addrID) int {
	return cmp.Or(strings.Compare(a.ip, b.ip), strings.Compare(a.uid, b.uid))
}

// noPort is the sentinel under which port-less addresses (headless Services without ports) are
// grouped; it is never emitted.
var noPort = corev1.EndpointPort{Port: -1}

// repackSubsets returns the canonical form of subsets (upstream RepackSubsets): every address once
// per port (not-ready wins over ready), ports grouped by identical address sets, addresses sorted
// by IP then UID, ports sorted by name, number and protocol, subsets sorted by their first
// address. Subsets without addresses vanish. The input is not modified; the result shares nothing
// with it.
func repackSubsets(subsets []corev1.EndpointSubset) []corev1.EndpointSubset {
	addrs := map[addrID]corev1.EndpointAddress{}
	byPort := map[string]map[addrID]bool{} // port key → address → ready
	portOf := map[string]corev1.EndpointPort{}
	note := func(port corev1.EndpointPort, list []corev1.EndpointAddress, ready bool) {
		k := endpointsPortKey(port)
		portOf[k] = port
		if byPort[k] == nil {
			byPort[k] = map[addrID]bool{}
		}
		for i := range list {
			id := idOf(&list[i])
			if _, ok := addrs[id]; !ok {
				addrs[id] = *list[i].DeepCopy()
			}
			if was, ok := byPort[k][id]; !ok || was {
				byPort[k][id] = ready
			}
		}
	}
	for _, s := range subsets {
		ports := s.Ports
		if len(ports) == 0 {
			ports = []corev1.EndpointPort{noPort}
		}
		for _, p := range ports {
			note(p, s.Addresses, true)
			note(p, s.NotReadyAddresses, false)
		}
	}

	// Group ports by the signature of their address set.
	type group struct {
		ids   []addrID
		ready map[addrID]bool
		ports []corev1.EndpointPort
	}
	groups := map[string]*group{}
	for pk, set := range byPort {
		if len(set) == 0 {
			continue
		}
		ids := make([]addrID, 0, len(set))
		for id := range set {
			ids = append(ids, id)
		}
		slices.SortFunc(ids, compareAddrID)
		var sig strings.Builder
		for _, id := range ids {
			sig.WriteString(strconv.Quote(id.ip) + strconv.Quote(id.uid) + strconv.FormatBool(set[id]) + ";")
		}
		g := groups[sig.String()]
		if g == nil {
			g = &group{ids: ids, ready: set}
			groups[sig.String()] = g
		}
		if p := portOf[pk]; p != noPort {
			g.ports = append(g.ports, p)
		}
	}

	out := make([]corev1.EndpointSubset, 0, len(groups))
	for _, g := range groups {
		var s corev1.EndpointSubset
		for _, id := range g.ids {
			if g.ready[id] {
				s.Addresses = append(s.Addresses, addrs[id])
			} else {
				s.NotReadyAddresses = append(s.NotReadyAddresses, addrs[id])
			}
		}
		slices.SortFunc(g.ports, compareEndpointsPorts)
		s.Ports = g.ports
		out = append(out, s)
	}
	slices.SortFunc(out, compareSubsets)
	return out
}

func endpointsPortKey(p corev1.EndpointPort) string {
	app := "-"
	if p.AppProtocol != nil {
		app = "=" + *p.AppProtocol
	}
	return strconv.Quote(p.Name) + "/" + strconv.Itoa(int(p.Port)) + "/" + string(p.Protocol) + "/" + strconv.Quote(app)
}

func compareEndpointsPorts(a, b corev1.EndpointPort) int {
	return cmp.Or(cmp.Compare(a.Name, b.Name), cmp.Compare(a.Port, b.Port),
		cmp.Compare(a.Protocol, b.Protocol), strings.Compare(endpointsPortKey(a), endpointsPortKey(b)))
}

// compareSubsets orders canonical subsets by their first address (ready ones first), then by
// their first port; two canonical subsets never have the same address set.
func compareSubsets(a, b corev1.EndpointSubset) int {
	first := func(s corev1.EndpointSubset) addrID {
		ids := make([]addrID, 0, 2)
		if len(s.Addresses) > 0 {
			ids = append(ids, idOf(&s.Addresses[0]))
		}
		if len(s.NotReadyAddresses) > 0 {
			ids = append(ids, idOf(&s.NotReadyAddresses[0]))
		}
		return slices.MinFunc(ids, compareAddrID)
	}
	if c := compareAddrID(first(a), first(b)); c != 0 {
		return c
	}
	if c := cmp.Compare(len(a.Ports), len(b.Ports)); c != 0 || len(a.Ports) == 0 {
		return c
	}
	return compareEndpointsPorts(a.Ports[0], b.Ports[0])
}
