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
