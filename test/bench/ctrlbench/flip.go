package ctrlbench

import (
	"context"
	"sync"
	"time"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/types"
	"k8s.io/client-go/kubernetes"
)

// notReadyPatch flips the Ready condition the way a kubelet's failing readiness probe does
// (conditions merge by type).
var notReadyPatch = []byte(`{"status":{"conditions":[{"type":"Ready","status":"False"}]}}`)

// rollingFlip makes FlipPerService pods of every Service not ready, paced at rate pods per
// second (a rolling change, not one burst), and returns when each status write was sent, by pod IP.
func rollingFlip(ctx context.Context, cs *kubernetes.Clientset, size Size, rate float64, progress func(int, int)) (map[string]time.Time, error) {
	per := size.FlipPerService()
	total := size.Services * per
	sent := make(map[string]time.Time, total)
	var mu sync.Mutex
	interval := time.Duration(float64(time.Second) / rate)
	start := time.Now()
	var wg sync.WaitGroup
	errs := make(chan error, total)
	for k := range total {
		// Pace by schedule, not by sleeping after each write, so slow writes do not slow the flip.
		if d := time.Until(start.Add(time.Duration(k) * interval)); d > 0 {
			select {
			case <-ctx.Done():
				return nil, ctx.Err()
			case <-time.After(d):
			}
		}
		i, j := k%size.Services, k/size.Services
		ip := PodIP(size, i, j)
		wg.Add(1)
		go func() {
			defer wg.Done()
			at := time.Now()
			_, err := cs.CoreV1().Pods(Namespace).Patch(ctx, podName(i, j), types.StrategicMergePatchType, notReadyPatch, metav1.PatchOptions{}, "status")
			if err != nil {
				errs <- err
				return
			}
			mu.Lock()
			sent[ip] = at
			mu.Unlock()
		}()
		if k%100 == 0 {
			progress(k, total)
		}
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		return sent, err
	}
	return sent, nil
}

// latencies are seen - sent per flipped address; an address not seen yet is left out and
// counted in missing.
func latencies(sent, seen map[string]time.Time) (ds []time.Duration, missing int) {
	for ip, at := range sent {
		s, ok := seen[ip]
		if !ok {
			missing++
			continue
		}
		ds = append(ds, max(0, s.Sub(at)))
	}
	return ds, missing
}
