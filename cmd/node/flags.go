package main

import (
	"errors"
	"flag"
	"fmt"
	"net/netip"
	"os"
	"strings"
	"time"

	"sigs.k8s.io/controller-runtime/pkg/log/zap"

	"github.com/slicelb/slicelb/dataplane/ipvs"
	"github.com/slicelb/slicelb/dataplane/proxier"
)

// options are the command line settings of slicelb-node.
type options struct {
	nodeName          string
	kubeconfig        string
	scheduler         string
	nodePortAddresses []netip.Prefix
	strictARP         bool
	minSyncPeriod     time.Duration
	syncPeriod        time.Duration
	drainTimeout      time.Duration
	metricsAddr       string
	metricsSecure     bool
	probeAddr         string
	serviceProxyName  string
	procSys           string
	cleanup           bool
	policies          bool
	fakeKernel        bool
	zap               zap.Options
}

// parseFlags parses args into options and validates them. getenv supplies NODE_NAME (the
// DaemonSet sets it from spec.nodeName through the downward API).
func parseFlags(fs *flag.FlagSet, args []string, getenv func(string) string) (options, error) {
	var o options
	var nodePortCIDRs string
	fs.StringVar(&o.nodeName, "node-name", getenv("NODE_NAME"), "Name of the Node this agent programs (default $NODE_NAME).")
	fs.StringVar(&o.kubeconfig, "kubeconfig", "", "Path to a kubeconfig; in-cluster configuration (or $KUBECONFIG) when empty.")
	fs.StringVar(&o.scheduler, "ipvs-scheduler", proxier.DefaultScheduler, "IPVS scheduler of every virtual server (rr, wrr, lc, wlc, sh, mh, ...).")
	fs.StringVar(&nodePortCIDRs, "nodeport-addresses", "", "Comma-separated CIDRs: NodePorts are served on the node addresses inside them (default: every node address).")
	fs.BoolVar(&o.strictARP, "strict-arp", false, "Set arp_ignore=1 and arp_announce=2 so the VIPs on slicelb0 are not announced (L2 load balancers need it).")
	fs.DurationVar(&o.minSyncPeriod, "min-sync-period", time.Second, "Minimum time between two syncs: events inside it are coalesced into one sync.")
	fs.DurationVar(&o.syncPeriod, "sync-period", 30*time.Second, "Maximum time between two syncs, and how often a sync re-reads the whole IPVS table (the full resync that repairs drift; syncs in between plan against the table as last read and programmed).")
	fs.DurationVar(&o.drainTimeout, "drain-timeout", proxier.DefaultDrainTimeout, "How long a removed TCP real server drains at weight 0 before it is deleted.")
	fs.StringVar(&o.metricsAddr, "metrics-bind-address", ":10259", "Address the metrics endpoint binds to; 0 disables it.")
	fs.BoolVar(&o.metricsSecure, "metrics-secure", true, "Serve metrics over HTTPS with authentication and authorization.")
	fs.StringVar(&o.probeAddr, "health-probe-bind-address", ":10266", "Address /healthz and /readyz bind to.")
	fs.StringVar(&o.serviceProxyName, "service-proxy-name", "", "Serve only Services labelled service.kubernetes.io/service-proxy-name=<this> (empty: only unlabelled ones, like kube-proxy).")
	fs.StringVar(&o.procSys, "proc-sys", "/proc/sys", "Where the host's /proc/sys is mounted (the DaemonSet mounts it read-write at /host/proc/sys).")
	fs.BoolVar(&o.policies, "policies", true, "Apply LoadBalancingPolicy objects (networking.slicelb.io; the CRD must be installed).")
	fs.BoolVar(&o.fakeKernel, "fake-kernel", false, "Program an in-memory IPVS table, dummy interface and nftables instead of the kernel "+
		"(for hosts without IPVS: API access, RBAC, metrics, probes and the sync loop still run; not for production).")
	fs.BoolVar(&o.cleanup, "cleanup", false, "Remove every virtual server, VIP and nftables table this agent owns, and nothing else, then exit.")
	o.zap.BindFlags(fs)
	if err := fs.Parse(args); err != nil {
		return o, err
	}
	for _, c := range strings.Split(nodePortCIDRs, ",") {
		if c = strings.TrimSpace(c); c == "" {
			continue
		}
		p, err := netip.ParsePrefix(c)
		if err != nil {
			return o, fmt.Errorf("--nodeport-addresses: %w", err)
		}
		o.nodePortAddresses = append(o.nodePortAddresses, p.Masked())
	}
	return o, o.validate()
}

func (o options) validate() error {
	var errs []error
	if !ipvs.ValidScheduler(o.scheduler) {
		errs = append(errs, fmt.Errorf("--ipvs-scheduler: unknown scheduler %q", o.scheduler))
	}
	if o.minSyncPeriod < 0 || o.syncPeriod <= 0 || o.minSyncPeriod > o.syncPeriod {
		errs = append(errs, fmt.Errorf("want 0 <= --min-sync-period (%v) <= --sync-period (%v), sync period > 0", o.minSyncPeriod, o.syncPeriod))
	}
	if o.drainTimeout <= 0 {
		errs = append(errs, errors.New("--drain-timeout must be positive"))
	}
	// --cleanup can run without the API (it then uses the host's addresses); a sync cannot.
	if o.nodeName == "" && !o.cleanup {
		errs = append(errs, errors.New("--node-name (or $NODE_NAME) is required"))
	}
	return errors.Join(errs...)
}

// defaultFlagSet is the command's flag set; tests use their own.
func defaultFlagSet() *flag.FlagSet {
	fs := flag.NewFlagSet("slicelb-node", flag.ExitOnError)
	fs.SetOutput(os.Stderr)
	fs.Usage = func() {
		_, _ = fmt.Fprintf(fs.Output(), "Usage:\n  slicelb-node [flags]          program IPVS for this node\n"+
			"  slicelb-node --cleanup        remove what slicelb-node owns, then exit\n"+
			"  slicelb-node status           print the IPVS table (ipvsadm -Ln layout)\n\nFlags:\n")
		fs.PrintDefaults()
	}
	return fs
}
