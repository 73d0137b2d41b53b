package reliability

import (
	"context"
	"fmt"
	"math/rand/v2"
	"sync"
	"sync/atomic"
	"time"

	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
)

// churn changes the pods of a set of Services from several workers until stopped: readiness
// flips, new pods, deleted pods. Errors (an API server that is down) are counted and the
// worker carries on: the final state is whatever the API server holds, and the verdict is
// computed from that.
type churn struct {
	namespace string
	apps      []string
	cancel    context.CancelFunc
	wg        sync.WaitGroup
	ops, errs atomic.Int64

	mu   sync.Mutex
	pods map[string][]string // app → pod names created so far (some may be gone)
	seq  int
}

// seedPods creates n ready pods per app and returns a churn over them (not started).
func seedPods(ctx context.Context, namespace string, apps []string, n int) (*churn, error) {
	c := &churn{namespace: namespace, apps: apps, pods: map[string][]string{}}
	for _, app := range apps {
		for range n {
			if err := c.create(ctx, app, true); err != nil {
				return nil, err
			}
		}
	}
	return c, nil
}

func (c *churn) create(ctx context.Context, app string, ready bool) error {
	c.mu.Lock()
	c.seq++
	name := fmt.Sprintf("%s-%d", app, c.seq)
	c.mu.Unlock()
	if err := createPod(ctx, pod(c.namespace, name, app, ready)); err != nil {
		return err
	}
	c.mu.Lock()
	c.pods[app] = append(c.pods[app], name)
	c.mu.Unlock()
	return nil
}

// start runs workers until stopped; each does one change every interval.
func (c *churn) start(ctx context.Context, workers int, interval time.Duration) {
	ctx, c.cancel = context.WithCancel(ctx)
	for w := range workers {
		c.wg.Add(1)
		go func() {
			defer c.wg.Done()
			r := rand.New(rand.NewPCG(uint64(w), uint64(time.Now().UnixNano())))
			t := time.NewTicker(interval)
			defer t.Stop()
			for {
				select {
				case <-ctx.Done():
					return
				case <-t.C:
				}
				c.ops.Add(1)
				if err := c.step(ctx, r); err != nil && ctx.Err() == nil {
					c.errs.Add(1)
				}
			}
		}()
	}
}

// step makes one change to a random app: 60% readiness flip, 20% new pod, 20% deletion.
func (c *churn) step(ctx context.Context, r *rand.Rand) error {
	app := c.apps[r.IntN(len(c.apps))]
	c.mu.Lock()
	names := c.pods[app]
	var name string
	if len(names) > 0 {
		name = names[r.IntN(len(names))]
	}
	c.mu.Unlock()
	switch k := r.IntN(10); {
	case k < 6 && name != "":
		err := setReady(ctx, c.namespace, name, r.IntN(2) == 0)
		if apierrors.IsNotFound(err) {
			return nil
		}
		return err
	case k < 8 || name == "":
		return c.create(ctx, app, r.IntN(4) != 0)
	default:
		err := suite.Clientset.CoreV1().Pods(c.namespace).Delete(ctx, name, metav1.DeleteOptions{GracePeriodSeconds: new(int64)})
		if apierrors.IsNotFound(err) {
			return nil
		}
		return err
	}
}

// stop ends the workers and waits for them.
func (c *churn) stop() {
	c.cancel()
	c.wg.Wait()
}
