package endpoints

import (
	"fmt"
	"net"
	"strings"
	"testing"

	corev1 "k8s.io/api/core/v1"
	discoveryv1 "k8s.io/api/discovery/v1"
)

// fuzzAddresses are the address shapes a hand-written Endpoints object may hold, including ones
// kube-apiserver would refuse (the planner must not trust validation) and an IPv4-mapped IPv6.
var fuzzAddresses = []string{"10.3.0.%d", "fd00::3:%x", "not-an-ip-%d", "10.3.0.%d ", "::ffff:10.4.0.%d", ""}

// fuzzEndpoints builds a hand-written Endpoints object from fuzz bytes: up to 3 subsets with up to
// 2 ports and up to n addresses each (ready or not, repeated across subsets sometimes).
func fuzzEndpoints(src *byteSource, n int) *corev1.Endpoints {
	ep := handEndpoints(func(e *corev1.Endpoints) { e.Subsets = nil })
	allPorts := []corev1.EndpointPort{
		{Name: "http", Port: 80, Protocol: corev1.ProtocolTCP},
		{Name: "dns", Port: 53, Protocol: corev1.ProtocolUDP},
		{Name: "http", Port: 8080, Protocol: corev1.ProtocolTCP},
	}
	for range src.next(4) {
		var ss corev1.EndpointSubset
		used := map[string]bool{}
		for range src.next(3) {
			p := allPorts[src.next(len(allPorts))]
			if !used[p.Name] {
				used[p.Name] = true
				ss.Ports = append(ss.Ports, p)
			}
		}
		for range src.next(n + 1) {
			shape := fuzzAddresses[src.next(len(fuzzAddresses))]
			ip := shape
			if strings.Contains(shape, "%") {
				ip = fmt.Sprintf(shape, 1+src.next(20))
			}
			a := corev1.EndpointAddress{IP: ip}
			if src.next(3) == 0 {
				ss.NotReadyAddresses = append(ss.NotReadyAddresses, a)
			} else {
				ss.Addresses = append(ss.Addresses, a)
			}
		}
		ep.Subsets = append(ep.Subsets, ss)
	}
	return ep
}

// mirrorKeys are the (family, port, address) pairs one mirrored endpoint serves. Pairs, not port
// lists: canonical repacking (upstream RepackSubsets) regroups ports that share an address set, so
// an address written with ports {a, b} may come out in a slice for a and another for b.
func mirrorKeys(family discoveryv1.AddressType, ports []discoveryv1.EndpointPort, ip string) []string {
	if len(ports) == 0 {
		return []string{string(family) + "||" + ip}
	}
	keys := make([]string, 0, len(ports))
	for _, p := range ports {
		keys = append(keys, fmt.Sprintf("%s|%s/%s/%d|%s", family, *p.Name, *p.Protocol, *p.Port, ip))
	}
	return keys
}

// canonicalAddress is the oracle's view of an address: upstream's family rule (an address whose
// 4-byte form exists is IPv4, so ::ffff:a.b.c.d is IPv4) and its canonical text.
func canonicalAddress(ip string) (string, discoveryv1.AddressType, bool) {
	parsed := net.ParseIP(ip)
	switch {
	case parsed == nil:
		return "", "", false
	case parsed.To4() != nil:
		return parsed.To4().String(), discoveryv1.AddressTypeIPv4, true
	default:
		return parsed.String(), discoveryv1.AddressTypeIPv6, true
	}
}

