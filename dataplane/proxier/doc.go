// Package proxier decides what slicelb-node programs into IPVS. It is pure:
// no I/O, no clock (the time is an input), no globals.
//
// It has two halves, both plain functions from values to values:
//
//   - BuildDesired turns Services, EndpointSlices, this node and the agent's
//     options into the desired virtual servers with their real servers, the
//     VIPs to hold on slicelb0 (a local route each), and the masquerade data
//     the NAT layer needs. It follows kube-proxy's IPVS mode (which Services
//     and ports are proxied, which endpoints serve, traffic policies).
//   - PlanSync diffs that desired state against what the kernel holds and
//     returns the ordered IPVS operations that close the gap, touching only
//     virtual servers slicelb owns, with graceful termination of TCP real
//     servers whose drain state survives a restart because it is read back
//     from the kernel (weight 0 and not desired = draining). PlanCleanup
//     removes everything slicelb owns and nothing else.
//
// The agent (dataplane/agent) reads the inputs, calls these functions, and
// applies the plan through an ipvs.Interface.
package proxier
