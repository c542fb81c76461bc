package e2e

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/pem"
	"math/big"
	"net"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// testCA writes a CA certificate and a server certificate it signed for
// 127.0.0.2 into dir, and returns the paths of the CA's PEM and of the
// server's certificate and key.
func testCA(t *testing.T, dir string) (ca, cert, key string) {
	t.Helper()
	caKey, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	now := time.Now()
	caTmpl := &x509.Certificate{
		SerialNumber: big.NewInt(1), Subject: pkix.Name{CommonName: "haloy e2e test CA"},
		NotBefore: now.Add(-time.Hour), NotAfter: now.Add(24 * time.Hour),
		IsCA: true, BasicConstraintsValid: true, KeyUsage: x509.KeyUsageCertSign | x509.KeyUsageDigitalSignature,
	}
	caDER, err := x509.CreateCertificate(rand.Reader, caTmpl, caTmpl, &caKey.PublicKey, caKey)
	if err != nil {
		t.Fatal(err)
	}
	caCert, err := x509.ParseCertificate(caDER)
	if err != nil {
		t.Fatal(err)
	}
	srvKey, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	srvTmpl := &x509.Certificate{
		SerialNumber: big.NewInt(2), Subject: pkix.Name{CommonName: "127.0.0.2"},
		NotBefore: now.Add(-time.Hour), NotAfter: now.Add(24 * time.Hour),
		IPAddresses: []net.IP{net.ParseIP("127.0.0.2")},
		KeyUsage:    x509.KeyUsageDigitalSignature, ExtKeyUsage: []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth},
	}
	srvDER, err := x509.CreateCertificate(rand.Reader, srvTmpl, caCert, &srvKey.PublicKey, caKey)
	if err != nil {
		t.Fatal(err)
	}
	keyDER, err := x509.MarshalECPrivateKey(srvKey)
	if err != nil {
		t.Fatal(err)
	}
	write := func(name, typ string, der []byte) string {
		p := filepath.Join(dir, name)
		if err := os.WriteFile(p, pem.EncodeToMemory(&pem.Block{Type: typ, Bytes: der}), 0o600); err != nil {
			t.Fatal(err)
		}
		return p
	}
	return write("ca.pem", "CERTIFICATE", caDER), write("server.pem", "CERTIFICATE", srvDER), write("server-key.pem", "EC PRIVATE KEY", keyDER)
}

// TestTLS runs serve with HTTPS on 127.0.0.2, a loopback address that is
// not localhost, 127.0.0.1 or ::1, so haloy really uses https://, with a
// certificate from a CA made here: trusted through server add --ca-cert,
// through SSL_CERT_FILE, and not at all.
func TestTLS(t *testing.T) {
	needBinary(t)
	ca, cert, key := testCA(t, t.TempDir())
	s := startServer(t, serverOpts{Listen: "127.0.0.2:0", TLSCert: cert, TLSKey: key})
	if !strings.HasPrefix(s.URL, "https://127.0.0.2:") {
		t.Fatalf("serve announced %s, want https://127.0.0.2:<port>", s.URL)
	}
	app := func(c *client) { c.Write(t, "haloy.yaml", appYAML("tls-app", "", "")) }

	t.Run("ca_cert_of_the_server", func(t *testing.T) {
		t.Parallel()
		c := newClient(t)
		app(c)
		c.Add(t, s.Name, s.Token(t, "ca-flag"), "--ca-cert", ca, "--verify")
		r := c.Must(t, "server", "list")
		wantIn(t, "haloy server list", r.stdout, ca)
		r = c.Must(t, "deploy")
		wantIn(t, "haloy deploy output", r.stdout, s.Name)
		wantDeployed(t, s, "tls-app", "ca-flag", 1)
		r = c.Must(t, "server", "version")
		wantIn(t, "haloy server version", r.stdout, "haloyd dev", "ca-flag")
	})

	t.Run("ssl_cert_file", func(t *testing.T) {
		t.Parallel()
		c := newClient(t)
		app(c)
		c.Env = []string{"SSL_CERT_FILE=" + ca}
		c.Add(t, s.Name, s.Token(t, "ssl-cert-file"))
		c.Must(t, "deploy")
		wantDeployed(t, s, "tls-app", "ssl-cert-file", 1)
		c.Must(t, "server", "check")
	})

	t.Run("untrusted_certificate", func(t *testing.T) {
		t.Parallel()
		c := newClient(t)
		app(c)
		c.Add(t, s.Name, s.Token(t, "untrusted"))
		r := c.Run(t, "deploy")
		wantExit(t, "haloy deploy to a server whose CA is not trusted", r, 1)
		wantIn(t, "haloy deploy stderr", r.stderr, "https://"+s.Name, "certificate", "--ca-cert")
		wantDeployed(t, s, "tls-app", "untrusted", 0)
	})
}
