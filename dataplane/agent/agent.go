package agent

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"time"

	corev1 "k8s.io/api/core/v1"
	discoveryv1 "k8s.io/api/discovery/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/client-go/tools/events"
	"k8s.io/utils/clock"
	"sigs.k8s.io/controller-runtime/pkg/cache"
	"sigs.k8s.io/controller-runtime/pkg/client"
	"sigs.k8s.io/controller-runtime/pkg/log"

	"github.com/slicelb/slicelb/api/v1alpha1"
)

// The node agent reads Services, EndpointSlices and its own Node, and reports sync failures as
// events on its Node. It writes nothing else to the API.
// +kubebuilder:rbac:groups="",resources=services,verbs=get;list;watch
// +kubebuilder:rbac:groups="",resources=nodes,verbs=get;list;watch
// +kubebuilder:rbac:groups=discovery.k8s.io,resources=endpointslices,verbs=get;list;watch
// +kubebuilder:rbac:groups="",resources=events,verbs=create;patch
// +kubebuilder:rbac:groups=events.k8s.io,resources=events,verbs=create;patch

// AgentOptions wires an Agent.
type AgentOptions struct {
	// Cache must be configured with CacheOptions (its Node informer sees only this node).
	Cache    cache.Cache
	Syncer   *Syncer
	NodeName string
	// MinSyncPeriod and SyncPeriod are --min-sync-period and --sync-period.
	MinSyncPeriod, SyncPeriod time.Duration
	// Health is told about every successful sync (it serves /healthz).
	Health *Health
	// Recorder, when set, reports failed and recovered syncs as events on the Node.
	Recorder events.EventRecorder
	// WatchPolicies makes the agent watch LoadBalancingPolicies (the CRD must be installed and
	// the manager's scheme must hold api/v1alpha1) and apply their overrides.
	WatchPolicies bool
	// Clock defaults to the real clock.
	Clock clock.Clock
}

// Agent is slicelb-node's manager.Runnable: it waits for its caches, then syncs through a
// bounded-frequency runner whenever an event marked the state dirty, and every SyncPeriod.
type Agent struct {
	opts   AgentOptions
	runner *Runner

	mu     sync.Mutex
	failed bool // the last sync failed (an event was recorded)
}

// NewAgent returns an Agent; add it to a manager (or call Start).
func NewAgent(opts AgentOptions) *Agent {
	if opts.Clock == nil {
		opts.Clock = clock.RealClock{}
	}
	a := &Agent{opts: opts}
	a.runner = NewRunner(a.syncOnce, RunnerOptions{
		MinInterval: opts.MinSyncPeriod,
		MaxInterval: opts.SyncPeriod,
		Clock:       opts.Clock,
	})
	return a
}

// NeedLeaderElection is false: every node runs its own agent.
func (a *Agent) NeedLeaderElection() bool { return false }

// Start registers the event handlers, waits until every cache has synced — programming from a
// partial view would delete the virtual servers of Services not yet listed (kube-proxy's
// isInitialized) — and then runs the sync loop until ctx ends.
func (a *Agent) Start(ctx context.Context) error {
	logger := log.FromContext(ctx).WithValues("node", a.opts.NodeName)
	ctx = log.IntoContext(ctx, logger)
	var synced []func() bool
	watched := []client.Object{&corev1.Service{}, &discoveryv1.EndpointSlice{}, &corev1.Node{}}
	if a.opts.WatchPolicies {
		watched = append(watched, &v1alpha1.LoadBalancingPolicy{})
	}
	for _, obj := range watched {
		inf, err := a.opts.Cache.GetInformer(ctx, obj)
		if _, isPolicy := obj.(*v1alpha1.LoadBalancingPolicy); err != nil && isPolicy {
			return fmt.Errorf("watching LoadBalancingPolicies (install the CRD, or run with --policies=false): %w", err)
		}
		if err != nil {
			return fmt.Errorf("getting the %T informer: %w", obj, err)
		}
		reg, err := inf.AddEventHandler(dirtyHandler{trigger: a.runner.Trigger})
		if err != nil {
			return fmt.Errorf("registering the %T event handler: %w", obj, err)
		}
		synced = append(synced, reg.HasSynced)
	}
	if !a.opts.Cache.WaitForCacheSync(ctx) {
		return errors.New("caches did not sync")
	}
	for _, hasSynced := range synced {
		for !hasSynced() { // the handlers have seen the initial list too
			select {
			case <-ctx.Done():
				return nil
			case <-time.After(10 * time.Millisecond):
			}
		}
	}
	logger.Info("Caches synced, programming IPVS")
	a.runner.Trigger()
	a.runner.Loop(ctx)
	return nil
}

