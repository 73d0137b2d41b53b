package controllers

import (
	"encoding/json"
	"fmt"
	"net/http"
	"strings"
	"text/tabwriter"

	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/client-go/rest"

	"github.com/slicelb/slicelb/api/v1alpha1"
)

// policyTable asks the API server for the namespace's policies as a meta.k8s.io Table, the
// request `kubectl get lbp` makes, so the CRD's printer columns are what is rendered.
func policyTable(ns string) *metav1.Table {
	hc, err := rest.HTTPClientFor(cfg)
	Expect(err).NotTo(HaveOccurred())
	url := strings.TrimSuffix(cfg.Host, "/") + "/apis/networking.slicelb.io/v1alpha1/namespaces/" + ns + "/loadbalancingpolicies"
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, url, nil)
	Expect(err).NotTo(HaveOccurred())
	req.Header.Set("Accept", "application/json;as=Table;v=v1;g=meta.k8s.io")
	resp, err := hc.Do(req)
	Expect(err).NotTo(HaveOccurred())
	defer func() { _ = resp.Body.Close() }()
	Expect(resp.StatusCode).To(Equal(http.StatusOK))
	table := &metav1.Table{}
	Expect(json.NewDecoder(resp.Body).Decode(table)).To(Succeed())
	return table
}

// renderTable prints a Table the way kubectl does: upper-case headers, aligned columns, only the
// columns of priority <= maxPriority (0: the default view, 1: -o wide).
func renderTable(t *metav1.Table, maxPriority int32) string {
	var b strings.Builder
	w := tabwriter.NewWriter(&b, 0, 8, 3, ' ', 0)
	var headers []string
	for _, c := range t.ColumnDefinitions {
		if c.Priority <= maxPriority {
			headers = append(headers, strings.ToUpper(c.Name))
		}
	}
	_, _ = fmt.Fprintln(w, strings.Join(headers, "\t"))
	for _, row := range t.Rows {
		var cells []string
		for i, c := range row.Cells {
			if t.ColumnDefinitions[i].Priority <= maxPriority {
				cells = append(cells, fmt.Sprint(c))
			}
		}
		_, _ = fmt.Fprintln(w, strings.Join(cells, "\t"))
	}
	Expect(w.Flush()).To(Succeed())
	return b.String()
}

var _ = Describe("LoadBalancingPolicy listing", func() {
	It("shows scheduler, first target, acceptance, reason and (wide) the message in the printer columns (kubectl get lbp)", func() {
		ns := newNamespace()
		policyTarget(ns, "web")
		policyTarget(ns, "api")
		older := newPolicy(ns, "web-sticky", "sh", "web", "api")
		Expect(k8sClient.Create(ctx, older)).To(Succeed())
		Eventually(acceptedOf(ns, "web-sticky")).Should(HavePrefix("True/Accepted/"))
		createAfter(older, newPolicy(ns, "web-fast", "lc", "web"))
		Expect(k8sClient.Create(ctx, newPolicy(ns, "cache", "mh", "cache"))).To(Succeed())
		Eventually(acceptedOf(ns, "web-fast")).Should(HavePrefix("False/Conflicted/"))
		Eventually(acceptedOf(ns, "cache")).Should(HavePrefix("False/TargetNotFound/"))

		table := policyTable(ns)
		var names []string
		for _, c := range table.ColumnDefinitions {
			names = append(names, fmt.Sprintf("%s:%d", c.Name, c.Priority))
		}
		// Priority 1 columns are kubectl's -o wide.
		Expect(names).To(Equal([]string{"Name:0", "Scheduler:0", "Target:0", "Accepted:0", "Reason:0", "Age:0", "Message:1"}))
		var rows [][]any
		for _, r := range table.Rows {
			Expect(r.Cells).To(HaveLen(7))
			rows = append(rows, append(r.Cells[:5:5], r.Cells[6])) // Age varies
		}
		Expect(rows).To(Equal([][]any{
			{"cache", "mh", "cache", "False", v1alpha1.ReasonTargetNotFound, `Service "cache" not found`},
			{"web-fast", "lc", "web", "False", v1alpha1.ReasonConflicted,
				`Service "web" is governed by the older LoadBalancingPolicy "web-sticky"`},
			{"web-sticky", "sh", "web", "True", v1alpha1.ReasonAccepted, `Applied to Services "web", "api"`},
		}))
		// Shown by -ginkgo.v: the listing a user gets.
		AddReportEntry("kubectl get lbp -n "+ns, renderTable(table, 0))
		AddReportEntry("kubectl get lbp -o wide -n "+ns, renderTable(table, 1))
	})
})