// FuzzPlanMirror checks the mirroring plan's invariants for arbitrary hand-written Endpoints,
// from scratch and from a previous mirror: no slice exceeds the limit, every address lands in a
// slice of its own family, invalid addresses are skipped and reported, nothing is mirrored twice,
// nothing valid is lost unless the overflow is reported, foreign slices are never touched and
// planning again on the result is a no-op.
func FuzzPlanMirror(f *testing.F) {
	f.Add([]byte{}, []byte{}, uint8(0))
	f.Add([]byte{1, 2, 0, 5, 0, 1, 1, 2, 2, 3, 3, 1}, []byte{2, 1, 1, 3, 4, 0, 0, 2, 1}, uint8(3))
	f.Add([]byte{3, 2, 0, 1, 9, 0, 4, 1, 2, 1, 3, 5, 0, 0}, []byte{0}, uint8(1))
	f.Add([]byte{2, 1, 0, 20, 4, 3, 4, 7, 1, 1, 1, 2}, []byte{1, 1, 2, 6, 5, 4, 3, 2, 1, 0}, uint8(40))
	f.Fuzz(func(t *testing.T, before, after []byte, limit uint8) {
		opts := MirrorOptions{MaxAddressesPerSubset: 1 + int(limit%20)}
		gen := 0
		prev := fuzzEndpoints(&byteSource{b: before}, 30)
		plan, _ := PlanMirror(selectorless(), prev, nil, opts)
		state := applyPlan(t, nil, plan, &gen)
		foreign := existingSlice("web-foreign", v4, httpPorts, readyEP("f000", "10.2.0.1"))
		foreign.Labels[discoveryv1.LabelManagedBy] = "someone-else"
		state = append(state, foreign)

		ep := fuzzEndpoints(&byteSource{b: after}, 30)
		plan, problems := PlanMirror(selectorless(), ep, state, opts)
		for _, s := range append(append([]*discoveryv1.EndpointSlice{}, plan.Update...), plan.Delete...) {
			if s.Labels[discoveryv1.LabelManagedBy] != MirrorManagedByValue {
				t.Fatalf("plan touches slice %q managed by %q", s.Name, s.Labels[discoveryv1.LabelManagedBy])
			}
		}
		next := applyPlan(t, state, plan, &gen)
		reasons := map[string]bool{}
		for _, p := range problems {
			reasons[p.Reason] = true
		}
		got := map[string]int{}
		for _, s := range next {
			if s.Labels[discoveryv1.LabelManagedBy] != MirrorManagedByValue {
				continue
			}
			if len(s.Endpoints) > opts.MaxAddressesPerSubset {
				t.Fatalf("slice %q has %d endpoints, limit %d", s.Name, len(s.Endpoints), opts.MaxAddressesPerSubset)
			}
			for _, e := range s.Endpoints {
				for _, a := range e.Addresses {
					if c, fam, ok := canonicalAddress(a); !ok || fam != s.AddressType || c != a {
						t.Fatalf("address %q (not canonical, or not of the family) in a %s slice", a, s.AddressType)
					}
					for _, k := range mirrorKeys(s.AddressType, s.Ports, a) {
						got[k]++
					}
				}
			}
		}
		for k, n := range got {
			if n > 1 {
				t.Fatalf("%s mirrored %d times", k, n)
			}
		}
		invalid := false
		for _, ss := range ep.Subsets {
			ports := make([]discoveryv1.EndpointPort, 0, len(ss.Ports))
			for _, p := range ss.Ports {
				ports = append(ports, sport(p.Name, p.Port, p.Protocol))
			}
			for _, a := range append(append([]corev1.EndpointAddress{}, ss.Addresses...), ss.NotReadyAddresses...) {
				c, fam, ok := canonicalAddress(a.IP)
				if !ok {
					invalid = true
					continue
				}
				for _, k := range mirrorKeys(fam, ports, c) {
					if got[k] == 0 && !reasons[ReasonTooManyAddresses] {
						t.Fatalf("%s lost without a %s problem", k, ReasonTooManyAddresses)
					}
				}
			}
		}
		// Upstream counts the cut-off first: an invalid address past the limit is only "skipped"
		// (found by this target: testdata/fuzz/FuzzPlanMirror/13241352ff9ab998).
		if invalid && !reasons[ReasonInvalidIPAddress] && !reasons[ReasonTooManyAddresses] {
			t.Fatalf("invalid addresses skipped without a %s problem", ReasonInvalidIPAddress)
		}
		if again, _ := PlanMirror(selectorless(), ep, next, opts); !again.Empty() {
			t.Fatalf("planning again is not a no-op: create %d, update %d, delete %d", len(again.Create), len(again.Update), len(again.Delete))
		}
	})
}
