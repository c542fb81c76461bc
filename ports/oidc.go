package ports

import (
	"context"

	"github.com/haloy-auth/haloy/core"
)

// IdentityVerifier checks a CI's OIDC identity token: its size, algorithm,
// issuer, signature (with the issuer's published keys) and times, and
// returns its claims. It does not decide which policy applies, nor remember
// jti values: the exchange does both.
type IdentityVerifier interface {
	// Verify checks raw, which must come from one of issuers (compared
	// exactly). Every refusal is a *core.Error of Kind Unauthorized whose Why
	// is the precise reason, for the server log; it never contains raw.
	Verify(ctx context.Context, raw string, issuers []string) (core.OIDCToken, error)
}

// CIIdentity gets the identity token of the CI job the client runs in.
type CIIdentity interface {
	// IdentityToken returns the job's identity token for audience, from
	// src. Returns a *core.Error of Kind Missing, with the fix, when the
	// client does not run in a job that can give one, and of Kind
	// Unavailable when the CI's token endpoint fails. The token never
	// appears in an error.
	IdentityToken(ctx context.Context, src core.OIDCSource, audience string) (core.Secret, error)
}
