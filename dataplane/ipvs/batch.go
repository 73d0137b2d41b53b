package ipvs

import "fmt"

// Write is one write of a batch: Method is one of the write methods;
// VirtualServer is the whole virtual server for Add/UpdateVirtualServer and
// names the parent otherwise; RealServer is set for real-server methods.
type Write struct {
	Method        Method
	VirtualServer VirtualServer
	RealServer    RealServer
}

// BatchWriter is implemented by Interfaces that can apply many writes at
// once: Netlink packs them into a few system calls (one message and one
// acknowledgement each, like the single calls, but not one round trip each).
// Writes are applied in order; a failed write does not stop the ones after
// it, exactly like calling the single methods in a loop and carrying on.
type BatchWriter interface {
	// WriteBatch applies ws in order; errs[i] is the result of ws[i].
	WriteBatch(ws []Write) (errs []error)
}

// ApplyWrites applies ws through h, as one batch when h is a BatchWriter and
// one call per write otherwise. errs[i] is the result of ws[i].
func ApplyWrites(h Interface, ws []Write) []error {
	if b, ok := h.(BatchWriter); ok {
		return b.WriteBatch(ws)
	}
	errs := make([]error, len(ws))
	for i, w := range ws {
		errs[i] = w.Apply(h)
	}
	return errs
}

// Apply performs w with one Interface call.
func (w Write) Apply(h Interface) error {
	key := w.VirtualServer.Key()
	switch w.Method {
	case MethodAddVirtualServer:
		return h.AddVirtualServer(w.VirtualServer)
	case MethodUpdateVirtualServer:
		return h.UpdateVirtualServer(w.VirtualServer)
	case MethodDeleteVirtualServer:
		return h.DeleteVirtualServer(key)
	case MethodAddRealServer:
		return h.AddRealServer(key, w.RealServer)
	case MethodUpdateRealServer:
		return h.UpdateRealServer(key, w.RealServer)
	case MethodDeleteRealServer:
		return h.DeleteRealServer(key, w.RealServer.AddrPort())
	default:
		return fmt.Errorf("%q is not a write method", w.Method)
	}
}
