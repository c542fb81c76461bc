package porttest

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/haloy-auth/haloy/core"
	"github.com/haloy-auth/haloy/ports"
)

// IdentityMint makes a token the verifier under test would accept if its
// claims pass: iss is the issuer, claims hold every other claim (string
// values), and iat and exp are set from the arguments (zero: absent).
type IdentityMint func(t *testing.T, iss, jti string, iat, exp time.Time, claims map[string]string) string

// IdentityVerifier runs the contract of ports.IdentityVerifier. open returns
// a verifier, a mint for it and the URL of its issuer.
func IdentityVerifier(t *testing.T, open func(t *testing.T) (ports.IdentityVerifier, IdentityMint, string)) {
	ctx := context.Background()
	refused := func(t *testing.T, err error) {
		t.Helper()
		if ce := wantKind(t, "Verify()", err, core.Unauthorized); ce != nil && ce.Why == "" {
			t.Errorf("Verify() refusal has no reason")
		}
	}
	t.Run("accepts_and_returns_claims", func(t *testing.T) {
		v, mint, iss := open(t)
		now := time.Now()
		raw := mint(t, iss, "jti-1", now, now.Add(5*time.Minute), map[string]string{"repository": "acme/web"})
		got, err := v.Verify(ctx, raw, []string{"https://other.example", iss})
		if err != nil {
			t.Fatal(err)
		}
		if got.Issuer != iss || got.ID != "jti-1" || got.Claims["repository"] != "acme/web" {
			t.Errorf("Verify() = %+v, want issuer %s, jti jti-1, repository acme/web", got, iss)
		}
	})
	t.Run("untrusted_issuer", func(t *testing.T) {
		v, mint, iss := open(t)
		now := time.Now()
		_, err := v.Verify(ctx, mint(t, iss, "j", now, now.Add(time.Minute), nil), []string{iss + "/"})
		refused(t, err)
	})
	t.Run("expired", func(t *testing.T) {
		v, mint, iss := open(t)
		now := time.Now()
		_, err := v.Verify(ctx, mint(t, iss, "j", now.Add(-5*time.Minute), now.Add(-2*time.Minute), nil), []string{iss})
		refused(t, err)
	})
	t.Run("no_jti", func(t *testing.T) {
		v, mint, iss := open(t)
		now := time.Now()
		_, err := v.Verify(ctx, mint(t, iss, "", now, now.Add(time.Minute), nil), []string{iss})
		refused(t, err)
	})
	t.Run("oversized", func(t *testing.T) {
		v, _, iss := open(t)
		_, err := v.Verify(ctx, strings.Repeat("A", core.MaxOIDCTokenBytes+1), []string{iss})
		refused(t, err)
	})
	t.Run("forged", func(t *testing.T) {
		v, _, iss := open(t)
		_, err := v.Verify(ctx, "eyJhbGciOiJSUzI1NiJ9.e30.c2ln", []string{iss})
		refused(t, err)
	})
}
