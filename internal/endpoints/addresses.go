package endpoints

import (
	"net/netip"

	corev1 "k8s.io/api/core/v1"
	discoveryv1 "k8s.io/api/discovery/v1"
)

// parseIP parses an IP address and returns its canonical text and its address family. IPv4-mapped
// IPv6 addresses count as IPv4 (as net.IP.To4 does upstream); addresses with a zone are invalid in
// Kubernetes objects.
func parseIP(s string) (string, discoveryv1.AddressType, bool) {
	addr, err := netip.ParseAddr(s)
	if err != nil || addr.Zone() != "" {
		return "", "", false
	}
	addr = addr.Unmap()
	if addr.Is4() {
		return addr.String(), discoveryv1.AddressTypeIPv4, true
	}
	return addr.String(), discoveryv1.AddressTypeIPv6, true
}

// podIPOfFamily returns the pod's first IP of the given family, canonicalised (upstream re-parses
// pod IPs in case they are in an irregular format). status.podIP is used when status.podIPs is
// empty, for pods written by old kubelets.
func podIPOfFamily(pod *corev1.Pod, family discoveryv1.AddressType) (string, bool) {
	ips := pod.Status.PodIPs
	if len(ips) == 0 && pod.Status.PodIP != "" {
		ips = []corev1.PodIP{{IP: pod.Status.PodIP}}
	}
	for _, pip := range ips {
		if ip, f, ok := parseIP(pip.IP); ok && f == family {
			return ip, true
		}
	}
	return "", false
}

// familyOf maps a Service IP family to an EndpointSlice address type.
func familyOf(f corev1.IPFamily) (discoveryv1.AddressType, bool) {
	switch f {
	case corev1.IPv4Protocol:
		return discoveryv1.AddressTypeIPv4, true
	case corev1.IPv6Protocol:
		return discoveryv1.AddressTypeIPv6, true
	}
	return "", false
}

// serviceFamilies returns the address families of the Service's EndpointSlices, primary first
// (upstream getAddressTypesForService): spec.ipFamilies when set; otherwise the family of the
// ClusterIP; otherwise (headless, not yet defaulted) both, so that no traffic is lost before the
// API server fills ipFamilies in.
func serviceFamilies(svc *corev1.Service) []discoveryv1.AddressType {
	var out []discoveryv1.AddressType
	for _, f := range svc.Spec.IPFamilies {
		if at, ok := familyOf(f); ok && !containsType(out, at) {
			out = append(out, at)
		}
	}
	if len(out) > 0 {
		return out
	}
	if !isHeadless(svc) {
		if _, at, ok := parseIP(svc.Spec.ClusterIP); ok {
			return []discoveryv1.AddressType{at}
		}
		return []discoveryv1.AddressType{discoveryv1.AddressTypeIPv4}
	}
	return []discoveryv1.AddressType{discoveryv1.AddressTypeIPv4, discoveryv1.AddressTypeIPv6}
}

// primaryFamily is the Service's primary family: spec.ipFamilies[0], else the ClusterIP's family,
// else IPv4. The Endpoints object carries only this family (upstream podToEndpointAddressForService).
func primaryFamily(svc *corev1.Service) discoveryv1.AddressType {
	return serviceFamilies(svc)[0]
}

func containsType(list []discoveryv1.AddressType, at discoveryv1.AddressType) bool {
	for _, x := range list {
		if x == at {
			return true
		}
	}
	return false
}
