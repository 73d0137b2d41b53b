/*
Copyright 2026 The slicelb Authors.

Licensed under the Apache License, Version 2.0 (the "License");
you may not use this file except in compliance with the License.
You may obtain a copy of the License at

    http://www.apache.org/licenses/LICENSE-2.0

Unless required by applicable law or agreed to in writing, software
distributed under the License is distributed on an "AS IS" BASIS,
WITHOUT WARRANTIES OR CONDITIONS OF ANY KIND, either express or implied.
See the License for the specific language governing permissions and
limitations under the License.
*/

package v1alpha1

import (
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
)

// Scheduler is an IPVS scheduling algorithm.
// +kubebuilder:validation:Enum=rr;wrr;lc;wlc;lblc;lblcr;dh;sh;mh;sed;nq
type Scheduler string

// The IPVS schedulers a policy may select (ipvsadm(8) names).
const (
	// SchedulerRoundRobin distributes connections equally.
	SchedulerRoundRobin Scheduler = "rr"
	// SchedulerWeightedRoundRobin distributes connections by weight.
	SchedulerWeightedRoundRobin Scheduler = "wrr"
	// SchedulerLeastConnection picks the real server with the fewest active connections.
	SchedulerLeastConnection Scheduler = "lc"
	// SchedulerWeightedLeastConnection is least-connection relative to weight.
	SchedulerWeightedLeastConnection Scheduler = "wlc"
	// SchedulerLocalityBasedLeastConnection keeps a destination IP on one real server unless overloaded.
	SchedulerLocalityBasedLeastConnection Scheduler = "lblc"
	// SchedulerLocalityBasedLeastConnectionReplication is lblc with a set of servers per destination.
	SchedulerLocalityBasedLeastConnectionReplication Scheduler = "lblcr"
	// SchedulerDestinationHashing picks the real server by hashing the destination address.
	SchedulerDestinationHashing Scheduler = "dh"
	// SchedulerSourceHashing picks the real server by hashing the source address: a client sticks to one.
	SchedulerSourceHashing Scheduler = "sh"
	// SchedulerMaglevHashing is consistent hashing (Maglev) on the source address.
	SchedulerMaglevHashing Scheduler = "mh"
	// SchedulerShortestExpectedDelay picks the server with the shortest expected delay.
	SchedulerShortestExpectedDelay Scheduler = "sed"
	// SchedulerNeverQueue picks an idle server if any, else the shortest expected delay.
	SchedulerNeverQueue Scheduler = "nq"
)

// LocalServiceReference names a Service in the policy's own namespace.
type LocalServiceReference struct {
	// group of the target. Only the core group ("") is supported.
	// +kubebuilder:default=""
	// +kubebuilder:validation:Enum=""
	// +optional
	Group string `json:"group,omitempty"` // omitempty: see Kind

	// kind of the target. Only Service is supported; omitted, it defaults to Service.
	// +kubebuilder:default=Service
	// +kubebuilder:validation:Enum=Service
	// +optional
	Kind string `json:"kind,omitempty"` // omitempty: a Go client leaving it empty gets the default instead of sending "" into the enum

	// name of the target Service, in the policy's namespace.
	// +kubebuilder:validation:MinLength=1
	// +kubebuilder:validation:MaxLength=63
	// +kubebuilder:validation:Pattern=`^[a-z]([-a-z0-9]*[a-z0-9])?$`
	// +required
	Name string `json:"name"`
}

// SessionPersistence pins a client to one endpoint (IPVS persistence) for a while.
type SessionPersistence struct {
	// timeoutSeconds is how long a client stays on its endpoint after its last connection.
	// It overrides the Service's sessionAffinityConfig.clientIP.timeoutSeconds, and turns persistence
	// on for a Service without sessionAffinity: ClientIP.
	// +kubebuilder:validation:Minimum=1
	// +kubebuilder:validation:Maximum=86400
	// +required
	TimeoutSeconds int32 `json:"timeoutSeconds"`
}

