package podview

import (
	"maps"
	"runtime"
	"slices"
	"strings"
	"sync"
	"weak"
)

// labelSet is a labels map shared by every cached pod that carries exactly those labels: the
// replicas of a ReplicaSet, a DaemonSet or a Job have identical labels, and a small Go map
// costs ~300 bytes, a third of a view. Views hold the set (keeping it alive) and use its map
// as their Labels, which is therefore read-only.
type labelSet struct{ m map[string]string }

// labelSets finds the live set for a canonical label string. Entries are weak: a set nobody
// holds any more is collected, and its cleanup removes the entry, so label sets of deleted pods
// (every rollout brings a new pod-template-hash) do not accumulate.
var labelSets = struct {
	sync.Mutex
	byKey map[string]weak.Pointer[labelSet]
}{byKey: map[string]weak.Pointer[labelSet]{}}

// sharedLabels returns the set for m's labels, m itself becoming the shared map when no live
// set has them yet; nil for no labels.
func sharedLabels(m map[string]string) *labelSet {
	if len(m) == 0 {
		return nil
	}
	key := canonicalLabels(m)
	labelSets.Lock()
	defer labelSets.Unlock()
	if set := labelSets.byKey[key].Value(); set != nil {
		return set
	}
	set := &labelSet{m: m}
	labelSets.byKey[key] = weak.Make(set)
	runtime.AddCleanup(set, forgetLabelSet, key)
	return set
}

// forgetLabelSet drops key's entry once its set was collected, unless a new set took its place.
func forgetLabelSet(key string) {
	labelSets.Lock()
	defer labelSets.Unlock()
	if wp, ok := labelSets.byKey[key]; ok && wp.Value() == nil {
		delete(labelSets.byKey, key)
	}
}

// canonicalLabels is "k1=v1\x00k2=v2\x00…" in key order: unambiguous, as a label key never
// contains '=' and neither keys nor values contain NUL.
func canonicalLabels(m map[string]string) string {
	var b strings.Builder
	for _, k := range slices.Sorted(maps.Keys(m)) {
		b.WriteString(k)
		b.WriteByte('=')
		b.WriteString(m[k])
		b.WriteByte(0)
	}
	return b.String()
}

// liveLabelSets counts the entries of the table (tests).
func liveLabelSets() int {
	labelSets.Lock()
	defer labelSets.Unlock()
	return len(labelSets.byKey)
}
