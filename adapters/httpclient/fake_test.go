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
	"fmt"
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
)

// fakeAPI behaves like Haloy's own server (haloyd), written from its
// documented wire shapes rather than from core/api.go, so that the client
// is tested against Haloy's protocol and not against itself: camelCase
// JSON, unknown fields refused, 202 with no body, errors in plain text,
// deployment logs as server-sent events with ": keepalive" comments, and
// the last entries replayed to a late subscriber. It records the
// Authorization header and the body of every request it gets.
//
// An app's name scripts its deployment: "fail-*" ends with Haloy's failure
// entry (isDeploymentComplete and isDeploymentFailed), "drop-*" closes the
// first stream after one entry, anything else completes.
type fakeAPI struct {
	version string
	// keepalive is the pause, filled with keepalive comments, between log entries.
	keepalive time.Duration

	mu      sync.Mutex
	tokens  map[string]string // token -> name
	bodies  []string          // POST /v1/deploy bodies, as received
	apps    map[string]string // deploymentID -> app
	streams map[string]int    // deploymentID -> streams opened
	seen    []seen
}

// seen is one request a fake server received.
type seen struct {
	Path, Authorization string
}

func newFakeAPI(version string, tokens map[string]string) *fakeAPI {
	return &fakeAPI{version: version, tokens: tokens, keepalive: 5 * time.Millisecond, apps: map[string]string{}, streams: map[string]int{}}
}

func (f *fakeAPI) requests() []seen {
	f.mu.Lock()
	defer f.mu.Unlock()
	return append([]seen(nil), f.seen...)
}

func (f *fakeAPI) deployBodies() []string {
	f.mu.Lock()
	defer f.mu.Unlock()
	return append([]string(nil), f.bodies...)
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
		writeJSON(w, 200, map[string]string{"status": "ok", "service": "haloyd", "version": f.version})
		return
	}
	scheme, tok, _ := strings.Cut(r.Header.Get("Authorization"), " ")
	f.mu.Lock()
	_, ok := f.tokens[tok]
	f.mu.Unlock()
	if !strings.EqualFold(scheme, "bearer") || !ok {
		http.Error(w, "Unauthorized", http.StatusUnauthorized)
		return
	}
	switch {
	case r.Method == http.MethodGet && r.URL.Path == "/v1/version":
		writeJSON(w, 200, map[string]any{"haloyd": f.version, "haloy_proxy_required_generation": 3,
			"capabilities": []string{"layer-upload", "image-disk-preflight"}})
	case r.Method == http.MethodPost && r.URL.Path == "/v1/deploy":
		f.deploy(w, r)
	case r.Method == http.MethodGet && strings.HasPrefix(r.URL.Path, "/v1/deploy/") && strings.HasSuffix(r.URL.Path, "/logs"):
		f.logs(w, r, strings.TrimSuffix(strings.TrimPrefix(r.URL.Path, "/v1/deploy/"), "/logs"))
	case r.Method == http.MethodGet && strings.HasPrefix(r.URL.Path, "/v1/status/"):
		app := strings.TrimPrefix(r.URL.Path, "/v1/status/")
		f.mu.Lock()
		latest := ""
		for id, a := range f.apps {
			if a == app && id > latest {
				latest = id
			}
		}
		f.mu.Unlock()
		if latest == "" {
			http.Error(w, "No containers found for the specified app", http.StatusNotFound)
			return
		}
		writeJSON(w, 200, map[string]any{"state": "running", "deploymentId": latest, "containerIds": []string{"c0ffee"},
			"domains": []map[string]any{{"domain": app + ".example.com"}}})
	default:
		http.NotFound(w, r)
	}
}