// LoadBalancingPolicySpec is the desired load-balancing behaviour of the target Services.
type LoadBalancingPolicySpec struct {
	// targetRefs are the Services this policy applies to, in the policy's namespace.
	// A Service targeted by two policies takes the oldest one (ties broken by name); the other is
	// reported as Conflicted for that Service. A policy still applies to the targets it wins when
	// another of its targets is missing or taken by an older policy.
	// +kubebuilder:validation:MinItems=1
	// +kubebuilder:validation:MaxItems=16
	// +kubebuilder:validation:XValidation:rule="self.all(t, self.exists_one(u, u.name == t.name))",message="targetRefs must not name a Service twice"
	// +listType=atomic
	// +required
	TargetRefs []LocalServiceReference `json:"targetRefs"`

	// scheduler is the IPVS scheduler of the targets' virtual servers (ipvsadm(8) names).
	// Changing it is an in-place update of the virtual servers: no connection is lost.
	// +required
	Scheduler Scheduler `json:"scheduler"`

	// sessionPersistence keeps a client on one endpoint; unset keeps the Service's own affinity.
	// +optional
	SessionPersistence *SessionPersistence `json:"sessionPersistence,omitempty"`

	// drainTimeout is how long a removed TCP endpoint keeps its open connections (at weight 0)
	// before it is deleted, as a duration such as 30s, 5m or 1h; unset uses the node agent's
	// --drain-timeout. At most 24h.
	// +kubebuilder:validation:XValidation:rule="duration(self) >= duration('0s') && duration(self) <= duration('24h')",message="drainTimeout must be between 0s and 24h"
	// +optional
	DrainTimeout *metav1.Duration `json:"drainTimeout,omitempty"`
}

// Condition types and reasons of a LoadBalancingPolicy.
const (
	// ConditionAccepted tells whether the policy is applied to its targets.
	ConditionAccepted = "Accepted"

	// ReasonAccepted: every target exists and this policy is the one applied to it.
	ReasonAccepted = "Accepted"
	// ReasonTargetNotFound: a target Service does not exist (yet).
	ReasonTargetNotFound = "TargetNotFound"
	// ReasonConflicted: an older policy already targets one of the Services.
	ReasonConflicted = "Conflicted"
)

// LoadBalancingPolicyStatus is what the controller observed of the policy.
type LoadBalancingPolicyStatus struct {
	// conditions: Accepted (reasons Accepted, TargetNotFound, Conflicted), each with the
	// observedGeneration it describes.
	// +listType=map
	// +listMapKey=type
	// +optional
	Conditions []metav1.Condition `json:"conditions,omitempty"`
}

// LoadBalancingPolicy selects the IPVS scheduler, session persistence and drain timeout of the
// Services it targets, in place of the node agent's cluster-wide defaults.
// +kubebuilder:object:root=true
// +kubebuilder:subresource:status
// +kubebuilder:resource:shortName=lbp,categories=slicelb
// +kubebuilder:printcolumn:name="Scheduler",type=string,JSONPath=`.spec.scheduler`
// +kubebuilder:printcolumn:name="Target",type=string,JSONPath=`.spec.targetRefs[0].name`,description="The first target Service (a CRD column shows one value only; -o wide's Message names every target)"
// +kubebuilder:printcolumn:name="Accepted",type=string,JSONPath=`.status.conditions[?(@.type=="Accepted")].status`
// +kubebuilder:printcolumn:name="Reason",type=string,JSONPath=`.status.conditions[?(@.type=="Accepted")].reason`
// +kubebuilder:printcolumn:name="Age",type=date,JSONPath=`.metadata.creationTimestamp`
// +kubebuilder:printcolumn:name="Message",type=string,priority=1,JSONPath=`.status.conditions[?(@.type=="Accepted")].message`
type LoadBalancingPolicy struct {
	metav1.TypeMeta `json:",inline"`

	// metadata is the standard object metadata.
	// +optional
	metav1.ObjectMeta `json:"metadata,omitempty"`

	// spec is the desired load-balancing behaviour.
	// +required
	Spec LoadBalancingPolicySpec `json:"spec"`

	// status is what the controller observed.
	// +optional
	Status LoadBalancingPolicyStatus `json:"status,omitempty"`
}

// LoadBalancingPolicyList is a list of LoadBalancingPolicy.
// +kubebuilder:object:root=true
type LoadBalancingPolicyList struct {
	metav1.TypeMeta `json:",inline"`
	metav1.ListMeta `json:"metadata,omitempty"`
	Items           []LoadBalancingPolicy `json:"items"`
}
