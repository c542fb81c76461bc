package memory_test

import (
	"testing"
	"time"

	"github.com/haloy-auth/haloy/adapters/memory"
	"github.com/haloy-auth/haloy/adapters/porttest"
	"github.com/haloy-auth/haloy/core"
	"github.com/haloy-auth/haloy/ports"
)

func TestIdentitiesContract(t *testing.T) {
	porttest.IdentityVerifier(t, func(t *testing.T) (ports.IdentityVerifier, porttest.IdentityMint, string) {
		m := &memory.Identities{}
		mint := func(t *testing.T, iss, jti string, iat, exp time.Time, claims map[string]string) string {
			return m.Mint(core.OIDCToken{Issuer: iss, ID: jti, IssuedAt: iat, Expiry: exp, Claims: claims}, time.Time{})
		}
		return m, mint, "https://issuer.example"
	})
}