// deploy checks a body as Haloy's server does: unknown fields refused
// (apiToken included: the fake refuses what Haloy's server stores), the
// required fields, the port as a string.
func (f *fakeAPI) deploy(w http.ResponseWriter, r *http.Request) {
	body, _ := io.ReadAll(r.Body)
	f.mu.Lock()
	f.bodies = append(f.bodies, string(body))
	f.mu.Unlock()
	var req map[string]json.RawMessage
	if err := json.Unmarshal(body, &req); err != nil {
		http.Error(w, "invalid JSON: "+err.Error(), http.StatusBadRequest)
		return
	}
	for k := range req {
		if k != "deploymentID" && k != "targetConfig" && k != "rollbackDeployConfig" {
			http.Error(w, "json: unknown field \""+k+"\"", http.StatusBadRequest)
			return
		}
	}
	var id string
	var target struct {
		Name     string            `json:"name"`
		Server   string            `json:"server"`
		Port     *string           `json:"port"`
		Image    map[string]any    `json:"image"`
		APIToken json.RawMessage   `json:"apiToken"`
		Env      []json.RawMessage `json:"env"`
	}
	_ = json.Unmarshal(req["deploymentID"], &id)
	if err := json.Unmarshal(req["targetConfig"], &target); err != nil {
		http.Error(w, "json: cannot unmarshal targetConfig: "+err.Error(), http.StatusBadRequest)
		return
	}
	switch {
	case id == "":
		http.Error(w, "Deployment ID is required", http.StatusBadRequest)
		return
	case target.Name == "":
		http.Error(w, "Invalid deploy configuration: app 'name' is required", http.StatusBadRequest)
		return
	case target.Server == "":
		http.Error(w, "Invalid deploy configuration: server is required", http.StatusBadRequest)
		return
	case target.APIToken != nil:
		http.Error(w, "the fake refuses a token in the body", http.StatusBadRequest)
		return
	}
	f.mu.Lock()
	f.apps[id] = target.Name
	f.mu.Unlock()
	w.WriteHeader(http.StatusAccepted)
}

// logs streams a deployment's log with keepalives between entries.
func (f *fakeAPI) logs(w http.ResponseWriter, r *http.Request, id string) {
	f.mu.Lock()
	app := f.apps[id]
	f.streams[id]++
	n := f.streams[id]
	f.mu.Unlock()
	w.Header().Set("Content-Type", "text/event-stream")
	fl := w.(http.Flusher)
	ts := "2026-01-02T03:04:05.%03dZ"
	entries := []string{
		`{"level":"INFO","message":"Pulling image","timestamp":"` + fmt.Sprintf(ts, 1) + `","deploymentID":"` + id + `","appName":"` + app + `","fields":{"image":"ghcr.io/acme/` + app + `"}}`,
		`{"level":"INFO","message":"Starting container","timestamp":"` + fmt.Sprintf(ts, 2) + `","deploymentID":"` + id + `","appName":"` + app + `"}`,
	}
	switch {
	case strings.HasPrefix(app, "fail-"):
		entries = append(entries, `{"level":"ERROR","message":"Deployment failed","timestamp":"`+fmt.Sprintf(ts, 3)+`","deploymentID":"`+id+
			`","appName":"`+app+`","fields":{"error":"container exited with code 1"},"isDeploymentComplete":true,"isDeploymentFailed":true}`)
	default:
		entries = append(entries, `{"level":"INFO","message":"Deployment complete","timestamp":"`+fmt.Sprintf(ts, 3)+`","deploymentID":"`+id+
			`","appName":"`+app+`","domains":["`+app+`.example.com"],"isDeploymentComplete":true,"isDeploymentSuccess":true}`)
	}
	fmt.Fprint(w, ": keepalive\n\n")
	fl.Flush()
	for i, e := range entries {
		if strings.HasPrefix(app, "drop-") && n == 1 && i == 1 {
			return
		}
		for range 2 {
			time.Sleep(f.keepalive)
			fmt.Fprint(w, ": keepalive\n\n")
			fl.Flush()
		}
		fmt.Fprintf(w, "data: %s\n\n", e)
		fl.Flush()
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
