package main

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"slices"
	"strings"
	"time"

	corev1 "k8s.io/api/core/v1"
	discoveryv1 "k8s.io/api/discovery/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	"github.com/slicelb/slicelb/test/cluster"
	"github.com/slicelb/slicelb/test/vmnode"
)

func (d *demo) createScenario(ctx context.Context) error {
	d.step("creating the scenario in namespace %s: pods myapp-0..2 (Ready) and dns-0..1 on vm-node, 7 Services, hand-written Endpoints", namespace)
	if _, err := d.cs.CoreV1().Namespaces().Create(ctx, &corev1.Namespace{ObjectMeta: metav1.ObjectMeta{Name: namespace}},
		metav1.CreateOptions{}); err != nil {
		return fmt.Errorf("namespace %s (a demo already ran on this control plane? make demo-down first): %w", namespace, err)
	}
	for _, p := range append(myappPods(), dnsPods()...) {
		if err := createPod(ctx, d.cs, p, vmnode.DefaultName); err != nil {
			return err
		}
	}
	for _, s := range services() {
		if _, err := d.cs.CoreV1().Services(namespace).Create(ctx, s, metav1.CreateOptions{}); err != nil {
			return fmt.Errorf("service %s: %w", s.Name, err)
		}
	}
	if _, err := d.cs.CoreV1().Endpoints(namespace).Create(ctx, noSelectEndpoints(), metav1.CreateOptions{}); err != nil {
		return fmt.Errorf("endpoints nginx-noselect: %w", err)
	}
	return printServices(ctx, d.w, d.cs)
}

func (d *demo) bootNode(ctx context.Context, o options) error {
	d.step("booting the test VM as node %s: the real slicelb-node against this control plane (via 10.0.2.2), pods as network namespaces", vmnode.DefaultName)
	kc, err := d.c.ServiceAccount(ctx, cluster.SystemNamespace, cluster.NodeName)
	if err != nil {
		return fmt.Errorf("slicelb-node's ServiceAccount token (config/default applied?): %w", err)
	}
	start := time.Now()
	d.node, err = vmnode.Start(ctx, vmnode.Options{
		Cluster: d.c, Assets: o.vmAssets, NodeBinary: o.nodeBinary, NodeKubeconfig: kc, ForwardTCP: []int{30010},
		NodeArgs: []string{"--metrics-bind-address=0"},
	})
	if err != nil {
		return err
	}
	_, _ = fmt.Fprintf(d.w, "VM up in %v (qemu pid %d, console %s); slicelb-node runs as ServiceAccount %s/%s\n",
		time.Since(start).Round(100*time.Millisecond), d.node.Process.Pid(), d.node.Process.LogPath(), cluster.SystemNamespace, cluster.NodeName)
	return nil
}

// eventually polls fn every 500 ms until it returns nil or timeout passes (its last error).
func eventually(ctx context.Context, timeout time.Duration, fn func() error) error {
	deadline := time.Now().Add(timeout)
	for {
		err := fn()
		if err == nil || time.Now().After(deadline) {
			return err
		}
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-time.After(500 * time.Millisecond):
		}
	}
}

func (d *demo) showEndpoints(ctx context.Context) error {
	d.step("waiting for slicelb-controller's Endpoints and EndpointSlices")
	err := eventually(ctx, 90*time.Second, func() error {
		for svc, want := range map[string]int{"myapp": 3, "myapp-sticky": 3, "nginx-noselect": 2, "dns": 2, "myapp-headless": 3} {
			list, err := d.cs.DiscoveryV1().EndpointSlices(namespace).List(ctx,
				metav1.ListOptions{LabelSelector: discoveryv1.LabelServiceName + "=" + svc})
			if err != nil {
				return err
			}
			n := 0
			for _, s := range list.Items {
				n += len(s.Endpoints)
			}
			if n != want {
				return fmt.Errorf("service %s: %d endpoints in its EndpointSlices, want %d", svc, n, want)
			}
		}
		return nil
	})
	if err != nil {
		return err
	}
	_, _ = fmt.Fprintf(d.w, "$ kubectl get endpoints -n %s\n", namespace)
	if err := printEndpoints(ctx, d.w, d.cs); err != nil {
		return err
	}
	_, _ = fmt.Fprintf(d.w, "\n$ kubectl get endpointslices -n %s\n", namespace)
	return printSlices(ctx, d.w, d.cs)
}

