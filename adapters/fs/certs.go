package fs

import (
	"crypto/x509"
	"encoding/pem"
	"errors"
	"fmt"
	iofs "io/fs"
	"os"
	"path/filepath"
	"strconv"

	"github.com/haloy-auth/haloy/core"
	"github.com/haloy-auth/haloy/ports"
)

var _ ports.CACerts = (*Certs)(nil)

// Certs checks CA certificate files on disk.
type Certs struct{}

// NewCerts returns a Certs.
func NewCerts() *Certs { return &Certs{} }

// CheckCA returns path made absolute after checking that it holds at least
// one PEM certificate that parses.
func (*Certs) CheckCA(path string) (string, error) {
	abs, err := filepath.Abs(path)
	if err != nil {
		return "", fmt.Errorf("resolve %s: %w", path, err)
	}
	data, err := os.ReadFile(abs)
	switch {
	case errors.Is(err, iofs.ErrNotExist):
		return "", &core.Error{Kind: core.NotFound, What: "no CA certificate file " + strconv.Quote(path),
			Why: abs + " does not exist", Fix: "give the path of the PEM file that holds your server's CA certificate"}
	case err != nil:
		return "", &core.Error{Kind: core.Invalid, What: "cannot read CA certificate file " + strconv.Quote(path),
			Why: err.Error(), Fix: "check the path and its permissions", Err: err}
	}
	found := 0
	for rest := data; ; {
		var block *pem.Block
		block, rest = pem.Decode(rest)
		if block == nil {
			break
		}
		if block.Type != "CERTIFICATE" {
			continue
		}
		if _, err := x509.ParseCertificate(block.Bytes); err != nil {
			return "", &core.Error{Kind: core.Invalid, What: "CA certificate file " + strconv.Quote(path) + " holds a certificate that does not parse",
				Why: err.Error(), Fix: "export the CA certificate again, in PEM form", Err: err}
		}
		found++
	}
	if found == 0 {
		return "", &core.Error{Kind: core.Invalid, What: "CA certificate file " + strconv.Quote(path) + " holds no PEM certificate",
			Why: "expected one or more -----BEGIN CERTIFICATE----- blocks",
			Fix: "convert it, e.g. openssl x509 -inform der -in ca.der -out ca.pem"}
	}
	return abs, nil
}