// syncOnce is the runner's function: snapshot the cache, sync, report.
func (a *Agent) syncOnce(ctx context.Context) error {
	snap, err := a.snapshot(ctx)
	if err != nil {
		return err
	}
	res, err := a.opts.Syncer.Sync(ctx, snap, a.opts.Clock.Now())
	a.report(snap.Node, err)
	if !res.NextDrainDeadline.IsZero() {
		a.runner.RunBy(res.NextDrainDeadline) // delete the real server when its drain times out
	}
	if a.opts.Health != nil && SyncCompleted(err) {
		a.opts.Health.RecordSync(a.opts.Clock.Now())
	}
	return err
}

// snapshot reads the inputs of a sync from the cache. The objects are not copied: the proxier is
// pure and never mutates its input, and copying 10,000 Services every second would cost more
// than the sync itself.
func (a *Agent) snapshot(ctx context.Context) (Snapshot, error) {
	var svcs corev1.ServiceList
	if err := a.opts.Cache.List(ctx, &svcs, client.UnsafeDisableDeepCopy); err != nil {
		return Snapshot{}, fmt.Errorf("listing Services: %w", err)
	}
	var slices discoveryv1.EndpointSliceList
	if err := a.opts.Cache.List(ctx, &slices, client.UnsafeDisableDeepCopy); err != nil {
		return Snapshot{}, fmt.Errorf("listing EndpointSlices: %w", err)
	}
	snap := Snapshot{
		Services: make([]*corev1.Service, len(svcs.Items)),
		Slices:   make([]*discoveryv1.EndpointSlice, len(slices.Items)),
	}
	for i := range svcs.Items {
		snap.Services[i] = &svcs.Items[i]
	}
	for i := range slices.Items {
		snap.Slices[i] = &slices.Items[i]
	}
	node := &corev1.Node{}
	err := a.opts.Cache.Get(ctx, client.ObjectKey{Name: a.opts.NodeName}, node)
	switch {
	case err == nil:
		snap.Node = node
	case apierrors.IsNotFound(err):
		// Without its Node the agent still serves ClusterIPs; NodePorts need the addresses.
		log.FromContext(ctx).Info("Node not found, serving without node addresses")
	default:
		return Snapshot{}, fmt.Errorf("getting Node %s: %w", a.opts.NodeName, err)
	}
	if a.opts.WatchPolicies {
		if snap.Policies, err = CachedPolicies(ctx, a.opts.Cache); err != nil {
			return Snapshot{}, err
		}
	}
	return snap, nil
}

// report records a Warning event on the Node when a sync fails and a Normal one when syncs
// recover; the events API aggregates repeats into a series.
func (a *Agent) report(node *corev1.Node, err error) {
	a.mu.Lock()
	defer a.mu.Unlock()
	if a.opts.Recorder == nil || (err == nil && !a.failed) {
		a.failed = err != nil
		return
	}
	if node == nil {
		node = &corev1.Node{ObjectMeta: metav1.ObjectMeta{Name: a.opts.NodeName}}
	}
	if err != nil {
		a.opts.Recorder.Eventf(node, nil, corev1.EventTypeWarning, "SyncFailed", "SyncIPVS",
			"Programming IPVS failed, retrying with backoff: %v", err)
	} else {
		a.opts.Recorder.Eventf(node, nil, corev1.EventTypeNormal, "SyncRecovered", "SyncIPVS",
			"Programming IPVS succeeded again")
	}
	a.failed = err != nil
}
