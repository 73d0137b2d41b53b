// Package policy is slicelb's pure LoadBalancingPolicy resolver.
//
// Given LoadBalancingPolicies and which Services exist, Resolve computes:
//
//   - the Accepted condition of every policy (reasons Accepted, TargetNotFound, Conflicted), which
//     the controller writes to the policy's status;
//   - the effective override of every targeted Service (scheduler, persistence timeout, drain
//     timeout), which the node agent programs into IPVS.
//
// Both programs call the same function, so what a policy's status says is what the data path does.
//
// Precedence follows Gateway API policy attachment (GEP-713): when two policies target one Service,
// the older one (metadata.creationTimestamp) wins and ties are broken by name; the loser reports
// Conflicted. A Service's winner depends only on the policies that target that Service: a policy
// whose other target is missing still governs the Services it does win, so creating or deleting one
// Service never changes the data path of another.
//
// It is pure on purpose: no API client, no clock (LastTransitionTime is left to the caller), no
// globals and no mutation of its inputs.
package policy
