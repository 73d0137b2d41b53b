package podview

import (
	"reflect"
	"runtime"
	"testing"
	"time"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
)

func podWithLabels(name string, l map[string]string) *corev1.Pod {
	return &corev1.Pod{ObjectMeta: metav1.ObjectMeta{Namespace: "ns", Name: name, Labels: l}}
}

func sameMap(a, b map[string]string) bool {
	return reflect.ValueOf(a).UnsafePointer() == reflect.ValueOf(b).UnsafePointer()
}

func TestReplicasShareOneLabelsMap(t *testing.T) {
	a := Of(podWithLabels("a", map[string]string{"app": "web", "pod-template-hash": "5d8f"}))
	b := Of(podWithLabels("b", map[string]string{"pod-template-hash": "5d8f", "app": "web"}))
	c := Of(podWithLabels("c", map[string]string{"app": "web", "pod-template-hash": "77aa"}))
	none := Of(podWithLabels("d", nil))
	if !sameMap(a.Labels, b.Labels) {
		t.Error("pods with the same labels do not share the map")
	}
	if sameMap(a.Labels, c.Labels) || c.Labels["pod-template-hash"] != "77aa" {
		t.Errorf("pods with other labels share a map: %v", c.Labels)
	}
	if none.Labels != nil {
		t.Errorf("a pod without labels has %v", none.Labels)
	}
	if got := b.Pod().Labels; !sameMap(got, a.Labels) || got["app"] != "web" {
		t.Errorf("the rebuilt pod's labels: %v", got)
	}
	runtime.KeepAlive(a)
	runtime.KeepAlive(b)
}

// makeViews makes n views of pods with distinct labels and returns how many label sets they added.
func makeViews(n int) int {
	before := liveLabelSets()
	views := make([]*View, 0, n)
	for i := range n {
		views = append(views, Of(podWithLabels("p", map[string]string{"app": "gone", "i": string(rune('a' + i%26)), "j": string(rune('a' + i/26))})))
	}
	added := liveLabelSets() - before
	runtime.KeepAlive(views)
	return added
}

func TestLabelSetsOfDeletedPodsAreForgotten(t *testing.T) {
	before := liveLabelSets()
	if added := makeViews(100); added != 100 {
		t.Fatalf("%d new label sets for 100 distinct label maps", added)
	}
	deadline := time.Now().Add(5 * time.Second)
	for liveLabelSets() > before && time.Now().Before(deadline) {
		runtime.GC()
		time.Sleep(10 * time.Millisecond)
	}
	if got := liveLabelSets(); got > before {
		t.Fatalf("%d label sets left after every view was dropped (%d before)", got, before)
	}
}
