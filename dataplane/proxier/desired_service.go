package proxier

import (
	"net/netip"
	"slices"
	"time"

	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/types"

	"github.com/slicelb/slicelb/dataplane/ipvs"
)

// serviceContext is what every virtual server of one Service shares.
type serviceContext struct {
	name       types.NamespacedName
	scheduler  string
	persistent bool
	timeout    uint32
	drain      time.Duration // Policy.DrainTimeout
	itpLocal   bool          // internalTrafficPolicy: Local
	etpLocal   bool          // externalTrafficPolicy: Local
}

// addService adds the virtual servers of one proxied Service.
func (b *builder) addService(svc *corev1.Service) {
	sc := serviceContext{
		name:      types.NamespacedName{Namespace: svc.Namespace, Name: svc.Name},
		scheduler: b.in.Options.scheduler(),
		itpLocal:  svc.Spec.InternalTrafficPolicy != nil && *svc.Spec.InternalTrafficPolicy == corev1.ServiceInternalTrafficPolicyLocal,
		etpLocal:  svc.Spec.ExternalTrafficPolicy == corev1.ServiceExternalTrafficPolicyLocal,
	}
	// The agent validates its flag; a bad value must still never reach the
	// kernel (which would refuse the service), so fall back to rr.
	if !ipvs.ValidScheduler(sc.scheduler) {
		sc.scheduler = DefaultScheduler
	}
	pol := b.in.Options.Policies[sc.name]
	if ipvs.ValidScheduler(pol.Scheduler) {
		sc.scheduler = pol.Scheduler
	}
	sc.drain = pol.DrainTimeout
	sc.persistent, sc.timeout = persistence(svc, pol)

	// A Service is proxied in the families of its cluster IPs only, like
	// kube-proxy's per-family proxiers: an externalIP, load balancer IP or
	// node address of another family gets no virtual server.
	vips := serviceVIPs(svc)
	fam := familiesOf(vips)
	vips = slices.DeleteFunc(vips, func(v vip) bool { return !fam.has(v.addr) })
	for _, sp := range svc.Spec.Ports {
		sliceProto, proto, ok := protocolOf(sp.Protocol)
		if !ok || sp.Port < 1 || sp.Port > 65535 {
			continue
		}
		eps := servicePortEndpoints(b.slices[sc.name], sp.Name, sliceProto)
		cluster, local := CategorizeEndpoints(eps, b.in.Node.Name)
		for _, v := range vips {
			if b.addVirtualServer(sc, sp.Name, v.kind, ipvs.VirtualServerKey{Address: v.addr, Protocol: proto, Port: uint16(sp.Port)}, cluster, local) &&
				!b.isNode[v.addr] {
				b.bind[v.addr] = true
			}
		}
		if !hasNodePorts(svc) || sp.NodePort < 1 || sp.NodePort > 65535 {
			continue
		}
		for _, a := range b.nodeAddrs {
			if !fam.has(a) {
				continue
			}
			b.addVirtualServer(sc, sp.Name, KindNodePort, ipvs.VirtualServerKey{Address: a, Protocol: proto, Port: uint16(sp.NodePort)}, cluster, local)
		}
	}
}

// persistence returns whether the Service's virtual servers are persistent
// and for how long. sessionAffinity ClientIP maps to IPVS persistence with
// sessionAffinityConfig.clientIP.timeoutSeconds (default 10800, like
// kube-proxy); a Policy's PersistenceTimeout overrides both.
func persistence(svc *corev1.Service, pol Policy) (bool, uint32) {
	if pol.PersistenceTimeout > 0 {
		return true, pol.PersistenceTimeout
	}
	if svc.Spec.SessionAffinity != corev1.ServiceAffinityClientIP {
		return false, 0
	}
	if c := svc.Spec.SessionAffinityConfig; c != nil && c.ClientIP != nil && c.ClientIP.TimeoutSeconds != nil && *c.ClientIP.TimeoutSeconds > 0 {
		return true, uint32(*c.ClientIP.TimeoutSeconds)
	}
	return true, DefaultAffinityTimeoutSeconds
}

// addVirtualServer adds the virtual server key unless another Service already
// claimed it, and reports whether it did. Its real servers are the local
// endpoints when the applicable traffic policy is Local (internal for
// cluster IPs, external otherwise), else the cluster-wide ones, restricted to
// the VIP's address family.
func (b *builder) addVirtualServer(sc serviceContext, portName string, kind VIPKind, key ipvs.VirtualServerKey, cluster, local []Endpoint) bool {
	if _, taken := b.ds.VirtualServers[key]; taken {
		return false
	}
	policyLocal := sc.itpLocal
	if kind.External() {
		policyLocal = sc.etpLocal
	}
	eps := cluster
	if policyLocal {
		eps = local
	}
	dvs := &DesiredVirtualServer{
		VirtualServer: ipvs.VirtualServer{
			Address:    key.Address,
			Protocol:   key.Protocol,
			Port:       key.Port,
			Scheduler:  sc.scheduler,
			Persistent: sc.persistent,
			Timeout:    sc.timeout,
		},
		Service:      sc.name,
		PortName:     portName,
		Kind:         kind,
		Masquerade:   kind.External() && !sc.etpLocal,
		DrainTimeout: sc.drain,
	}
	dvs.RealServers = make([]ipvs.RealServer, 0, len(eps))
	for _, e := range eps {
		if e.Address.Is4() != key.Address.Is4() {
			continue
		}
		dvs.RealServers = append(dvs.RealServers, ipvs.RealServer{Address: e.Address, Port: e.Port, Weight: 1})
		if b.in.Node.Name != "" && e.NodeName == b.in.Node.Name {
			b.hairpin[Hairpin{Protocol: key.Protocol, Endpoint: netip.AddrPortFrom(e.Address, e.Port)}] = true
		}
	}
	ipvs.SortRealServers(dvs.RealServers)
	b.ds.VirtualServers[key] = dvs
	return true
}

// familySet is the set of address families of a Service's cluster IPs.
type familySet struct{ v4, v6 bool }

func familiesOf(vips []vip) familySet {
	var f familySet
	for _, v := range vips {
		if v.kind == KindClusterIP {
			f.v4 = f.v4 || v.addr.Is4()
			f.v6 = f.v6 || v.addr.Is6()
		}
	}
	return f
}

func (f familySet) has(a netip.Addr) bool {
	if a.Is4() {
		return f.v4
	}
	return f.v6
}
