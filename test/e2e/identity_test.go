package e2e

import (
	"context"
	"crypto/tls"
	"fmt"
	"io"
	"net/http"
	"path/filepath"
	"regexp"
	"strings"
	"time"

	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"
	authorizationv1 "k8s.io/api/authorization/v1"
	corev1 "k8s.io/api/core/v1"
	rbacv1 "k8s.io/api/rbac/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/client-go/kubernetes"
	"sigs.k8s.io/controller-runtime/pkg/client"

	"github.com/slicelb/slicelb/test/cluster"
)

// serviceAccountKubeconfig mints a kubeconfig for the ServiceAccount slicelb-system/NAME (created
// by `make deploy`) and writes it to the state directory; it returns the file and the identity.
func serviceAccountKubeconfig(ctx context.Context, name string) (string, cluster.Kubeconfig) {
	GinkgoHelper()
	kc, err := suite.Cluster.ServiceAccount(ctx, systemNamespace, name)
	Expect(err).NotTo(HaveOccurred())
	path := filepath.Join(suite.Cluster.Dir, name+".kubeconfig")
	Expect(kc.Write(path)).To(Succeed())
	return path, kc
}

// saUser is the user name the API server gives a ServiceAccount's tokens.
func saUser(name string) string { return "system:serviceaccount:" + systemNamespace + ":" + name }

// forbiddenLine matches what client-go and controller-runtime log when RBAC refuses a request
// ("... is forbidden: User \"system:serviceaccount:...\" cannot list resource ...").
var forbiddenLine = regexp.MustCompile(`(?i)forbidden|cannot (get|list|watch|create|update|patch|delete)`)

// forbiddenLines returns the log's lines that report an RBAC refusal.
func forbiddenLines(log string) []string {
	var out []string
	for _, l := range strings.Split(log, "\n") {
		if forbiddenLine.MatchString(l) {
			out = append(out, l)
		}
	}
	return out
}

// failFastOnForbidden stops an Eventually at once when the process died or logged an RBAC
// refusal: waiting for readiness would only time out later with less to say.
func failFastOnForbidden(p *cluster.Process) {
	if exited, err := p.Exited(); exited {
		logs, _ := p.Logs()
		StopTrying(fmt.Sprintf("%s exited (%v):\n%s", p.Name(), err, logs)).Now()
	}
	logs, _ := p.Logs()
	failFastOnForbiddenLog(logs)
}

// failFastOnForbiddenLog stops an Eventually at once when the log holds an RBAC refusal.
func failFastOnForbiddenLog(logs string) {
	if lines := forbiddenLines(logs); len(lines) > 0 {
		StopTrying("refused a request it needs:\n" + strings.Join(lines, "\n")).Now()
	}
}

// expectNoSecretAccess shows that the ServiceAccount cannot read Secrets: the API server's own
// SubjectAccessReview for every read verb, cluster-wide and in its namespace, and a direct GET
// with its kubeconfig, which must come back Forbidden.
func expectNoSecretAccess(ctx context.Context, name string, kc cluster.Kubeconfig) {
	GinkgoHelper()
	for _, ns := range []string{"", systemNamespace} {
		for _, verb := range []string{"get", "list", "watch"} {
			sar := &authorizationv1.SubjectAccessReview{Spec: authorizationv1.SubjectAccessReviewSpec{
				User:               saUser(name),
				Groups:             []string{"system:serviceaccounts", "system:serviceaccounts:" + systemNamespace, "system:authenticated"},
				ResourceAttributes: &authorizationv1.ResourceAttributes{Namespace: ns, Verb: verb, Resource: "secrets"},
			}}
			Expect(suite.Client.Create(ctx, sar)).To(Succeed())
			Expect(sar.Status.Allowed).To(BeFalse(), "%s may %s secrets in namespace %q", name, verb, ns)
		}
	}
	cs, err := kubernetes.NewForConfig(kc.RESTConfig())
	Expect(err).NotTo(HaveOccurred())
	_, err = cs.CoreV1().Secrets(systemNamespace).List(ctx, metav1.ListOptions{})
	Expect(apierrors.IsForbidden(err)).To(BeTrue(), "listing Secrets as %s: %v", name, err)
	_, err = cs.CoreV1().Secrets(metav1.NamespaceAll).List(ctx, metav1.ListOptions{})
	Expect(apierrors.IsForbidden(err)).To(BeTrue(), "listing all Secrets as %s: %v", name, err)
}

