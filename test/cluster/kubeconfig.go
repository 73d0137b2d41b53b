package cluster

import (
	"context"
	"fmt"
	"net"
	"net/url"
	"os"
	"path/filepath"

	authenticationv1 "k8s.io/api/authentication/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/client-go/kubernetes"
	"k8s.io/client-go/rest"
	"k8s.io/client-go/tools/clientcmd"
	clientcmdapi "k8s.io/client-go/tools/clientcmd/api"
)

// GuestHostAddress is the host's loopback as qemu's user-mode network shows it to the guest.
const GuestHostAddress = "10.0.2.2"

// tokenLifetime is the lifetime asked for in TokenRequests: longer than any test or demo session.
// The API server may shorten it (--service-account-max-token-expiration); none is set here.
const tokenLifetime = 24 * 60 * 60

// Kubeconfig is the connection and identity a kubeconfig file carries.
type Kubeconfig struct {
	// Server is the API server's URL, https://HOST:PORT.
	Server string
	// TLSServerName, when set, is the name the serving certificate is checked against instead of
	// the Server's host (the certificate names localhost and 127.0.0.1 only).
	TLSServerName string
	// CAData is the PEM CA bundle that signed the serving certificate.
	CAData []byte
	// CertData and KeyData are a PEM client certificate and key (the admin).
	CertData, KeyData []byte
	// Token is a bearer token (a ServiceAccount's).
	Token string
	// User names the identity in the file (context and user entry names).
	User string
}

// kubeconfigFromREST copies a client-certificate REST config.
func kubeconfigFromREST(cfg *rest.Config) Kubeconfig {
	return Kubeconfig{
		Server: cfg.Host, TLSServerName: cfg.ServerName, CAData: cfg.CAData,
		CertData: cfg.CertData, KeyData: cfg.KeyData, Token: cfg.BearerToken, User: "admin",
	}
}

// RESTConfig is the REST config equivalent to the kubeconfig.
func (k Kubeconfig) RESTConfig() *rest.Config {
	return &rest.Config{
		Host:        k.Server,
		BearerToken: k.Token,
		TLSClientConfig: rest.TLSClientConfig{
			ServerName: k.TLSServerName, CAData: k.CAData, CertData: k.CertData, KeyData: k.KeyData,
		},
	}
}

// ForGuest is the same identity for a program in the test VM: the server becomes
// https://10.0.2.2:PORT (qemu's user-mode network forwards it to the host's 127.0.0.1:PORT) and the
// certificate is checked against "localhost", a name the serving certificate carries.
func (k Kubeconfig) ForGuest() (Kubeconfig, error) {
	u, err := url.Parse(k.Server)
	if err != nil {
		return Kubeconfig{}, err
	}
	u.Host = net.JoinHostPort(GuestHostAddress, u.Port())
	k.Server = u.String()
	k.TLSServerName = "localhost"
	return k, nil
}

// Bytes renders the kubeconfig file.
func (k Kubeconfig) Bytes() ([]byte, error) {
	name := k.User
	if name == "" {
		name = "user"
	}
	cfg := clientcmdapi.NewConfig()
	cfg.Clusters["slicelb-local"] = &clientcmdapi.Cluster{
		Server: k.Server, TLSServerName: k.TLSServerName, CertificateAuthorityData: k.CAData,
	}
	cfg.AuthInfos[name] = &clientcmdapi.AuthInfo{
		ClientCertificateData: k.CertData, ClientKeyData: k.KeyData, Token: k.Token,
	}
	cfg.Contexts[name] = &clientcmdapi.Context{Cluster: "slicelb-local", AuthInfo: name, Namespace: "default"}
	cfg.CurrentContext = name
	return clientcmd.Write(*cfg)
}

// Write writes the kubeconfig file (mode 0600: it holds a credential).
func (k Kubeconfig) Write(path string) error {
	b, err := k.Bytes()
	if err != nil {
		return err
	}
	if err := os.MkdirAll(filepath.Dir(path), 0o700); err != nil {
		return err
	}
	return os.WriteFile(path, b, 0o600)
}

// LoadKubeconfig reads a kubeconfig file written by Write (its current context).
func LoadKubeconfig(path string) (Kubeconfig, error) {
	cfg, err := clientcmd.LoadFromFile(path)
	if err != nil {
		return Kubeconfig{}, err
	}
	kc, ok := cfg.Contexts[cfg.CurrentContext]
	if !ok {
		return Kubeconfig{}, fmt.Errorf("%s: no current context", path)
	}
	cl, ai := cfg.Clusters[kc.Cluster], cfg.AuthInfos[kc.AuthInfo]
	if cl == nil || ai == nil {
		return Kubeconfig{}, fmt.Errorf("%s: context %q refers to a missing cluster or user", path, cfg.CurrentContext)
	}
	return Kubeconfig{
		Server: cl.Server, TLSServerName: cl.TLSServerName, CAData: cl.CertificateAuthorityData,
		CertData: ai.ClientCertificateData, KeyData: ai.ClientKeyData, Token: ai.Token, User: kc.AuthInfo,
	}, nil
}

// ServiceAccount mints a kubeconfig that authenticates as the existing ServiceAccount
// NAMESPACE/NAME (user system:serviceaccount:NAMESPACE:NAME, groups system:serviceaccounts and
// system:serviceaccounts:NAMESPACE) through the TokenRequest API, so a program using it has exactly
// the RBAC bound to that ServiceAccount. The API server signs the token with the service-account
// key envtest configures (--service-account-signing-key-file) and accepts it for its default
// audience (the issuer).
func (c *Cluster) ServiceAccount(ctx context.Context, namespace, name string) (Kubeconfig, error) {
	cs, err := kubernetes.NewForConfig(c.Config)
	if err != nil {
		return Kubeconfig{}, err
	}
	exp := int64(tokenLifetime)
	tr, err := cs.CoreV1().ServiceAccounts(namespace).CreateToken(ctx, name, &authenticationv1.TokenRequest{
		Spec: authenticationv1.TokenRequestSpec{ExpirationSeconds: &exp},
	}, metav1.CreateOptions{})
	if err != nil {
		return Kubeconfig{}, fmt.Errorf("requesting a token for ServiceAccount %s/%s: %w", namespace, name, err)
	}
	return Kubeconfig{
		Server: c.admin.Server, TLSServerName: c.admin.TLSServerName, CAData: c.admin.CAData,
		Token: tr.Status.Token, User: namespace + "-" + name,
	}, nil
}
