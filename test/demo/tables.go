package main

import (
	"context"
	"fmt"
	"io"
	"sort"
	"strings"
	"text/tabwriter"
	"time"

	corev1 "k8s.io/api/core/v1"
	discoveryv1 "k8s.io/api/discovery/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/client-go/kubernetes"
)

// now is the clock of the AGE columns (tests fix it).
var now = time.Now

// age renders like kubectl's short ages (5s, 3m).
func age(t metav1.Time) string {
	d := now().Sub(t.Time)
	if d < 2*time.Minute {
		return fmt.Sprintf("%ds", int(d.Seconds()))
	}
	return fmt.Sprintf("%dm", int(d.Minutes()))
}

// joinMax joins like kubectl's endpoints column: the first three, then "+ N more...".
func joinMax(items []string) string {
	if len(items) == 0 {
		return "<none>"
	}
	if len(items) > 3 {
		return strings.Join(items[:3], ",") + fmt.Sprintf(" + %d more...", len(items)-3)
	}
	return strings.Join(items, ",")
}

// printEndpoints renders `kubectl get endpoints -n demo`: ready addresses with their ports.
func printEndpoints(ctx context.Context, w io.Writer, cs kubernetes.Interface) error {
	list, err := cs.CoreV1().Endpoints(namespace).List(ctx, metav1.ListOptions{})
	if err != nil {
		return err
	}
	tw := tabwriter.NewWriter(w, 0, 8, 3, ' ', 0)
	_, _ = fmt.Fprintln(tw, "NAME\tENDPOINTS\tAGE")
	for _, ep := range list.Items {
		var items []string
		for _, ss := range ep.Subsets {
			for _, a := range ss.Addresses {
				for _, p := range ss.Ports {
					items = append(items, fmt.Sprintf("%s:%d", a.IP, p.Port))
				}
			}
		}
		_, _ = fmt.Fprintf(tw, "%s\t%s\t%s\n", ep.Name, joinMax(items), age(ep.CreationTimestamp))
	}
	return tw.Flush()
}

// printSlices renders `kubectl get endpointslices -n demo` plus who manages each slice and, per
// endpoint, its readiness (kubectl's ENDPOINTS column lists every address, ready or not).
func printSlices(ctx context.Context, w io.Writer, cs kubernetes.Interface) error {
	list, err := cs.DiscoveryV1().EndpointSlices(namespace).List(ctx, metav1.ListOptions{})
	if err != nil {
		return err
	}
	sort.Slice(list.Items, func(i, j int) bool { return list.Items[i].Name < list.Items[j].Name })
	tw := tabwriter.NewWriter(w, 0, 8, 3, ' ', 0)
	_, _ = fmt.Fprintln(tw, "NAME\tADDRESSTYPE\tPORTS\tENDPOINTS\tMANAGED-BY\tAGE")
	for _, s := range list.Items {
		var ports, addrs []string
		for _, p := range s.Ports {
			if p.Port != nil {
				ports = append(ports, fmt.Sprint(*p.Port))
			}
		}
		for _, e := range s.Endpoints {
			a := strings.Join(e.Addresses, ",")
			if e.Conditions.Ready != nil && !*e.Conditions.Ready {
				a += "(not ready)"
			}
			addrs = append(addrs, a)
		}
		portCol := strings.Join(ports, ",")
		if portCol == "" {
			portCol = "<unset>"
		}
		_, _ = fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\t%s\n", s.Name, s.AddressType, portCol, joinMax(addrs),
			s.Labels[discoveryv1.LabelManagedBy], age(s.CreationTimestamp))
	}
	return tw.Flush()
}

// printServices renders `kubectl get services -n demo`.
func printServices(ctx context.Context, w io.Writer, cs kubernetes.Interface) error {
	list, err := cs.CoreV1().Services(namespace).List(ctx, metav1.ListOptions{})
	if err != nil {
		return err
	}
	tw := tabwriter.NewWriter(w, 0, 8, 3, ' ', 0)
	_, _ = fmt.Fprintln(tw, "NAME\tTYPE\tCLUSTER-IP\tEXTERNAL-IP\tPORT(S)\tAFFINITY")
	for _, s := range list.Items {
		var ports []string
		for _, p := range s.Spec.Ports {
			if p.NodePort != 0 {
				ports = append(ports, fmt.Sprintf("%d:%d/%s", p.Port, p.NodePort, p.Protocol))
			} else {
				ports = append(ports, fmt.Sprintf("%d/%s", p.Port, p.Protocol))
			}
		}
		cip, ext := s.Spec.ClusterIP, "<none>"
		if s.Spec.Type == corev1.ServiceTypeExternalName {
			cip, ext = "<none>", s.Spec.ExternalName
		}
		_, _ = fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\t%s\n", s.Name, s.Spec.Type, cip, ext, joinMax(ports), s.Spec.SessionAffinity)
	}
	return tw.Flush()
}
