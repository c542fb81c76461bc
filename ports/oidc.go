package ports

import (
	"context"
	"time"

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

// TrustStore keeps haloyadm's trust policies and the identity tokens
// already exchanged. Changes are seen at once by every store on the same
// data, in this process or another, so a policy added or removed while
// serve runs applies to the next exchange.
type TrustStore interface {
	// AddPolicy records p (its ID and CreatedAt are set by the store) and
	// returns it.
	AddPolicy(ctx context.Context, p core.TrustPolicy) (core.TrustPolicy, error)
	// Policies returns every policy, oldest first.
	Policies(ctx context.Context) ([]core.TrustPolicy, error)
	// RemovePolicy deletes policy id and returns it. Returns a *core.Error
	// of Kind NotFound, listing the known ids, if there is none.
	RemovePolicy(ctx context.Context, id int64) (core.TrustPolicy, error)
	// PinPolicy records the numeric ids in policy id where it has none yet
	// (an id already pinned is never changed) and returns the policy as
	// stored. Returns a *core.Error of Kind NotFound if it was removed.
	PinPolicy(ctx context.Context, id int64, repoID, ownerID string) (core.TrustPolicy, error)
	// UseOnce records that the identity token jti of issuer was exchanged,
	// to be remembered until until, and reports false if it already was
	// (a replay). Entries past their time are forgotten at now.
	UseOnce(ctx context.Context, issuer, jti string, until, now time.Time) (bool, error)
}

// TokenExchanger trades a CI job's identity token for a short-lived Haloy
// token: the use case behind POST /v1/oidc/token, which the API server
// calls.
type TokenExchanger interface {
	// Exchange returns the minted token. Every refusal is a *core.Error of
	// Kind Unauthorized whose Why is the precise reason, for the server's
	// log only; any other error is the server's own failure.
	Exchange(ctx context.Context, in core.ExchangeRequest) (core.OIDCExchangeResponse, error)
}
