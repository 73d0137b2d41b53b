package endpoints

import (
	"cmp"
	"slices"
)

// Problem reasons, meant to be used as event reasons by the reconcilers.
const (
	// ReasonPortNotFound: a pod has no container port matching a named targetPort (by name and
	// protocol); the pod is left out for that Service port.
	ReasonPortNotFound = "FailedToResolveTargetPort"
	// ReasonInvalidIPAddress: an address of a hand-written Endpoints is not an IP and is not
	// mirrored (upstream mirroring event reason).
	ReasonInvalidIPAddress = "InvalidIPAddress"
	// ReasonTooManyAddresses: a subset of a hand-written Endpoints has more addresses than can be
	// mirrored; the rest are dropped (upstream mirroring event reason).
	ReasonTooManyAddresses = "TooManyAddressesToMirror"
)

// Problem is a condition the reconciler should surface as a Warning event. It never stops
// planning: the plan always reflects what can be published.
type Problem struct {
	// Pod is the name of the pod concerned (in the Service's namespace), "" when the problem is
	// about the Endpoints object being mirrored.
	Pod string
	// Port is the Service port name concerned, "" when not about a port.
	Port string
	// Reason is one of the Reason* constants.
	Reason string
	// Message is a human-readable explanation ready for an event.
	Message string
}

// sortProblems orders problems deterministically and removes exact duplicates (a pod appears once
// per address family while planning slices, but its port problem is reported once).
func sortProblems(problems []Problem) []Problem {
	slices.SortFunc(problems, func(a, b Problem) int {
		return cmp.Or(cmp.Compare(a.Pod, b.Pod), cmp.Compare(a.Port, b.Port),
			cmp.Compare(a.Reason, b.Reason), cmp.Compare(a.Message, b.Message))
	})
	return slices.Compact(problems)
}
