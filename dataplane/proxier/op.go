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

// Apply performs the op through h: exactly one Interface call.
func (o Op) Apply(h ipvs.Interface) error {
	key := o.VirtualServer.Key()
	switch o.Kind {
	case OpAddVirtualServer:
		return h.AddVirtualServer(o.VirtualServer)
	case OpUpdateVirtualServer:
		return h.UpdateVirtualServer(o.VirtualServer)
	case OpDeleteVirtualServer:
		return h.DeleteVirtualServer(key)
	case OpAddRealServer:
		return h.AddRealServer(key, o.RealServer)
	case OpUpdateRealServer:
		return h.UpdateRealServer(key, o.RealServer)
	case OpDeleteRealServer:
		return h.DeleteRealServer(key, o.RealServer.AddrPort())
	default:
		return fmt.Errorf("unknown op kind %d", int(o.Kind))
	}
}
