package httpserver

import (
	"bufio"
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/pem"
	"errors"
	"io"
	"math/big"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/haloy-auth/haloy/adapters/memory"
	"github.com/haloy-auth/haloy/adapters/porttest"
	"github.com/haloy-auth/haloy/core"
	"github.com/haloy-auth/haloy/ports"
)

// selfSigned writes a certificate for 127.0.0.1 and its key into dir.
func selfSigned(t *testing.T, dir string) (certFile, keyFile string, pool *x509.CertPool) {
	return selfSignedSerial(t, dir, 1)
}

// selfSignedSerial is selfSigned with the certificate's serial number.
func selfSignedSerial(t *testing.T, dir string, serial int64) (certFile, keyFile string, pool *x509.CertPool) {
	t.Helper()
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	tmpl := &x509.Certificate{SerialNumber: big.NewInt(serial), Subject: pkix.Name{CommonName: "127.0.0.1"},
		IPAddresses: []net.IP{net.IPv4(127, 0, 0, 1)}, NotBefore: time.Now().Add(-time.Hour), NotAfter: time.Now().Add(time.Hour),
		KeyUsage: x509.KeyUsageDigitalSignature | x509.KeyUsageCertSign, ExtKeyUsage: []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth},
		IsCA: true, BasicConstraintsValid: true}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		t.Fatal(err)
	}
	kb, _ := x509.MarshalECPrivateKey(key)
	certFile, keyFile = filepath.Join(dir, "cert.pem"), filepath.Join(dir, "key.pem")
	os.WriteFile(certFile, pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der}), 0o600)
	os.WriteFile(keyFile, pem.EncodeToMemory(&pem.Block{Type: "EC PRIVATE KEY", Bytes: kb}), 0o600)
	cert, _ := x509.ParseCertificate(der)
	pool = x509.NewCertPool()
	pool.AddCert(cert)
	return certFile, keyFile, pool
}

// serve runs Serve in the background and returns its address and a stop
// function that cancels it and returns Serve's result.
func serve(t *testing.T, s *Server, opts core.ServeOptions) (string, func() error) {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	addrc := make(chan string, 1)
	errc := make(chan error, 1)
	go func() { errc <- s.Serve(ctx, opts, func(a string) { addrc <- a }) }()
	select {
	case a := <-addrc:
		return a, func() error { cancel(); return <-errc }
	case err := <-errc:
		cancel()
		t.Fatalf("Serve() = %v before ready", err)
		return "", nil
	}
}

func TestServePlain(t *testing.T) {
	s := New(&memory.Tokens{}, &memory.Deployments{}, &memory.Notes{})
	addr, stop := serve(t, s, core.ServeOptions{Listen: "127.0.0.1:0", Version: "9.9.9"})
	if !strings.HasPrefix(addr, "http://127.0.0.1:") || strings.HasSuffix(addr, ":0") {
		t.Errorf("ready address = %q, want http://127.0.0.1:<port>", addr)
	}
	r, err := http.Get(addr + "/health")
	if err != nil {
		t.Fatal(err)
	}
	b, _ := io.ReadAll(r.Body)
	r.Body.Close()
	if want := `{"status":"ok","service":"haloyd","version":"9.9.9"}` + "\n"; string(b) != want {
		t.Errorf("GET /health = %q, want %q", b, want)
	}
	// net/http answers "OPTIONS *" with 200 by default; this server does not
	conn, err := net.Dial("tcp", strings.TrimPrefix(addr, "http://"))
	if err != nil {
		t.Fatal(err)
	}
	io.WriteString(conn, "OPTIONS * HTTP/1.1\r\nHost: x\r\n\r\n")
	line, _ := bufio.NewReader(conn).ReadString('\n')
	conn.Close()
	if !strings.HasPrefix(line, "HTTP/1.1 400") {
		t.Errorf("OPTIONS * = %q, want 400", line)
	}
	if err := stop(); err != nil {
		t.Errorf("Serve() after cancel = %v, want nil", err)
	}
	if _, err := http.Get(addr + "/health"); err == nil {
		t.Errorf("GET /health after shutdown succeeded, want a refused connection")
	}
}

