package cluster

import (
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	authenticationv1 "k8s.io/api/authentication/v1"
	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/client-go/kubernetes"
	"k8s.io/client-go/rest"
)

// childDirEnv makes the test binary the "make demo" process: start a detached control plane and a
// process in the directory it names, then exit.
const childDirEnv = "SLICELB_CLUSTER_TEST_CHILD_DIR"

// TestDetachedLifecycle runs the demo's life cycle: a child program starts a detached control plane
// and a process and exits; they keep running; this program attaches, checks the admin and a
// ServiceAccount identity and the guest kubeconfig, and stops everything, which must leave nothing
// running. It needs the envtest binaries (KUBEBUILDER_ASSETS; `make test-e2e` builds them).
func TestDetachedLifecycle(t *testing.T) {
	if dir := os.Getenv(childDirEnv); dir != "" {
		startDetachedChild(t, dir)
		return
	}
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
	defer cancel()
	dir := t.TempDir()
	child := exec.CommandContext(ctx, os.Args[0], "-test.run=^TestDetachedLifecycle$", "-test.count=1")
	child.Env = append(os.Environ(), childDirEnv+"="+dir)
	if out, err := child.CombinedOutput(); err != nil {
		t.Fatalf("child that starts the detached cluster: %v\n%s", err, out)
	}
	t.Cleanup(func() { _ = StopDir(dir) })
	c, err := Attach(dir)
	if err != nil {
		t.Fatalf("Attach after the starting program exited: %v", err)
	}

	admin, err := LoadKubeconfig(filepath.Join(dir, "kubeconfig"))
	if err != nil {
		t.Fatal(err)
	}
	cs := clientset(t, admin.RESTConfig())
	if _, err := cs.CoreV1().Namespaces().Get(ctx, "default", metav1.GetOptions{}); err != nil {
		t.Fatalf("admin kubeconfig from disk cannot read namespace default: %v", err)
	}
	svc, err := cs.CoreV1().Services("default").Create(ctx, &corev1.Service{
		ObjectMeta: metav1.ObjectMeta{Name: "wide"},
		Spec:       corev1.ServiceSpec{Ports: []corev1.ServicePort{{Port: 80}}},
	}, metav1.CreateOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if !strings.HasPrefix(svc.Spec.ClusterIP, "10.96.") {
		t.Errorf("cluster IP %s is not from the default 10.96.0.0/16", svc.Spec.ClusterIP)
	}

	checkServiceAccount(ctx, t, c, cs)
	checkGuest(t, admin)

	sleeper, err := c.StartProcess(ProcessOptions{Name: "sleeper2", Path: "/bin/sleep", Args: []string{"300"}})
	if err != nil {
		t.Fatal(err)
	}
	if l, err := os.ReadFile(c.LogPath("sleeper")); err != nil || string(l) != "started\n" {
		t.Errorf("the child's process log: %q, %v", l, err)
	}
	if exited, _ := sleeper.Exited(); exited {
		t.Error("sleeper2 exited early")
	}
	again, err := c.StartProcess(ProcessOptions{Name: "sleeper2", Path: "/bin/sleep", Args: []string{"300"}})
	if err != nil {
		t.Fatal(err)
	}
	if again.Name() != "sleeper2-2" || again.LogPath() != c.LogPath("sleeper2-2") {
		t.Errorf("second process named sleeper2: name %q, log %q", again.Name(), again.LogPath())
	}
	running, _ := readPids(dir)
	if got := names(running); got != "etcd kube-apiserver sleeper sleeper2 sleeper2-2" && got != "kube-apiserver etcd sleeper sleeper2 sleeper2-2" {
		t.Errorf("recorded running processes %q, want etcd, kube-apiserver, sleeper, sleeper2, sleeper2-2", got)
	}
	if err := c.Stop(); err != nil {
		t.Fatalf("Stop of the attached cluster: %v", err)
	}
	for _, e := range running {
		if e.alive() {
			t.Errorf("%s (pid %d) still runs after Stop", e.Name, e.Pid)
		}
	}
	if _, err := Attach(dir); err == nil {
		t.Error("Attach succeeded after Stop")
	}
}

// checkServiceAccount: a minted kubeconfig is that ServiceAccount and nothing more.
func checkServiceAccount(ctx context.Context, t *testing.T, c *Cluster, admin kubernetes.Interface) {
	t.Helper()
	if _, err := admin.CoreV1().ServiceAccounts("default").Create(ctx, &corev1.ServiceAccount{ObjectMeta: metav1.ObjectMeta{Name: "probe"}}, metav1.CreateOptions{}); err != nil {
		t.Fatal(err)
	}
	sa, err := c.ServiceAccount(ctx, "default", "probe")
	if err != nil {
		t.Fatal(err)
	}
	path := filepath.Join(c.Dir, "sa.kubeconfig")
	if err := sa.Write(path); err != nil {
		t.Fatal(err)
	}
	loaded, err := LoadKubeconfig(path)
	if err != nil {
		t.Fatal(err)
	}
	cs := clientset(t, loaded.RESTConfig())
	review, err := cs.AuthenticationV1().SelfSubjectReviews().Create(ctx, &authenticationv1.SelfSubjectReview{}, metav1.CreateOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if got := review.Status.UserInfo.Username; got != "system:serviceaccount:default:probe" {
		t.Errorf("ServiceAccount kubeconfig authenticates as %q", got)
	}
	if _, err := cs.CoreV1().Secrets("default").List(ctx, metav1.ListOptions{}); !apierrors.IsForbidden(err) {
		t.Errorf("ServiceAccount without RBAC listing Secrets: err = %v, want Forbidden", err)
	}
}

// checkGuest: the guest variant names 10.0.2.2 and verifies the certificate as localhost, a name
// the serving certificate carries (shown by connecting to 127.0.0.1 with that server name).
func checkGuest(t *testing.T, admin Kubeconfig) {
	t.Helper()
	guest, err := admin.ForGuest()
	if err != nil {
		t.Fatal(err)
	}
	if !strings.HasPrefix(guest.Server, "https://10.0.2.2:") || guest.TLSServerName != "localhost" {
		t.Errorf("guest kubeconfig: server %q, tls-server-name %q", guest.Server, guest.TLSServerName)
	}
	viaLoopback := admin
	viaLoopback.TLSServerName = guest.TLSServerName
	if _, err := clientset(t, viaLoopback.RESTConfig()).Discovery().ServerVersion(); err != nil {
		t.Errorf("the serving certificate does not verify as localhost: %v", err)
	}
}

// startDetachedChild is the child's part: a detached cluster with one process, then exit without
// stopping anything.
func startDetachedChild(t *testing.T, dir string) {
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	c, err := Start(ctx, Options{Dir: dir, Detached: true})
	if err != nil {
		t.Fatal(err)
	}
	p, err := c.StartProcess(ProcessOptions{Name: "sleeper", Path: "/bin/sh", Args: []string{"-c", "echo started; exec sleep 300"}})
	if err != nil {
		t.Fatal(err)
	}
	waitFor(t, func() bool { l, _ := p.Logs(); return l == "started\n" })
}

func clientset(t *testing.T, cfg *rest.Config) *kubernetes.Clientset {
	t.Helper()
	cs, err := kubernetes.NewForConfig(cfg)
	if err != nil {
		t.Fatal(err)
	}
	return cs
}

func names(es []pidEntry) string {
	var out []string
	for _, e := range es {
		out = append(out, e.Name)
	}
	return strings.Join(out, " ")
}

func waitFor(t *testing.T, cond func() bool) {
	t.Helper()
	for deadline := time.Now().Add(10 * time.Second); time.Now().Before(deadline); time.Sleep(50 * time.Millisecond) {
		if cond() {
			return
		}
	}
	t.Fatal("condition not met within 10s")
}

func TestMain(m *testing.M) {
	if os.Getenv("KUBEBUILDER_ASSETS") == "" {
		fmt.Fprintln(os.Stderr, "test/cluster needs KUBEBUILDER_ASSETS (kube-apiserver and etcd; make envtest)")
		os.Exit(1)
	}
	os.Exit(m.Run())
}
