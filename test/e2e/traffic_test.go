package e2e

import (
	"fmt"
	"io"
	"net/http"
	"slices"
	"strings"
	"time"

	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/util/intstr"

	"github.com/slicelb/slicelb/test/cluster"
	"github.com/slicelb/slicelb/test/vmnode"
)

// The whole system with real traffic: slicelb-controller (the binary, as its ServiceAccount) on
// the local control plane, and the test VM as node vm-node running the real slicelb-node binary
// (as its ServiceAccount) over the VM's kernel IPVS. Requests go from a client namespace inside
// the VM through the ClusterIPs to pods that are network namespaces at the IPs their Pod objects
// report; every answer is the name of the pod that served it.
var _ = Describe("traffic through a VM node", Ordered, func() {
	var (
		node *vmnode.Node
		ctrl *cluster.Binary
	)
	web := map[string]string{"app": "web"}

	BeforeAll(func(ctx SpecContext) {
		Expect(ensureDeployed(ctx)).To(Succeed(), deployed.output)
		var err error
		ctrl, err = suite.Cluster.StartController(ctx, suite.Binaries.Controller)
		Expect(err).NotTo(HaveOccurred())
		DeferCleanup(func() { _ = ctrl.Stop(15 * time.Second) })
		Expect(ctrl.WaitReady(ctx, 2*time.Minute)).To(Succeed())

		Expect(suite.Client.Create(ctx, &corev1.Namespace{ObjectMeta: metav1.ObjectMeta{Name: trafficNamespace}})).To(Succeed())
		for i := range 3 {
			Expect(createPodWithStatus(ctx, vmPod(fmt.Sprintf("web-%d", i), fmt.Sprintf("10.244.2.%d", 10+i), web))).To(Succeed())
		}

		By("booting the VM as node " + vmNodeName + " running slicelb-node as ServiceAccount " + systemNamespace + "/slicelb-node")
		_, kc := serviceAccountKubeconfig(ctx, "slicelb-node")
		start := time.Now()
		node, err = vmnode.Start(ctx, vmnode.Options{
			Cluster: suite.Cluster, Assets: vmAssets(), NodeBinary: suite.Binaries.Node, NodeKubeconfig: kc,
			NodeName: vmNodeName, ForwardTCP: []int{30010}, NodeArgs: agentMetricsArgs,
		})
		Expect(err).NotTo(HaveOccurred())
		DeferCleanup(func() { Expect(node.Stop()).To(Succeed()) })
		report("VM node boot", "control endpoint answered %v after the boot started", time.Since(start).Round(100*time.Millisecond))
	}, NodeTimeout(10*time.Minute))

	AfterEach(func(ctx SpecContext) {
		if CurrentSpecReport().Failed() && node != nil {
			AddReportEntry("VM console (last lines)", node.ConsoleTail(80))
			if s, err := node.Status(ctx); err == nil {
				AddReportEntry("slicelb-node status", s)
			}
		}
	})

	It("round-robins ten requests through a ClusterIP over the three pods", func(ctx SpecContext) {
		target := createService(ctx, httpService("web", web))
		Eventually(ctx, func() []string { return distinct(get(ctx, node, target, 3)) }).
			Should(Equal([]string{"web-0", "web-1", "web-2"}))
		replies := get(ctx, node, target, 10)
		report("round robin", "%s -> %s", target, strings.Join(replies, " "))
		Expect(errorsIn(replies)).To(BeEmpty())
		Expect(distinct(replies)).To(Equal([]string{"web-0", "web-1", "web-2"}))
		for i := 1; i < len(replies); i++ {
			Expect(replies[i]).NotTo(Equal(replies[i-1]), "rr never sends two consecutive new connections to one pod: %v", replies)
		}
	}, SpecTimeout(2*time.Minute))

	It("keeps one client on one pod with sessionAffinity ClientIP", func(ctx SpecContext) {
		svc := httpService("web-sticky", web)
		svc.Spec.SessionAffinity = corev1.ServiceAffinityClientIP
		target := createService(ctx, svc)
		Eventually(ctx, func() []string { return errorsIn(get(ctx, node, target, 1)) }).Should(BeEmpty())
		replies := get(ctx, node, target, 10)
		report("session affinity", "%s -> %s", target, strings.Join(replies, " "))
		Expect(errorsIn(replies)).To(BeEmpty())
		Expect(distinct(replies)).To(HaveLen(1))
	}, SpecTimeout(2*time.Minute))

	It("takes a not-ready pod out of the rotation and back when it is ready again", func(ctx SpecContext) {
		target := svcTarget(ctx, "web")
		setPodReady(ctx, "web-1", false)
		Eventually(ctx, func() []string { return get(ctx, node, target, 4) }).WithPolling(pollInterval).
			ShouldNot(ContainElement("web-1"))
		replies := get(ctx, node, target, 10)
		report("web-1 not ready", "%s -> %s", target, strings.Join(replies, " "))
		Expect(distinct(replies)).To(Equal([]string{"web-0", "web-2"}))

		setPodReady(ctx, "web-1", true)
		Eventually(ctx, func() []string { return distinct(get(ctx, node, target, 3)) }).WithPolling(pollInterval).
			Should(Equal([]string{"web-0", "web-1", "web-2"}))
	}, SpecTimeout(2*time.Minute))

	It("serves NodePort 30010 on the node's address, from outside the node and from a pod network", func(ctx SpecContext) {
		svc := httpService("web-nodeport", web)
		svc.Spec.Type = corev1.ServiceTypeNodePort
		svc.Spec.Ports[0].NodePort = 30010
		createService(ctx, svc)
		// From the host: qemu forwards 127.0.0.1:PORT to 10.0.2.15:30010 (the Node's InternalIP).
		url := fmt.Sprintf("http://127.0.0.1:%d/hostname.html", node.Forwards[30010])
		hc := &http.Client{Timeout: 5 * time.Second, Transport: &http.Transport{DisableKeepAlives: true}}
		var fromHost []string
		Eventually(ctx, func(g Gomega) {
			resp, err := hc.Get(url)
			g.Expect(err).NotTo(HaveOccurred())
			b, err := io.ReadAll(resp.Body)
			_ = resp.Body.Close()
			g.Expect(err).NotTo(HaveOccurred())
			fromHost = append(fromHost, strings.TrimSpace(string(b)))
			g.Expect(distinct(fromHost)).To(Equal([]string{"web-0", "web-1", "web-2"}))
		}).Should(Succeed())
		replies := get(ctx, node, "10.0.2.15:30010", 6)
		report("NodePort", "host -> %s; client netns -> 10.0.2.15:30010 -> %s", strings.Join(fromHost, " "), strings.Join(replies, " "))
		Expect(errorsIn(replies)).To(BeEmpty())
		Expect(distinct(replies)).To(Equal([]string{"web-0", "web-1", "web-2"}))
	}, SpecTimeout(2*time.Minute))

	It("serves a multi-port TCP/UDP Service (53/TCP, 53/UDP, 5001/TCP)", func(ctx SpecContext) {
		dns := map[string]string{"app": "dns"}
		ports := []corev1.ContainerPort{
			{Name: "dns-tcp", ContainerPort: 53, Protocol: corev1.ProtocolTCP},
			{Name: "dns-udp", ContainerPort: 53, Protocol: corev1.ProtocolUDP},
			{Name: "metrics", ContainerPort: 5001, Protocol: corev1.ProtocolTCP},
		}
		for i := range 2 {
			Expect(createPodWithStatus(ctx, vmPod(fmt.Sprintf("dns-%d", i), fmt.Sprintf("10.244.2.%d", 30+i), dns, ports...))).To(Succeed())
		}
		svc := &corev1.Service{ObjectMeta: metav1.ObjectMeta{Namespace: trafficNamespace, Name: "dns"}, Spec: corev1.ServiceSpec{
			Selector: dns, Ports: []corev1.ServicePort{
				{Name: "dns-tcp", Port: 53, TargetPort: intstr.FromString("dns-tcp"), Protocol: corev1.ProtocolTCP},
				{Name: "dns-udp", Port: 53, TargetPort: intstr.FromString("dns-udp"), Protocol: corev1.ProtocolUDP},
				{Name: "metrics", Port: 5001, TargetPort: intstr.FromString("metrics"), Protocol: corev1.ProtocolTCP},
			}}}
		Expect(suite.Client.Create(ctx, svc)).To(Succeed())
		ip := svc.Spec.ClusterIP
		want := []string{"dns-0", "dns-1"}
		Eventually(ctx, func(g Gomega) {
			udp, err := node.UDP(ctx, ip+":53", 4)
			g.Expect(err).NotTo(HaveOccurred())
			g.Expect(distinct(udp)).To(Equal(want))
			g.Expect(distinct(get(ctx, node, ip+":53", 4))).To(Equal(want))
			g.Expect(distinct(get(ctx, node, ip+":5001", 4))).To(Equal(want))
		}).Should(Succeed())
	}, SpecTimeout(2*time.Minute))

	It("reaches a Service created after the node agent started", func(ctx SpecContext) {
		start := time.Now()
		target := createService(ctx, httpService("late", web))
		Eventually(ctx, func() []string { return errorsIn(get(ctx, node, target, 1)) }).WithPolling(pollInterval).Should(BeEmpty())
		report("new Service", "%s answered %v after its creation", target, time.Since(start).Round(10*time.Millisecond))
	}, SpecTimeout(2*time.Minute))

	It("spreads traffic over six pods after scaling from three", func(ctx SpecContext) {
		target := svcTarget(ctx, "web")
		for i := 3; i < 6; i++ {
			Expect(createPodWithStatus(ctx, vmPod(fmt.Sprintf("web-%d", i), fmt.Sprintf("10.244.2.%d", 10+i), web))).To(Succeed())
		}
		all := []string{"web-0", "web-1", "web-2", "web-3", "web-4", "web-5"}
		Eventually(ctx, func() []string { return distinct(get(ctx, node, target, 6)) }).Should(Equal(all))
		replies := get(ctx, node, target, 12)
		report("scaled to 6", "%s -> %s", target, strings.Join(replies, " "))
		Expect(errorsIn(replies)).To(BeEmpty())
		Expect(distinct(replies)).To(Equal(all))
	}, SpecTimeout(2*time.Minute))

	It("removes a deleted Service's VIP from the kernel", func(ctx SpecContext) {
		svc := &corev1.Service{}
		Expect(suite.Client.Get(ctx, keyOf("web-sticky"), svc)).To(Succeed())
		vip := svc.Spec.ClusterIP
		Eventually(ctx, node.Addresses).Should(ContainElement(vip))
		Expect(suite.Client.Delete(ctx, svc)).To(Succeed())
		Eventually(ctx, node.Addresses).Should(Not(ContainElement(vip)))
		status, err := node.Status(ctx)
		Expect(err).NotTo(HaveOccurred())
		Expect(status).NotTo(ContainSubstring(vip+":80"), "its virtual server is gone too")
		Expect(errorsIn(get(ctx, node, vip+":80", 1))).To(HaveLen(1), "nothing answers on the old VIP")
	}, SpecTimeout(2*time.Minute))

	It("routes to a not-ready pod when publishNotReadyAddresses is true", func(ctx SpecContext) {
		lonely := map[string]string{"app": "lonely"}
		pod := vmPod("lonely-0", "10.244.2.40", lonely)
		pod.Status.Conditions[0].Status = corev1.ConditionFalse
		Expect(createPodWithStatus(ctx, pod)).To(Succeed())
		publish := httpService("lonely-published", lonely)
		publish.Spec.PublishNotReadyAddresses = true
		target := createService(ctx, publish)
		plain := createService(ctx, httpService("lonely", lonely))
		Eventually(ctx, func() []string { return get(ctx, node, target, 2) }).Should(Equal([]string{"lonely-0", "lonely-0"}))
		// The same pod behind a Service without the flag stays out of reach: it is not ready.
		Expect(errorsIn(get(ctx, node, plain, 2))).To(HaveLen(2))
	}, SpecTimeout(2*time.Minute))

	It("measures the network programming latency: pod ready → first connection through the VIP", func(ctx SpecContext) {
		// The VIP already answers (web-0..5); the new pod's first answer through it is the moment the
		// whole chain (kubelet status → controller → EndpointSlice → agent → IPVS) has run.
		target := svcTarget(ctx, "web")
		pod := vmPod("web-6", "10.244.2.16", web)
		pod.Status.Conditions[0].Status = corev1.ConditionFalse
		Expect(createPodWithStatus(ctx, pod)).To(Succeed())
		Eventually(ctx, node.Pods).Should(ContainElement(trafficNamespace + "/web-6 10.244.2.16"))
		var samples []time.Duration
		for round := range 3 {
			start := time.Now()
			setPodReady(ctx, "web-6", true)
			Eventually(ctx, func() []string { return get(ctx, node, target, 7) }).WithPolling(pollInterval).Should(ContainElement("web-6"))
			samples = append(samples, time.Since(start))
			setPodReady(ctx, "web-6", false)
			Eventually(ctx, func() []string { return get(ctx, node, target, 7) }).WithPolling(pollInterval).
				ShouldNot(ContainElement("web-6"), "round %d: web-6 leaves again", round)
		}
		slices.Sort(samples)
		report("network programming latency", "pod ready -> first connection through %s: min %v, median %v, max %v (3 rounds, TCG VM)",
			target, samples[0].Round(10*time.Millisecond), samples[1].Round(10*time.Millisecond), samples[2].Round(10*time.Millisecond))
	}, SpecTimeout(3*time.Minute))

	// Reliability (issue 6) on the same VM node: a foreign EndpointSlice, then the agent's SIGKILL.
	foreignSliceSpec(func() *vmnode.Node { return node })
	agentKillSpec(func() *vmnode.Node { return node })

	It("ran slicelb-node in the VM without an RBAC refusal", func() {
		log, err := node.Process.Logs()
		Expect(err).NotTo(HaveOccurred())
		var agent []string
		for _, l := range strings.Split(log, "\n") {
			if strings.HasPrefix(strings.TrimSpace(l), "node| ") {
				agent = append(agent, l)
			}
		}
		Expect(agent).NotTo(BeEmpty(), "the agent's log lines reach the console")
		Expect(forbiddenLines(strings.Join(agent, "\n"))).To(BeEmpty())
	})
})
