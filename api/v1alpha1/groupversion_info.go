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

// Package v1alpha1 holds slicelb's own API, group networking.slicelb.io: per-Service load-balancing
// policy attached to Services in the Gateway API "policy attachment" style.
//
// It holds types only (depguard keeps controller-runtime out), so that every consumer — the
// controller, the node agent, clients — can import it cheaply.
//
// +kubebuilder:object:generate=true
// +groupName=networking.slicelb.io
package v1alpha1

import (
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/runtime/schema"
)

var (
	// GroupVersion is the group and version of slicelb's API.
	GroupVersion = schema.GroupVersion{Group: "networking.slicelb.io", Version: "v1alpha1"}

	// SchemeBuilder registers the API's types with a runtime.Scheme.
	SchemeBuilder = runtime.NewSchemeBuilder(addKnownTypes)

	// AddToScheme adds the API's types to a scheme.
	AddToScheme = SchemeBuilder.AddToScheme
)

func addKnownTypes(scheme *runtime.Scheme) error {
	scheme.AddKnownTypes(GroupVersion, &LoadBalancingPolicy{}, &LoadBalancingPolicyList{})
	metav1.AddToGroupVersion(scheme, GroupVersion)
	return nil
}
