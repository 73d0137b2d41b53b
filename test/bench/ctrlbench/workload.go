package ctrlbench

import (
	"context"
	"fmt"
	"net/netip"
	"sync"
	"sync/atomic"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/util/intstr"
	"k8s.io/client-go/kubernetes"
)

// Namespace holds the workload; the watcher watches only it.
const Namespace = "bench"

// Size is the workload.
type Size struct {
	Services, PodsPerService int
	FlipPercent              int
	Selectorless             int
	AddressesPerEndpoints    int
	Nodes                    int
}

// FlipPerService is how many pods of each Service the rolling flip makes not ready.
func (s Size) FlipPerService() int { return max(1, s.PodsPerService*s.FlipPercent/100) }

func serviceName(i int) string      { return fmt.Sprintf("svc-%04d", i) }
func podName(i, j int) string       { return fmt.Sprintf("svc-%04d-pod-%02d", i, j) }
func nodeName(n int) string         { return fmt.Sprintf("node-%02d", n) }
func selectorlessName(i int) string { return fmt.Sprintf("manual-%03d", i) }

// PodIP is pod j of Service i's address: 10.1.0.0/16, distinct for up to 65,000 pods.
func PodIP(size Size, i, j int) string {
	k := i*size.PodsPerService + j
	return netip.AddrFrom4([4]byte{10, 1, byte(k / 250), byte(k%250 + 1)}).String()
}

// manualIP is address j of selectorless Service i.
func manualIP(i, j int) string { return netip.AddrFrom4([4]byte{10, 2, byte(i), byte(j + 1)}).String() }

func service(name string, selector bool) *corev1.Service {
	svc := &corev1.Service{
		ObjectMeta: metav1.ObjectMeta{Name: name, Namespace: Namespace},
		Spec: corev1.ServiceSpec{Ports: []corev1.ServicePort{{
			Name: "http", Port: 80, TargetPort: intstr.FromInt32(8080), Protocol: corev1.ProtocolTCP,
		}}},
	}
	if selector {
		svc.Spec.Selector = map[string]string{"app": name}
	}
	return svc
}

func pod(size Size, i, j int) *corev1.Pod {
	return &corev1.Pod{
		ObjectMeta: metav1.ObjectMeta{Name: podName(i, j), Namespace: Namespace, Labels: map[string]string{"app": serviceName(i)}},
		Spec: corev1.PodSpec{
			NodeName: nodeName((i*size.PodsPerService + j) % size.Nodes),
			Containers: []corev1.Container{{Name: "app", Image: "registry.invalid/app:1",
				Ports: []corev1.ContainerPort{{Name: "http", ContainerPort: 8080}}}},
		},
	}
}

// setReady gives p the status a kubelet would write: running, an IP, and the Ready condition.
func setReady(p *corev1.Pod, ip string, ready bool) {
	status := corev1.ConditionTrue
	if !ready {
		status = corev1.ConditionFalse
	}
	p.Status.Phase = corev1.PodRunning
	p.Status.PodIP = ip
	p.Status.PodIPs = []corev1.PodIP{{IP: ip}}
	p.Status.Conditions = []corev1.PodCondition{{Type: corev1.PodReady, Status: status, LastTransitionTime: metav1.Now()}}
}

// parallel runs fn(0..n-1) on workers goroutines and returns the first error; progress is
// called with the number finished.
func parallel(ctx context.Context, n, workers int, fn func(context.Context, int) error, progress func(int)) error {
	var next, done atomic.Int64
	var first error
	var once sync.Once
	var wg sync.WaitGroup
	for range workers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for {
				k := int(next.Add(1)) - 1
				if k >= n || ctx.Err() != nil {
					return
				}
				if err := fn(ctx, k); err != nil {
					once.Do(func() { first = err })
					return
				}
				if d := int(done.Add(1)); progress != nil && d%100 == 0 {
					progress(d)
				}
			}
		}()
	}
	wg.Wait()
	if first == nil {
		first = ctx.Err()
	}
	return first
}

// createBase creates the namespace and the Nodes: the upstream controller skips (and requeues)
// pods whose Node does not exist.
func createBase(ctx context.Context, cs *kubernetes.Clientset, size Size) error {
	if _, err := cs.CoreV1().Namespaces().Create(ctx, &corev1.Namespace{ObjectMeta: metav1.ObjectMeta{Name: Namespace}}, metav1.CreateOptions{}); err != nil {
		return err
	}
	for n := range size.Nodes {
		node := &corev1.Node{ObjectMeta: metav1.ObjectMeta{Name: nodeName(n), Labels: map[string]string{"topology.kubernetes.io/zone": fmt.Sprintf("zone-%d", n%3)}}}
		if _, err := cs.CoreV1().Nodes().Create(ctx, node, metav1.CreateOptions{}); err != nil {
			return err
		}
	}
	return nil
}

// createServices creates the selector Services of the bulk phase, as fast as the API server
// takes them: what the controllers must then turn into an Endpoints object and a slice each.
func createServices(ctx context.Context, cs *kubernetes.Clientset, size Size) error {
	err := parallel(ctx, size.Services, 32, func(ctx context.Context, i int) error {
		_, err := cs.CoreV1().Services(Namespace).Create(ctx, service(serviceName(i), true), metav1.CreateOptions{})
		return err
	}, nil)
	if err != nil {
		return fmt.Errorf("creating Services: %w", err)
	}
	return nil
}

// createPods creates every Service's pods and makes them ready (create + status), before any
// Service selects them: the harness's own 2 writes per pod are then not part of the timed phase.
func createPods(ctx context.Context, cs *kubernetes.Clientset, size Size, progress func(string)) error {
	total := size.Services * size.PodsPerService
	return parallel(ctx, total, 32, func(ctx context.Context, k int) error {
		i, j := k/size.PodsPerService, k%size.PodsPerService
		created, err := cs.CoreV1().Pods(Namespace).Create(ctx, pod(size, i, j), metav1.CreateOptions{})
		if err != nil {
			return fmt.Errorf("creating pod: %w", err)
		}
		setReady(created, PodIP(size, i, j), true)
		if _, err := cs.CoreV1().Pods(Namespace).UpdateStatus(ctx, created, metav1.UpdateOptions{}); err != nil {
			return fmt.Errorf("making pod ready: %w", err)
		}
		return nil
	}, func(d int) { progress(fmt.Sprintf("%d/%d pods", d, total)) })
}

// createSelectorless creates Services without selectors and their hand-written Endpoints (what
// the mirroring controller turns into EndpointSlices).
func createSelectorless(ctx context.Context, cs *kubernetes.Clientset, size Size) error {
	return parallel(ctx, size.Selectorless, 8, func(ctx context.Context, i int) error {
		name := selectorlessName(i)
		if _, err := cs.CoreV1().Services(Namespace).Create(ctx, service(name, false), metav1.CreateOptions{}); err != nil {
			return err
		}
		subset := corev1.EndpointSubset{Ports: []corev1.EndpointPort{{Name: "http", Port: 8080, Protocol: corev1.ProtocolTCP}}}
		for j := range size.AddressesPerEndpoints {
			subset.Addresses = append(subset.Addresses, corev1.EndpointAddress{IP: manualIP(i, j)})
		}
		ep := &corev1.Endpoints{ObjectMeta: metav1.ObjectMeta{Name: name, Namespace: Namespace}, Subsets: []corev1.EndpointSubset{subset}}
		_, err := cs.CoreV1().Endpoints(Namespace).Create(ctx, ep, metav1.CreateOptions{})
		return err
	}, nil)
}
