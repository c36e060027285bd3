// Package kubetest runs a real etcd and kube-apiserver for integration tests, from the binaries
// the project's toolchain builds (`npm run toolchain`), with token authentication as
// local/control-plane.ts does. Tests skip when the binaries are missing.
package kubetest

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"testing"
	"time"

	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"k8s.io/client-go/dynamic"
	"k8s.io/client-go/kubernetes"
	"k8s.io/client-go/rest"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	"portico.dev/agent/internal/netnstest"
)

// Options place the control plane.
type Options struct {
	// NS runs etcd and kube-apiserver in this network namespace ("" = the test's own, on loopback).
	NS string
	// IP is kube-apiserver's bind address (default 127.0.0.1).
	IP string
	// Register records processes with a lab (optional; they are killed at cleanup either way).
	Register func(*netnstest.Proc)
}

// ControlPlane is a running etcd + kube-apiserver.
type ControlPlane struct {
	// Server is https://IP:port.
	Server string
	// Kubeconfig is a file for agents (admin token, the server's self-signed certificate as CA).
	Kubeconfig string
	// Config reaches the server from the test process (dialing inside NS when set).
	Config    *rest.Config
	Clientset *kubernetes.Clientset
	Dynamic   *dynamic.DynamicClient
}

// Binaries returns the paths of kube-apiserver and etcd, or skips the test.
func Binaries(t testing.TB) (apiserver, etcd string) {
	t.Helper()
	apiserver, etcd = os.Getenv("PORTICO_KUBE_APISERVER"), os.Getenv("PORTICO_ETCD")
	cache := os.Getenv("PORTICO_CACHE")
	if cache == "" {
		home, _ := os.UserHomeDir()
		cache = filepath.Join(home, ".cache", "portico")
	}
	kube, etcdV := pinnedVersions()
	if apiserver == "" {
		apiserver = filepath.Join(cache, "kubernetes-"+kube, "kube-apiserver")
	}
	if etcd == "" {
		etcd = filepath.Join(cache, "etcd-"+etcdV, "etcd")
	}
	for _, p := range []string{apiserver, etcd} {
		if _, err := os.Stat(p); err != nil {
			t.Skipf("needs %s: run `npm run toolchain` (or set PORTICO_KUBE_APISERVER and PORTICO_ETCD)", p)
		}
	}
	return apiserver, etcd
}

// pinnedVersions reads local/toolchain/versions.ts, the project's one list of pinned versions.
func pinnedVersions() (kube, etcd string) {
	kube, etcd = "v1.36.3", "v3.6.16"
	dir, _ := os.Getwd()
	for ; dir != "/" && dir != "."; dir = filepath.Dir(dir) {
		b, err := os.ReadFile(filepath.Join(dir, "local", "toolchain", "versions.ts"))
		if err != nil {
			continue
		}
		if m := regexp.MustCompile(`kubernetes:\s*'([^']+)'`).FindSubmatch(b); m != nil {
			kube = string(m[1])
		}
		if m := regexp.MustCompile(`etcd:\s*'([^']+)'`).FindSubmatch(b); m != nil {
			etcd = string(m[1])
		}
		break
	}
	return kube, etcd
}

