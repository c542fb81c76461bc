package oidc_test

import (
	"testing"
	"time"

	"github.com/haloy-auth/haloy/adapters/oidc"
	"github.com/haloy-auth/haloy/adapters/porttest"
	"github.com/haloy-auth/haloy/internal/oidctest"
	"github.com/haloy-auth/haloy/ports"
)

func TestVerifierContract(t *testing.T) {
	porttest.IdentityVerifier(t, func(t *testing.T) (ports.IdentityVerifier, porttest.IdentityMint, string) {
		is := oidctest.NewIssuer(t)
		mint := func(t *testing.T, iss, jti string, iat, exp time.Time, claims map[string]string) string {
			cl := map[string]any{"iss": iss}
			for k, v := range claims {
				cl[k] = v
			}
			if jti != "" {
				cl["jti"] = jti
			}
			if !iat.IsZero() {
				cl["iat"] = iat.Unix()
			}
			if !exp.IsZero() {
				cl["exp"] = exp.Unix()
			}
			return is.Sign(cl)
		}
		return oidc.New(is.Client(), nil), mint, is.URL
	})
}
