package fs

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/pem"
	"errors"
	"math/big"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/haloy-auth/haloy/core"
)

func writeCA(t *testing.T, path string) {
	t.Helper()
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	tmpl := &x509.Certificate{SerialNumber: big.NewInt(1), Subject: pkix.Name{CommonName: "test CA"},
		NotBefore: time.Now(), NotAfter: time.Now().Add(time.Hour), IsCA: true, BasicConstraintsValid: true}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(path, pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der}), 0o600); err != nil {
		t.Fatal(err)
	}
}

func TestCheckCA(t *testing.T) {
	dir := t.TempDir()
	writeCA(t, filepath.Join(dir, "ca.pem"))
	os.WriteFile(filepath.Join(dir, "key.pem"), pem.EncodeToMemory(&pem.Block{Type: "PRIVATE KEY", Bytes: []byte("x")}), 0o600)
	os.WriteFile(filepath.Join(dir, "bad.pem"), pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: []byte("junk")}), 0o600)
	os.WriteFile(filepath.Join(dir, "text.txt"), []byte("hello"), 0o600)
	t.Chdir(dir)

	got, err := NewCerts().CheckCA("ca.pem")
	if err != nil || got != filepath.Join(dir, "ca.pem") {
		t.Errorf("CheckCA(%q) = %q, %v, want %q", "ca.pem", got, err, filepath.Join(dir, "ca.pem"))
	}
	for _, tt := range []struct {
		path string
		want core.Kind
	}{
		{"missing.pem", core.NotFound},
		{"key.pem", core.Invalid},
		{"bad.pem", core.Invalid},
		{"text.txt", core.Invalid},
	} {
		_, err := NewCerts().CheckCA(tt.path)
		var ce *core.Error
		if !errors.As(err, &ce) || ce.Kind != tt.want {
			t.Errorf("CheckCA(%q) = %v, want a *core.Error of Kind %v", tt.path, err, tt.want)
		}
	}
}