// Start runs etcd and kube-apiserver and waits until the API server is ready.
func Start(t testing.TB, o Options) *ControlPlane {
	t.Helper()
	apiserverBin, etcdBin := Binaries(t)
	if o.IP == "" {
		o.IP = "127.0.0.1"
	}
	dir, err := os.MkdirTemp("", "portico-agent-cp-")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { os.RemoveAll(dir) })
	register := func(p *netnstest.Proc) {
		t.Cleanup(p.Kill)
		if o.Register != nil {
			o.Register(p)
		}
	}
	clientPort, peerPort, apiPort := 2379, 2380, 6443
	if o.NS == "" {
		clientPort, peerPort, apiPort = freePort(t), freePort(t), freePort(t)
	}
	etcdURL := fmt.Sprintf("http://127.0.0.1:%d", clientPort)
	peerURL := fmt.Sprintf("http://127.0.0.1:%d", peerPort)
	etcd := netnstest.Start(t, dir, o.NS, "etcd", etcdBin, []string{
		"--name=portico", "--data-dir=" + filepath.Join(dir, "etcd"),
		"--listen-client-urls=" + etcdURL, "--advertise-client-urls=" + etcdURL,
		"--listen-peer-urls=" + peerURL, "--initial-advertise-peer-urls=" + peerURL,
		"--initial-cluster=portico=" + peerURL, "--unsafe-no-fsync", "--log-level=warn",
	}, register)

	pki := filepath.Join(dir, "pki")
	if err := os.MkdirAll(pki, 0o700); err != nil {
		t.Fatal(err)
	}
	token := randomHex(24)
	write(t, filepath.Join(pki, "tokens.csv"), token+`,portico-admin,portico-admin,"system:masters"`+"\n")
	saKey := filepath.Join(pki, "sa.key")
	writeRSAKey(t, saKey)
	api := netnstest.Start(t, dir, o.NS, "kube-apiserver", apiserverBin, []string{
		"--etcd-servers=" + etcdURL,
		"--bind-address=" + o.IP, "--advertise-address=" + o.IP,
		"--secure-port=" + strconv.Itoa(apiPort), "--cert-dir=" + pki,
		"--service-cluster-ip-range=10.96.0.0/16",
		"--service-account-issuer=https://kubernetes.default.svc.cluster.local",
		"--service-account-key-file=" + saKey, "--service-account-signing-key-file=" + saKey,
		"--token-auth-file=" + filepath.Join(pki, "tokens.csv"),
		"--authorization-mode=RBAC", "--endpoint-reconciler-type=none", "--profiling=false", "--v=1",
	}, register)

	cert := filepath.Join(pki, "apiserver.crt")
	waitFor(t, "kube-apiserver serving certificate", 60*time.Second, []*netnstest.Proc{etcd, api}, func() bool {
		_, err := os.Stat(cert)
		return err == nil
	})
	ca, err := os.ReadFile(cert)
	if err != nil {
		t.Fatal(err)
	}
	cp := &ControlPlane{Server: fmt.Sprintf("https://%s", net.JoinHostPort(o.IP, strconv.Itoa(apiPort)))}
	cp.Config = &rest.Config{
		Host: cp.Server, BearerToken: token, TLSClientConfig: rest.TLSClientConfig{CAData: ca},
		QPS: 1000, Burst: 1000, Timeout: 10 * time.Second,
	}
	if o.NS != "" {
		cp.Config.Dial = netnstest.Dialer(o.NS)
	}
	cp.Clientset = kubernetes.NewForConfigOrDie(cp.Config)
	cp.Dynamic = dynamic.NewForConfigOrDie(cp.Config)
	waitFor(t, "kube-apiserver /readyz", 60*time.Second, []*netnstest.Proc{etcd, api}, func() bool {
		ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
		defer cancel()
		var code int
		cp.Clientset.Discovery().RESTClient().Get().AbsPath("/readyz").Do(ctx).StatusCode(&code)
		return code == http.StatusOK
	})
	cp.Kubeconfig = filepath.Join(dir, "kubeconfig")
	write(t, cp.Kubeconfig, kubeconfig(cp.Server, ca, token))
	return cp
}

// ApplyCRD creates a CustomResourceDefinition from a JSON file and waits until it is Established.
func (cp *ControlPlane) ApplyCRD(t testing.TB, path string) {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	var obj map[string]any
	if err := json.Unmarshal(b, &obj); err != nil {
		t.Fatal(err)
	}
	crds := cp.Dynamic.Resource(schema.GroupVersionResource{Group: "apiextensions.k8s.io", Version: "v1", Resource: "customresourcedefinitions"})
	u := &unstructured.Unstructured{Object: obj}
	if _, err := crds.Create(context.Background(), u, metav1.CreateOptions{}); err != nil {
		t.Fatalf("create CRD %s: %v", u.GetName(), err)
	}
	waitFor(t, "CRD "+u.GetName()+" Established", 30*time.Second, nil, func() bool {
		got, err := crds.Get(context.Background(), u.GetName(), metav1.GetOptions{})
		if err != nil {
			return false
		}
		conds, _, _ := unstructured.NestedSlice(got.Object, "status", "conditions")
		for _, c := range conds {
			m, _ := c.(map[string]any)
			if m["type"] == "Established" && m["status"] == "True" {
				return true
			}
		}
		return false
	})
}

func waitFor(t testing.TB, what string, timeout time.Duration, procs []*netnstest.Proc, ok func() bool) {
	t.Helper()
	deadline := time.Now().Add(timeout)
	for !ok() {
		for _, p := range procs {
			if p.Exited() {
				t.Fatalf("waiting for %s: %s exited:\n%s", what, p.Name, p.Tail(3000))
			}
		}
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting for %s", what)
		}
		time.Sleep(100 * time.Millisecond)
	}
}

func freePort(t testing.TB) int {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	return l.Addr().(*net.TCPAddr).Port
}

func randomHex(n int) string {
	b := make([]byte, n)
	_, _ = rand.Read(b)
	return hex.EncodeToString(b)
}

func write(t testing.TB, path, text string) {
	t.Helper()
	if err := os.WriteFile(path, []byte(text), 0o600); err != nil {
		t.Fatal(err)
	}
}
