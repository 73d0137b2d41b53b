package proxier

import (
	"fmt"

	"github.com/slicelb/slicelb/dataplane/ipvs"
)

// OpKind is the kind of one IPVS write.
type OpKind int

// The IPVS writes a plan is made of.
const (
	OpAddVirtualServer OpKind = iota + 1
	OpUpdateVirtualServer
	OpDeleteVirtualServer
	OpAddRealServer
	OpUpdateRealServer
	OpDeleteRealServer
)

// String names the kind.
func (k OpKind) String() string {
	switch k {
	case OpAddVirtualServer:
		return "AddVirtualServer"
	case OpUpdateVirtualServer:
		return "UpdateVirtualServer"
	case OpDeleteVirtualServer:
		return "DeleteVirtualServer"
	case OpAddRealServer:
		return "AddRealServer"
	case OpUpdateRealServer:
		return "UpdateRealServer"
	case OpDeleteRealServer:
		return "DeleteRealServer"
	default:
		return fmt.Sprintf("OpKind(%d)", int(k))
	}
}

// Op is one IPVS write. VirtualServer is the full virtual server for
// virtual-server ops and names the parent for real-server ops; RealServer is
// set for real-server ops only.
type Op struct {
	Kind          OpKind
	VirtualServer ipvs.VirtualServer
	RealServer    ipvs.RealServer
}

// String describes the op, e.g. "UpdateRealServer TCP 10.96.0.1:80 -> 10.1.0.5:8080 weight 0".
func (o Op) String() string {
	switch o.Kind {
	case OpAddVirtualServer, OpUpdateVirtualServer:
		return o.Kind.String() + " " + o.VirtualServer.String()
	case OpDeleteVirtualServer:
		return o.Kind.String() + " " + o.VirtualServer.Key().String()
	case OpDeleteRealServer:
		return fmt.Sprintf("%s %s -> %s", o.Kind, o.VirtualServer.Key(), o.RealServer.AddrPort())
	default:
		return fmt.Sprintf("%s %s -> %s weight %d", o.Kind, o.VirtualServer.Key(), o.RealServer.AddrPort(), o.RealServer.Weight)
	}
}

// Write converts the op to the ipvs package's batch form.
func (o Op) Write() ipvs.Write {
	return ipvs.Write{Method: methods[o.Kind], VirtualServer: o.VirtualServer, RealServer: o.RealServer}
}

var methods = map[OpKind]ipvs.Method{
	OpAddVirtualServer:    ipvs.MethodAddVirtualServer,
	OpUpdateVirtualServer: ipvs.MethodUpdateVirtualServer,
	OpDeleteVirtualServer: ipvs.MethodDeleteVirtualServer,
	OpAddRealServer:       ipvs.MethodAddRealServer,
	OpUpdateRealServer:    ipvs.MethodUpdateRealServer,
	OpDeleteRealServer:    ipvs.MethodDeleteRealServer,
}

// Apply performs the op through h: exactly one Interface call.
func (o Op) Apply(h ipvs.Interface) error {
	if _, ok := methods[o.Kind]; !ok {
		return fmt.Errorf("unknown op kind %d", int(o.Kind))
	}
	return o.Write().Apply(h)
}

// ApplyOps applies ops in order through h, in batches when h supports them
// (ipvs.BatchWriter: the netlink implementation sends hundreds of writes
// per system call), one call each otherwise. A failed op does not stop the
// others; errs[i] is the result of ops[i].
func ApplyOps(h ipvs.Interface, ops []Op) (errs []error) {
	ws := make([]ipvs.Write, len(ops))
	for i, o := range ops {
		ws[i] = o.Write()
	}
	return ipvs.ApplyWrites(h, ws)
}
