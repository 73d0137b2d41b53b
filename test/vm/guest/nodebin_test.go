package guest

import (
	"net/netip"
	"os/exec"
	"strings"

	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"
	corev1 "k8s.io/api/core/v1"

	"github.com/slicelb/slicelb/dataplane/agent"
	"github.com/slicelb/slicelb/dataplane/ipvs"
)

// nodeBinary is the real, statically built slicelb-node that test/vm bakes into the initramfs.
const nodeBinary = "/bin/slicelb-node"

// run runs a program and returns its standard output; its logs (standard error) go to the spec's
// output.
func run(name string, args ...string) ([]byte, error) {
	cmd := exec.Command(name, args...)
	cmd.Stderr = GinkgoWriter
	return cmd.Output()
}

var _ = Describe("The slicelb-node binary on a real kernel", func() {
	AfterEach(cleanupAgent)

	It("`slicelb-node status` prints the ipvsadm layout; `slicelb-node --cleanup` removes what the agent owns and leaves a foreign virtual server", func() {
		foreign := ipvs.VirtualServer{Address: netip.MustParseAddr("10.96.99.98"), Protocol: ipvs.TCP, Port: 80, Scheduler: "wlc"}
		Expect(kernel.ipvs.AddVirtualServer(foreign)).To(Succeed())
		DeferCleanup(func() { Expect(kernel.ipvs.DeleteVirtualServer(foreign.Key())).To(Succeed()) })
		Expect(kernel.ipvs.AddRealServer(foreign.Key(), ipvs.RealServer{Address: pods[3].IP, Port: podPort, Weight: 2})).To(Succeed())
		apply(startAgent(), snapshot([]*corev1.Service{
			service("bin", "10.96.0.90", corev1.ProtocolTCP, 80, nodePort(30090, corev1.ServiceExternalTrafficPolicyCluster))},
			endpointSlice("bin", corev1.ProtocolTCP, ready(pods[0]), ready(pods[1]))))

		out, err := run(nodeBinary, "status")
		Expect(err).NotTo(HaveOccurred())
		status := string(out)
		want := agent.KernelStatusHeader() + "\n" + table().String()
		Expect(status).To(Equal(want))
		for _, line := range []string{
			"TCP  10.0.250.10:30090 rr", "TCP  10.96.0.90:80 rr", "TCP  10.96.99.98:80 wlc",
			"  -> 10.0.1.2:8080", "  -> 10.0.4.2:8080",
		} {
			Expect(status).To(ContainSubstring(line))
		}

		_, err = run(nodeBinary, "--cleanup")
		Expect(err).NotTo(HaveOccurred())
		after := table()
		Expect(after).To(HaveLen(1), "only the foreign virtual server is left:\n%s", after)
		Expect(after[0].VirtualServer).To(Equal(foreign))
		Expect(after[0].RealServers).To(HaveLen(1))
		Expect(after[0].RealServers[0].Weight).To(Equal(2))
		Expect(kernel.netif.Addresses()).To(BeEmpty())
		measure("slicelb-node binary: status printed %d lines (== ipvsadm -Ln layout of the kernel, header %q); --cleanup left %d virtual server(s): %s",
			strings.Count(status, "\n"), agent.KernelStatusHeader(), len(after), after[0].VirtualServer)
	})
})