// scraperToken returns a token of a new ServiceAccount e2e/NAME, bound to the deployed
// slicelb-metrics-reader ClusterRole when bind is set: the metrics endpoints must serve the first
// and refuse the second, which they decide through TokenReview and SubjectAccessReview requests
// made with their own ServiceAccount's permissions.
func scraperToken(ctx context.Context, name string, bind bool) string {
	GinkgoHelper()
	ns := &corev1.Namespace{ObjectMeta: metav1.ObjectMeta{Name: "e2e-scrapers"}}
	Expect(client.IgnoreAlreadyExists(suite.Client.Create(ctx, ns))).To(Succeed())
	sa := &corev1.ServiceAccount{ObjectMeta: metav1.ObjectMeta{Namespace: ns.Name, Name: name}}
	Expect(client.IgnoreAlreadyExists(suite.Client.Create(ctx, sa))).To(Succeed())
	if bind {
		crb := &rbacv1.ClusterRoleBinding{
			ObjectMeta: metav1.ObjectMeta{Name: "e2e-" + name},
			RoleRef:    rbacv1.RoleRef{APIGroup: rbacv1.GroupName, Kind: "ClusterRole", Name: "slicelb-metrics-reader"},
			Subjects:   []rbacv1.Subject{{Kind: rbacv1.ServiceAccountKind, Namespace: ns.Name, Name: name}},
		}
		Expect(client.IgnoreAlreadyExists(suite.Client.Create(ctx, crb))).To(Succeed())
	}
	kc, err := suite.Cluster.ServiceAccount(ctx, ns.Name, name)
	Expect(err).NotTo(HaveOccurred())
	return kc.Token
}

// scrape GETs an HTTPS metrics endpoint with a bearer token, none when token is empty (the
// binaries serve a self-signed certificate) and returns the status code and body.
func scrape(ctx context.Context, url, token string) (int, string, error) {
	hc := &http.Client{Timeout: 5 * time.Second, Transport: &http.Transport{
		TLSClientConfig: &tls.Config{InsecureSkipVerify: true}, //nolint:gosec // the binaries' self-signed serving cert
	}}
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, url, nil)
	if err != nil {
		return 0, "", err
	}
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	resp, err := hc.Do(req)
	if err != nil {
		return 0, "", err
	}
	defer func() { _ = resp.Body.Close() }()
	b, err := io.ReadAll(resp.Body)
	return resp.StatusCode, string(b), err
}

// expectUnauthenticatedRefused checks that the metrics endpoint answers 401 without a token
// and with a token the API server does not know.
func expectUnauthenticatedRefused(ctx context.Context, url string) {
	GinkgoHelper()
	for _, token := range []string{"", "not-a-token-the-api-server-issued"} {
		code, _, err := scrape(ctx, url, token)
		Expect(err).NotTo(HaveOccurred())
		Expect(code).To(Equal(http.StatusUnauthorized), "token %q", token)
	}
}

// probe GETs a plain-HTTP health endpoint and returns its status code (0 when unreachable).
func probe(ctx context.Context, url string) int {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, url, nil)
	if err != nil {
		return 0
	}
	resp, err := (&http.Client{Timeout: 2 * time.Second}).Do(req)
	if err != nil {
		return 0
	}
	_ = resp.Body.Close()
	return resp.StatusCode
}
