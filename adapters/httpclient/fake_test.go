package httpclient

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/json"
	"encoding/pem"
	"io"
	"log"
	"math/big"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/haloy-auth/haloy/core"
)

// fakeAPI serves core/api.go the way haloyadm serve does, from memory, and
// records the Authorization header of every request it gets.
type fakeAPI struct {
	version string

	mu     sync.Mutex
	tokens map[string]string // token -> name
	deps   []core.DeploymentRecord
	seen   []seen
}

// seen is one request a fake server received.
type seen struct {
	Path, Authorization string
}

func newFakeAPI(version string, tokens map[string]string) *fakeAPI {
	return &fakeAPI{version: version, tokens: tokens}
}

func (f *fakeAPI) requests() []seen {
	f.mu.Lock()
	defer f.mu.Unlock()
	return append([]seen(nil), f.seen...)
}

func writeJSON(w http.ResponseWriter, code int, v any) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(code)
	_ = json.NewEncoder(w).Encode(v)
}

func (f *fakeAPI) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	f.mu.Lock()
	f.seen = append(f.seen, seen{Path: r.URL.Path, Authorization: r.Header.Get("Authorization")})
	f.mu.Unlock()
	if r.URL.Path == "/health" {
		writeJSON(w, 200, core.HealthResponse{Status: "ok", Service: "haloyd", Version: f.version})
		return
	}
	scheme, tok, _ := strings.Cut(r.Header.Get("Authorization"), " ")
	f.mu.Lock()
	name, ok := f.tokens[tok]
	f.mu.Unlock()
	if !strings.EqualFold(scheme, "bearer") || !ok {
		w.Header().Set("WWW-Authenticate", "Bearer")
		writeJSON(w, 401, core.ErrorResponse{Error: "unauthorized"})
		return
	}
	switch {
	case r.Method == http.MethodGet && r.URL.Path == "/v1/version":
		writeJSON(w, 200, core.VersionResponse{Haloyd: f.version, TokenName: name})
	case r.Method == http.MethodPost && r.URL.Path == "/v1/deploy":
		var d core.Deployment
		if err := json.NewDecoder(http.MaxBytesReader(w, r.Body, 1<<20)).Decode(&d); err != nil {
			writeJSON(w, 400, core.ErrorResponse{Error: "bad JSON: " + err.Error()})
			return
		}
		if d.App == "" || d.ID == "" || d.Image.Repository == "" {
			writeJSON(w, 400, core.ErrorResponse{Error: "a deployment needs deployment_id, app and image.repository"})
			return
		}
		f.mu.Lock()
		f.deps = append(f.deps, core.DeploymentRecord{Deployment: d, TokenName: name, ReceivedAt: time.Now().UTC()})
		f.mu.Unlock()
		writeJSON(w, 202, core.DeployResponse{DeploymentID: d.ID, Status: "accepted"})
	case r.Method == http.MethodGet && strings.HasPrefix(r.URL.Path, "/v1/status/"):
		app := strings.TrimPrefix(r.URL.Path, "/v1/status/")
		out := core.StatusResponse{App: app}
		f.mu.Lock()
		for i := len(f.deps) - 1; i >= 0; i-- {
			if f.deps[i].App == app {
				out.Deployments = append(out.Deployments, f.deps[i])
			}
		}
		f.mu.Unlock()
		if len(out.Deployments) == 0 {
			writeJSON(w, 404, core.ErrorResponse{Error: "unknown app " + app})
			return
		}
		writeJSON(w, 200, out)
	default:
		writeJSON(w, 404, core.ErrorResponse{Error: "no route " + r.URL.Path})
	}
}

// listen opens a TCP listener on addr ("127.0.0.1:0", "127.0.0.2:0").
func listen(t *testing.T, addr string) net.Listener {
	t.Helper()
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		t.Fatalf("listen %s: %v", addr, err)
	}
	return ln
}

// startPlain serves h over plain HTTP on 127.0.0.1 and returns the server name.
func startPlain(t *testing.T, h http.Handler) string {
	t.Helper()
	s := httptest.NewUnstartedServer(h)
	s.Listener.Close()
	s.Listener = listen(t, "127.0.0.1:0")
	s.Start()
	t.Cleanup(s.Close)
	return s.Listener.Addr().String()
}

// testCA is a throwaway certificate authority.
type testCA struct {
	cert *x509.Certificate
	key  *ecdsa.PrivateKey
	file string // PEM file of cert
}

func newTestCA(t *testing.T) *testCA {
	t.Helper()
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	tmpl := &x509.Certificate{
		SerialNumber:          big.NewInt(1),
		Subject:               pkix.Name{CommonName: "haloy test CA"},
		NotBefore:             time.Now().Add(-time.Hour),
		NotAfter:              time.Now().Add(time.Hour),
		KeyUsage:              x509.KeyUsageCertSign | x509.KeyUsageDigitalSignature,
		BasicConstraintsValid: true,
		IsCA:                  true,
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		t.Fatal(err)
	}
	cert, err := x509.ParseCertificate(der)
	if err != nil {
		t.Fatal(err)
	}
	file := filepath.Join(t.TempDir(), "ca.pem")
	if err := os.WriteFile(file, pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der}), 0o600); err != nil {
		t.Fatal(err)
	}
	return &testCA{cert: cert, key: key, file: file}
}

// leaf issues a server certificate for the given IP addresses.
func (ca *testCA) leaf(t *testing.T, ips ...string) tls.Certificate {
	t.Helper()
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	tmpl := &x509.Certificate{
		SerialNumber: big.NewInt(2),
		Subject:      pkix.Name{CommonName: "haloy test server"},
		NotBefore:    time.Now().Add(-time.Hour),
		NotAfter:     time.Now().Add(time.Hour),
		KeyUsage:     x509.KeyUsageDigitalSignature,
		ExtKeyUsage:  []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth},
	}
	for _, ip := range ips {
		tmpl.IPAddresses = append(tmpl.IPAddresses, net.ParseIP(ip))
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, ca.cert, &key.PublicKey, ca.key)
	if err != nil {
		t.Fatal(err)
	}
	return tls.Certificate{Certificate: [][]byte{der}, PrivateKey: key}
}

// startTLS serves h over TLS with cert on addr and returns the server name.
// On 127.0.0.2, a loopback address that is not one of the plain-HTTP names,
// the client really takes the HTTPS path.
func startTLS(t *testing.T, h http.Handler, addr string, cert tls.Certificate) string {
	t.Helper()
	s := httptest.NewUnstartedServer(h)
	s.Listener.Close()
	s.Listener = listen(t, addr)
	s.TLS = &tls.Config{Certificates: []tls.Certificate{cert}}
	s.Config.ErrorLog = log.New(io.Discard, "", 0) // the failed handshakes are the point of some tests
	s.StartTLS()
	t.Cleanup(s.Close)
	return s.Listener.Addr().String()
}
