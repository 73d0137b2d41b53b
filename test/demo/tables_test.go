package main

import (
	"bytes"
	"context"
	"testing"
	"time"

	corev1 "k8s.io/api/core/v1"
	discoveryv1 "k8s.io/api/discovery/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/client-go/kubernetes/fake"
	"k8s.io/utils/ptr"
)

func TestTables(t *testing.T) {
	created := metav1.NewTime(time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC))
	now = func() time.Time { return created.Add(7 * time.Second) }
	meta := func(name string, labels map[string]string) metav1.ObjectMeta {
		return metav1.ObjectMeta{Namespace: namespace, Name: name, CreationTimestamp: created, Labels: labels}
	}
	cs := fake.NewClientset(
		&corev1.Endpoints{ObjectMeta: meta("web", nil), Subsets: []corev1.EndpointSubset{{ //nolint:staticcheck // the demo prints core/v1 Endpoints
			Addresses: []corev1.EndpointAddress{{IP: "10.0.0.1"}, {IP: "10.0.0.2"}}, //nolint:staticcheck // as above
			Ports:     []corev1.EndpointPort{{Port: 80}, {Port: 53}},                //nolint:staticcheck // as above
		}}},
		&corev1.Endpoints{ObjectMeta: meta("empty", nil)}, //nolint:staticcheck // as above
		&discoveryv1.EndpointSlice{
			ObjectMeta:  meta("web-abc", map[string]string{discoveryv1.LabelManagedBy: "controller.slicelb.io"}),
			AddressType: discoveryv1.AddressTypeIPv4,
			Ports:       []discoveryv1.EndpointPort{{Port: ptr.To[int32](80)}},
			Endpoints: []discoveryv1.Endpoint{
				{Addresses: []string{"10.0.0.1"}, Conditions: discoveryv1.EndpointConditions{Ready: ptr.To(true)}},
				{Addresses: []string{"10.0.0.2"}, Conditions: discoveryv1.EndpointConditions{Ready: ptr.To(false)}},
			},
		},
		&discoveryv1.EndpointSlice{ObjectMeta: meta("empty-xyz", nil), AddressType: discoveryv1.AddressTypeIPv4},
	)
	var b bytes.Buffer
	if err := printEndpoints(context.Background(), &b, cs); err != nil {
		t.Fatal(err)
	}
	want := "NAME    ENDPOINTS                                         AGE\n" +
		"empty   <none>                                            7s\n" +
		"web     10.0.0.1:80,10.0.0.1:53,10.0.0.2:80 + 1 more...   7s\n"
	if b.String() != want {
		t.Errorf("endpoints table:\n%s\nwant:\n%s", b.String(), want)
	}
	b.Reset()
	if err := printSlices(context.Background(), &b, cs); err != nil {
		t.Fatal(err)
	}
	want = "NAME        ADDRESSTYPE   PORTS     ENDPOINTS                      MANAGED-BY              AGE\n" +
		"empty-xyz   IPv4          <unset>   <none>                                                 7s\n" +
		"web-abc     IPv4          80        10.0.0.1,10.0.0.2(not ready)   controller.slicelb.io   7s\n"
	if b.String() != want {
		t.Errorf("slices table:\n%s\nwant:\n%s", b.String(), want)
	}
}
