package ctrlbench

import (
	"context"
	"errors"
	"time"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/client-go/kubernetes"
)

// waitReady proves the contender is running and its caches are synced: a canary Service with one
// ready pod must get its EndpointSlice and Endpoints. Its writes happen before the first metrics
// snapshot, so they are not counted.
func waitReady(ctx context.Context, cs *kubernetes.Clientset, t *Tracker, proc *Process, size Size) error {
	const name = "canary"
	if _, err := cs.CoreV1().Services(Namespace).Create(ctx, service(name, true), metav1.CreateOptions{}); err != nil {
		return err
	}
	p := pod(size, 0, 0)
	p.Name, p.Labels = name, map[string]string{"app": name}
	created, err := cs.CoreV1().Pods(Namespace).Create(ctx, p, metav1.CreateOptions{})
	if err != nil {
		return err
	}
	setReady(created, "10.3.0.1", true)
	if _, err := cs.CoreV1().Pods(Namespace).UpdateStatus(ctx, created, metav1.UpdateOptions{}); err != nil {
		return err
	}
	t.SetExpect(map[string]Expect{name: {Ready: 1, Endpoints: true}})
	deadline := time.Now().Add(2 * time.Minute)
	for {
		if err := proc.Exited(); err != nil {
			return err
		}
		if _, _, at := t.Progress(); !at.IsZero() {
			break
		}
		if time.Now().After(deadline) {
			return errors.New("the canary Service got no EndpointSlice and Endpoints in 2 minutes")
		}
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-time.After(100 * time.Millisecond):
		}
	}
	// Let start-up work (initial full resync of both controllers) finish before counting.
	select {
	case <-ctx.Done():
		return ctx.Err()
	case <-time.After(3 * time.Second):
		return nil
	}
}