func (d *demo) showIPVS(ctx context.Context) error {
	if d.node == nil {
		return errNoNode
	}
	cip := d.clusterIP(ctx, "myapp")
	var status string
	err := eventually(ctx, 90*time.Second, func() error {
		var err error
		if status, err = d.node.Status(ctx); err != nil {
			return err
		}
		for _, want := range []string{cip + ":80", "10.244.1.10:80", "10.244.1.11:80", "10.244.1.12:80"} {
			if !strings.Contains(status, want) {
				return fmt.Errorf("the IPVS table has no %s yet:\n%s", want, status)
			}
		}
		return nil
	})
	if err != nil {
		return fmt.Errorf("%w\nlast console lines:\n%s", err, d.node.ConsoleTail(20))
	}
	d.step("the node's IPVS table")
	_, _ = fmt.Fprintf(d.w, "$ slicelb-node status    (inside vm-node)\n%s", status)
	return nil
}

// curlLoop runs the seeds' loop from the client namespace inside the VM and prints it.
func (d *demo) curlLoop(ctx context.Context, svc string) ([]string, error) {
	target := d.clusterIP(ctx, svc) + ":80"
	replies, err := d.node.HTTP(ctx, target, "/hostname.html", 10)
	if err != nil {
		return nil, err
	}
	_, _ = fmt.Fprintf(d.w, "$ for i in $(seq 1 10); do curl -s http://%s/hostname.html; done    (%s, from a client netns in vm-node)\n", target, svc)
	for _, r := range replies {
		_, _ = fmt.Fprintln(d.w, r)
		if strings.HasPrefix(r, "error:") {
			return replies, fmt.Errorf("a request through %s failed: %s", target, r)
		}
	}
	return replies, nil
}

func (d *demo) showRoundRobin(ctx context.Context) error {
	d.step("ten requests through the ClusterIP of myapp (no affinity, scheduler rr)")
	replies, err := d.curlLoop(ctx, "myapp")
	if err != nil {
		return err
	}
	if names := distinct(replies); len(names) != 3 {
		return fmt.Errorf("answered by %v, want the three pods", names)
	}
	for i := 1; i < len(replies); i++ {
		if replies[i] == replies[i-1] {
			return fmt.Errorf("requests %d and %d both went to %s: not round robin", i, i+1, replies[i])
		}
	}
	return nil
}

func (d *demo) showAffinity(ctx context.Context) error {
	d.step("the same through myapp-sticky (sessionAffinity: ClientIP)")
	replies, err := d.curlLoop(ctx, "myapp-sticky")
	if err != nil {
		return err
	}
	if names := distinct(replies); len(names) != 1 {
		return fmt.Errorf("answered by %v, want one pod", names)
	}
	return nil
}

func (d *demo) showNodePort(ctx context.Context) error {
	d.step("NodePort 30010 of vm-node, from the host (127.0.0.1:%d is forwarded to 10.0.2.15:30010)", d.node.Forwards[30010])
	hc := &http.Client{Timeout: 5 * time.Second, Transport: &http.Transport{DisableKeepAlives: true}}
	url := fmt.Sprintf("http://127.0.0.1:%d/hostname.html", d.node.Forwards[30010])
	_, _ = fmt.Fprintf(d.w, "$ for i in $(seq 1 4); do curl -s %s; done\n", url)
	for range 4 {
		req, err := http.NewRequestWithContext(ctx, http.MethodGet, url, nil)
		if err != nil {
			return err
		}
		resp, err := hc.Do(req)
		if err != nil {
			return err
		}
		b, err := io.ReadAll(resp.Body)
		_ = resp.Body.Close()
		if err != nil {
			return err
		}
		name := strings.TrimSpace(string(b))
		_, _ = fmt.Fprintln(d.w, name)
		if !strings.HasPrefix(name, "myapp-") {
			return fmt.Errorf("NodePort answered %q, want a myapp pod", name)
		}
	}
	return nil
}

