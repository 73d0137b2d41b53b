package controllers

import (
	"context"
	"time"

	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	apimeta "k8s.io/apimachinery/pkg/api/meta"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	ctrl "sigs.k8s.io/controller-runtime"
	"sigs.k8s.io/controller-runtime/pkg/log"

	"github.com/slicelb/slicelb/api/v1alpha1"
)

// conflictRequeueDelay is how long a status write that lost a resourceVersion race waits before
// the policy is resolved again from the (by then refreshed) cache.
const conflictRequeueDelay = 250 * time.Millisecond

// writeStatus writes the Accepted condition when it differs from the stored one (status, reason,
// message or observedGeneration; meta.SetStatusCondition keeps lastTransitionTime unless the status
// flips), so that a resync with nothing changed makes no API write. An Event marks every change of
// reason, after the write succeeded.
func (r *LoadBalancingPolicyReconciler) writeStatus(ctx context.Context, p *v1alpha1.LoadBalancingPolicy,
	cond metav1.Condition) (ctrl.Result, error) {
	var prevReason string
	if prev := apimeta.FindStatusCondition(p.Status.Conditions, cond.Type); prev != nil {
		prevReason = prev.Reason
	}
	updated := p.DeepCopy()
	if !apimeta.SetStatusCondition(&updated.Status.Conditions, cond) {
		return ctrl.Result{}, nil
	}
	// Update, not Patch: the resourceVersion makes a write from a stale cache fail with a
	// conflict instead of overwriting a newer status; the requeue then reads the fresh object.
	if err := r.Client.Status().Update(ctx, updated); err != nil {
		switch {
		case apierrors.IsNotFound(err):
			return ctrl.Result{}, nil
		case apierrors.IsConflict(err):
			return ctrl.Result{RequeueAfter: conflictRequeueDelay}, nil
		}
		return ctrl.Result{}, err
	}
	log.FromContext(ctx).V(1).Info("Updated LoadBalancingPolicy status", "reason", cond.Reason, "observedGeneration", cond.ObservedGeneration)
	if cond.Reason != prevReason {
		eventType := corev1.EventTypeWarning
		if cond.Status == metav1.ConditionTrue {
			eventType = corev1.EventTypeNormal
		}
		r.Recorder.Eventf(updated, nil, eventType, cond.Reason, "Resolve", "%s", cond.Message)
	}
	return ctrl.Result{}, nil
}