func TestServeTLS(t *testing.T) {
	certFile, keyFile, pool := selfSigned(t, t.TempDir())
	s := New(&memory.Tokens{}, &memory.Deployments{}, &memory.Notes{})
	addr, stop := serve(t, s, core.ServeOptions{Listen: "127.0.0.1:0", TLSCert: certFile, TLSKey: keyFile})
	defer stop()
	if !strings.HasPrefix(addr, "https://") {
		t.Fatalf("ready address = %q, want https://", addr)
	}
	c := &http.Client{Transport: &http.Transport{TLSClientConfig: &tls.Config{RootCAs: pool}}}
	r, err := c.Get(addr + "/health")
	if err != nil {
		t.Fatal(err)
	}
	r.Body.Close()
	if r.TLS.Version < tls.VersionTLS12 || r.Header.Get("Strict-Transport-Security") == "" {
		t.Errorf("TLS version %x, HSTS %q: want TLS 1.2+ and HSTS", r.TLS.Version, r.Header.Get("Strict-Transport-Security"))
	}
	old := &http.Client{Transport: &http.Transport{TLSClientConfig: &tls.Config{RootCAs: pool, MaxVersion: tls.VersionTLS11}}}
	if _, err := old.Get(addr + "/health"); err == nil {
		t.Errorf("a TLS 1.1 client got through, want a handshake failure")
	}
}

func TestServeErrors(t *testing.T) {
	busy, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer busy.Close()
	dir := t.TempDir()
	tests := []struct {
		name     string
		opts     core.ServeOptions
		wantKind core.Kind
		wantWhat string
	}{
		{"port_taken", core.ServeOptions{Listen: busy.Addr().String()}, core.Unavailable, "cannot listen on \"" + busy.Addr().String() + "\""},
		{"missing_cert", core.ServeOptions{Listen: "127.0.0.1:0", TLSCert: filepath.Join(dir, "no.pem"), TLSKey: filepath.Join(dir, "no.key")}, core.Invalid,
			"cannot load TLS certificate \"" + filepath.Join(dir, "no.pem") + "\" and key \"" + filepath.Join(dir, "no.key") + "\""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s := New(&memory.Tokens{}, &memory.Deployments{}, &memory.Notes{})
			err := s.Serve(context.Background(), tt.opts, func(string) { t.Errorf("ready called") })
			var ce *core.Error
			if !errors.As(err, &ce) || ce.Kind != tt.wantKind || ce.What != tt.wantWhat || ce.Fix == "" {
				t.Errorf("Serve() = %#v, want Kind %d, What %q and a fix", err, tt.wantKind, tt.wantWhat)
			}
		})
	}
}

// A renewed certificate is served from the next handshake, without a
// restart; a renewal that does not load keeps the previous one.
func TestServeTLSReload(t *testing.T) {
	dir := t.TempDir()
	certFile, keyFile, _ := selfSignedSerial(t, dir, 1)
	notes := &memory.Notes{}
	s := New(&memory.Tokens{}, &memory.Deployments{}, notes)
	c := &clock{t: time.Now()}
	s.now = c.now
	addr, stop := serve(t, s, core.ServeOptions{Listen: "127.0.0.1:0", TLSCert: certFile, TLSKey: keyFile})
	defer stop()
	serial := func() int64 {
		t.Helper()
		// a fresh connection for each look: a kept-alive one would not handshake again
		conn, err := tls.Dial("tcp", strings.TrimPrefix(addr, "https://"), &tls.Config{InsecureSkipVerify: true})
		if err != nil {
			t.Fatal(err)
		}
		defer conn.Close()
		return conn.ConnectionState().PeerCertificates[0].SerialNumber.Int64()
	}
	if got := serial(); got != 1 {
		t.Fatalf("serial = %d, want 1", got)
	}
	selfSignedSerial(t, dir, 2)
	later := time.Now().Add(time.Minute)
	os.Chtimes(certFile, later, later) // a distinct stamp even on coarse file systems
	if got := serial(); got != 1 {
		t.Errorf("serial within a second of the last check = %d, want 1 (files are looked at once a second)", got)
	}
	c.add(2 * time.Second)
	if got := serial(); got != 2 {
		t.Errorf("serial after renewal = %d, want 2", got)
	}
	if err := os.WriteFile(keyFile, []byte("not a key"), 0o600); err != nil {
		t.Fatal(err)
	}
	c.add(2 * time.Second)
	if got := serial(); got != 2 {
		t.Errorf("serial after a broken renewal = %d, want 2", got)
	}
	c.add(2 * time.Second)
	serial()
	want := []string{`cannot reload TLS certificate "` + certFile + `": tls: failed to find any PEM data in key input; still serving the previous one`}
	if diff := cmp.Diff(want, notes.Warnings); diff != "" {
		t.Errorf("warnings mismatch (-want +got):\n%s", diff)
	}
}

func TestContract(t *testing.T) {
	porttest.APIServer(t, func(t *testing.T) ports.APIServer {
		return New(&memory.Tokens{}, &memory.Deployments{}, &memory.Notes{})
	})
}
