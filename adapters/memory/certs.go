package memory

import (
	"strconv"

	"github.com/haloy-auth/haloy/core"
	"github.com/haloy-auth/haloy/ports"
)

var _ ports.CACerts = CACerts(nil)

// CACerts maps the CA certificate paths a test knows to their absolute
// form; a path mapped to "" exists but holds no certificate.
type CACerts map[string]string

// CheckCA returns path's absolute form, with the real adapter's errors for
// an unknown path (NotFound) or one without a certificate (Invalid).
func (c CACerts) CheckCA(path string) (string, error) {
	abs, ok := c[path]
	switch {
	case !ok:
		return "", &core.Error{Kind: core.NotFound, What: "no CA certificate file " + strconv.Quote(path),
			Why: path + " does not exist", Fix: "give the path of the PEM file that holds your server's CA certificate"}
	case abs == "":
		return "", &core.Error{Kind: core.Invalid, What: "CA certificate file " + strconv.Quote(path) + " holds no PEM certificate",
			Why: "expected one or more -----BEGIN CERTIFICATE----- blocks",
			Fix: "convert it, e.g. openssl x509 -inform der -in ca.der -out ca.pem"}
	}
	return abs, nil
}
