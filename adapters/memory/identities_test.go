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

func TestCIIdentityContract(t *testing.T) {
	porttest.CIIdentity(t, func(t *testing.T, job porttest.CIJob) (ports.CIIdentity, func(string) string) {
		c := &memory.CIIdentity{Env: job.Env}
		if job.InGitHub {
			c.GitHubToken = "memory-github-token"
		}
		return c, func(string) string { return c.GitHubToken }
	})
}
