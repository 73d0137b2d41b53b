//go:build linux

package main

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/http"
	"net/netip"
	"sort"
	"strings"
	"sync"
	"time"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/fields"
	"k8s.io/client-go/informers"
	"k8s.io/client-go/kubernetes"
	"k8s.io/client-go/tools/cache"
	"k8s.io/client-go/tools/clientcmd"

	"github.com/slicelb/slicelb/test/vm/netlab"
	"github.com/slicelb/slicelb/test/vmnode/guestapi"
)

// pods is the kubelet stand-in: for every Pod bound to this node that reports an IP it keeps a
// network namespace at that IP serving the Pod's container ports. Readiness is not its business:
// the host writes pod status, the controller turns it into EndpointSlices.
type pods struct {
	mu      sync.Mutex
	running map[string]*runningPod // namespace/name
	next    int
}

type runningPod struct {
	ip    netip.Addr
	net   *podNet
	close []func()
}

func startPods(ctx context.Context, nodeName string) (*pods, error) {
	cfg, err := clientcmd.BuildConfigFromFlags("", guestapi.KubeletKubeconfig)
	if err != nil {
		return nil, err
	}
	cs, err := kubernetes.NewForConfig(cfg)
	if err != nil {
		return nil, err
	}
	p := &pods{running: map[string]*runningPod{}, next: 1}
	f := informers.NewSharedInformerFactoryWithOptions(cs, 0, informers.WithTweakListOptions(func(o *metav1.ListOptions) {
		o.FieldSelector = fields.OneTermEqualSelector("spec.nodeName", nodeName).String()
	}))
	inf := f.Core().V1().Pods().Informer()
	if _, err := inf.AddEventHandler(cache.ResourceEventHandlerFuncs{
		AddFunc:    func(obj any) { p.update(obj) },
		UpdateFunc: func(_, obj any) { p.update(obj) },
		DeleteFunc: func(obj any) {
			if d, ok := obj.(cache.DeletedFinalStateUnknown); ok {
				obj = d.Obj
			}
			if pod, ok := obj.(*corev1.Pod); ok {
				p.remove(pod.Namespace + "/" + pod.Name)
			}
		},
	}); err != nil {
		return nil, err
	}
	f.Start(ctx.Done())
	return p, nil
}

func (p *pods) update(obj any) {
	pod, ok := obj.(*corev1.Pod)
	if !ok {
		return
	}
	key := pod.Namespace + "/" + pod.Name
	ip, err := netip.ParseAddr(pod.Status.PodIP)
	if err != nil || !ip.Is4() {
		return // no IP reported yet: nothing to run
	}
	p.mu.Lock()
	defer p.mu.Unlock()
	if r := p.running[key]; r != nil {
		if r.ip == ip {
			return
		}
		p.stopLocked(key)
	}
	r, err := p.start(pod, ip)
	if err != nil {
		fmt.Printf("slicelb-vmnode: pod %s at %s: %v\n", key, ip, err)
		return
	}
	p.running[key] = r
	fmt.Printf("slicelb-vmnode: pod %s running at %s\n", key, ip)
}

func (p *pods) start(pod *corev1.Pod, ip netip.Addr) (*runningPod, error) {
	n, err := newPodNet(p.next, ip)
	if err != nil {
		return nil, err
	}
	p.next++
	r := &runningPod{ip: ip, net: n}
	tcp, udp := podPorts(pod)
	err = netlab.Do(n.ns, func() error {
		for _, port := range tcp {
			l, err := net.Listen("tcp4", fmt.Sprintf(":%d", port))
			if err != nil {
				return err
			}
			srv := &http.Server{Handler: nameHandler(pod.Name), ReadHeaderTimeout: 5 * time.Second}
			go func() { _ = srv.Serve(l) }()
			r.close = append(r.close, func() { _ = srv.Close() })
		}
		for _, port := range udp {
			pc, err := net.ListenPacket("udp4", fmt.Sprintf(":%d", port))
			if err != nil {
				return err
			}
			go udpEcho(pc, pod.Name)
			r.close = append(r.close, func() { _ = pc.Close() })
		}
		return nil
	})
	if err != nil {
		r.stop()
		return nil, err
	}
	return r, nil
}

// podPorts are the container ports by protocol; a pod that declares none serves HTTP on 80.
func podPorts(pod *corev1.Pod) (tcp, udp []int32) {
	for _, c := range pod.Spec.Containers {
		for _, cp := range c.Ports {
			if cp.Protocol == corev1.ProtocolUDP {
				udp = append(udp, cp.ContainerPort)
			} else {
				tcp = append(tcp, cp.ContainerPort)
			}
		}
	}
	if len(tcp) == 0 && len(udp) == 0 {
		tcp = []int32{80}
	}
	return tcp, udp
}

// nameHandler answers every path (/hostname.html, /) with the pod's name, as the seeds' nginx
// pods' hostname.html does.
func nameHandler(name string) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
		w.Header().Set("Content-Type", "text/plain")
		_, _ = fmt.Fprintln(w, name)
	})
}

func udpEcho(pc net.PacketConn, name string) {
	buf := make([]byte, 1500)
	for {
		_, from, err := pc.ReadFrom(buf)
		if errors.Is(err, net.ErrClosed) {
			return
		} else if err != nil {
			continue
		}
		_, _ = pc.WriteTo([]byte(name+"\n"), from)
	}
}

func (p *pods) remove(key string) {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.running[key] != nil {
		p.stopLocked(key)
		fmt.Printf("slicelb-vmnode: pod %s stopped\n", key)
	}
}

func (p *pods) stopLocked(key string) {
	p.running[key].stop()
	delete(p.running, key)
}

func (r *runningPod) stop() {
	for _, c := range r.close {
		c()
	}
	if err := r.net.close(); err != nil {
		fmt.Printf("slicelb-vmnode: removing pod network: %v\n", err)
	}
}

// list renders "namespace/name ip" lines, sorted.
func (p *pods) list() string {
	p.mu.Lock()
	defer p.mu.Unlock()
	var lines []string
	for k, r := range p.running {
		lines = append(lines, k+" "+r.ip.String())
	}
	sort.Strings(lines)
	return strings.Join(lines, "\n")
}