func (d *demo) showDNS(ctx context.Context) error {
	d.step("the DNS-style Service dns (53/TCP, 53/UDP, 5001/TCP) from the client netns")
	cip := d.clusterIP(ctx, "dns")
	udp, err := d.node.UDP(ctx, cip+":53", 4)
	if err != nil {
		return err
	}
	tcp, err := d.node.HTTP(ctx, cip+":5001", "/", 4)
	if err != nil {
		return err
	}
	_, _ = fmt.Fprintf(d.w, "UDP %s:53  -> %s\nTCP %s:5001 -> %s\n", cip, strings.Join(udp, " "), cip, strings.Join(tcp, " "))
	for _, r := range append(udp, tcp...) {
		if !strings.HasPrefix(r, "dns-") {
			return fmt.Errorf("answer %q, want a dns pod", r)
		}
	}
	return nil
}

func (d *demo) showNotReady(ctx context.Context) error {
	d.step("myapp-1 turns not-ready (its readiness probe fails)")
	if err := flipReady(ctx, d.cs, "myapp-1", false); err != nil {
		return err
	}
	start := time.Now()
	if err := d.waitRotation(ctx, "myapp-1", false); err != nil {
		return err
	}
	_, _ = fmt.Fprintf(d.w, "myapp-1 left the rotation %v after its status changed\n", time.Since(start).Round(100*time.Millisecond))
	if err := d.showVirtualServer(ctx, "myapp"); err != nil {
		return err
	}
	replies, err := d.curlLoop(ctx, "myapp")
	if err != nil {
		return err
	}
	if slices.Contains(replies, "myapp-1") {
		return fmt.Errorf("myapp-1 still answers while not ready")
	}
	d.step("myapp-1 is ready again")
	if err := flipReady(ctx, d.cs, "myapp-1", true); err != nil {
		return err
	}
	start = time.Now()
	if err := d.waitRotation(ctx, "myapp-1", true); err != nil {
		return err
	}
	_, _ = fmt.Fprintf(d.w, "myapp-1 is back %v after its status changed\n", time.Since(start).Round(100*time.Millisecond))
	replies, err = d.curlLoop(ctx, "myapp")
	if err != nil {
		return err
	}
	if len(distinct(replies)) != 3 {
		return fmt.Errorf("answered by %v, want the three pods again", distinct(replies))
	}
	return nil
}

// waitRotation probes myapp until pod is (in=true) or is not (in=false) among six answers.
func (d *demo) waitRotation(ctx context.Context, pod string, in bool) error {
	target := d.clusterIP(ctx, "myapp") + ":80"
	return eventually(ctx, 60*time.Second, func() error {
		replies, err := d.node.HTTP(ctx, target, "/hostname.html", 6)
		if err != nil {
			return err
		}
		if slices.Contains(replies, pod) != in {
			return fmt.Errorf("answers %v (want %s in the rotation: %v)", replies, pod, in)
		}
		return nil
	})
}

func distinct(replies []string) []string {
	var out []string
	for _, r := range replies {
		if !slices.Contains(out, r) {
			out = append(out, r)
		}
	}
	slices.Sort(out)
	return out
}

// showVirtualServer prints one Service's virtual server from the node's IPVS table (a removed TCP
// real server stays at weight 0 while its connections drain).
func (d *demo) showVirtualServer(ctx context.Context, svc string) error {
	status, err := d.node.Status(ctx)
	if err != nil {
		return err
	}
	vs := d.clusterIP(ctx, svc) + ":80 "
	_, _ = fmt.Fprintf(d.w, "$ slicelb-node status | grep -A3 %s\n", strings.TrimSpace(vs))
	in := false
	for _, l := range strings.Split(status, "\n") {
		switch {
		case strings.Contains(l, vs):
			in = true
		case !strings.HasPrefix(l, "  ->"):
			in = false
		}
		if in {
			_, _ = fmt.Fprintln(d.w, l)
		}
	}
	return nil
}
