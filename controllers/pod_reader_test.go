package controllers

import (
	"slices"
	"testing"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/fields"
	toolscache "k8s.io/client-go/tools/cache"
	"sigs.k8s.io/controller-runtime/pkg/client"

	"github.com/slicelb/slicelb/internal/podview"
)

// TestPodCandidates checks which pods each kind of pod List reaches through the pod
// informer's indexes (the envtest suites exercise the reader end to end).
func TestPodCandidates(t *testing.T) {
	idx := toolscache.NewIndexer(toolscache.MetaNamespaceKeyFunc, podInformerIndexers())
	if err := idx.AddIndexers(toolscache.Indexers{toolscache.NamespaceIndex: toolscache.MetaNamespaceIndexFunc}); err != nil {
		t.Fatal(err)
	}
	add := func(ns, name, node string, podLabels map[string]string) {
		pod := &corev1.Pod{ObjectMeta: metav1.ObjectMeta{Namespace: ns, Name: name, Labels: podLabels}, Spec: corev1.PodSpec{NodeName: node}}
		if err := idx.Add(podview.Of(pod)); err != nil {
			t.Fatal(err)
		}
	}
	add("a", "web-1", "n1", map[string]string{"app": "web", "tier": "front"})
	add("a", "api-1", "n2", map[string]string{"app": "api"})
	add("b", "web-1", "n1", map[string]string{"app": "web"})
	add("b", "bare", "", nil)

	tests := []struct {
		name    string
		opts    client.ListOptions
		want    []string
		wantErr bool
	}{
		{"by label, in one namespace", client.ListOptions{Namespace: "a", FieldSelector: fields.OneTermEqualSelector(IndexPodLabel, "app=web")}, []string{"a/web-1"}, false},
		{"by label, another namespace", client.ListOptions{Namespace: "b", FieldSelector: fields.OneTermEqualSelector(IndexPodLabel, "app=web")}, []string{"b/web-1"}, false},
		{"by a label no pod has", client.ListOptions{Namespace: "a", FieldSelector: fields.OneTermEqualSelector(IndexPodLabel, "app=db")}, nil, false},
		{"by label without a namespace", client.ListOptions{FieldSelector: fields.OneTermEqualSelector(IndexPodLabel, "app=web")}, nil, true},
		{"by node, every namespace", client.ListOptions{FieldSelector: fields.OneTermEqualSelector(IndexPodNode, "n1")}, []string{"a/web-1", "b/web-1"}, false},
		{"a namespace", client.ListOptions{Namespace: "b"}, []string{"b/bare", "b/web-1"}, false},
		{"everything", client.ListOptions{}, []string{"a/api-1", "a/web-1", "b/bare", "b/web-1"}, false},
		{"an unindexed field", client.ListOptions{Namespace: "a", FieldSelector: fields.OneTermEqualSelector("spec.nodeName", "n1")}, nil, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			items, err := podCandidates(idx, &tt.opts)
			if (err != nil) != tt.wantErr {
				t.Fatalf("error %v, want error %v", err, tt.wantErr)
			}
			var got []string
			for _, item := range items {
				key, _ := toolscache.MetaNamespaceKeyFunc(item)
				got = append(got, key)
			}
			slices.Sort(got)
			if len(got) != len(tt.want) {
				t.Fatalf("got %v, want %v", got, tt.want)
			}
			for i := range got {
				if got[i] != tt.want[i] {
					t.Fatalf("got %v, want %v", got, tt.want)
				}
			}
		})
	}
}
