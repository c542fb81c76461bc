package ports

import (
	"context"

	"github.com/haloy-auth/haloy/core"
)

// ServerAPI calls the API of one Haloy server, haloyd or haloyadm serve
// (core/api.go is the contract). Every method takes the endpoint to call:
// the server, its optional CA file and the token with its source, so that
// errors name where a rejected token came from.
//
// Every method returns a *core.Error for a failure the user can act on: Kind
// Unauthorized when the server rejects the token (401/403, built with
// core.TokenRejected), Kind Unavailable when the server cannot be reached
// (refused, DNS, TLS, timeout), when it rate-limits (429, with how long to
// wait) or fails (5xx), Kind Unsafe when a redirect would take the call to
// another host, Kind NotFound for an unknown app or deployment, and Kind
// Invalid for a request the server refused as bad, with the server's own
// message. A cancelled ctx gives an error for which errors.Is(err,
// ctx.Err()) holds.
type ServerAPI interface {
	// Health calls GET /health, which needs no token; ep.Token is not sent.
	Health(ctx context.Context, ep core.Endpoint) (core.HealthResponse, error)
	// Version calls GET /v1/version with ep's token.
	Version(ctx context.Context, ep core.Endpoint) (core.VersionResponse, error)
	// Deploy calls POST /v1/deploy with ep's token and returns once the
	// server accepted the deployment (202); the deployment runs on.
	Deploy(ctx context.Context, ep core.Endpoint, r core.DeployRequest) error
	// DeployLog follows GET /v1/deploy/{id}/logs with ep's token: it calls
	// each with every entry as it arrives, until each returns false (then
	// it returns nil). A stream that ends before, or stays silent (not even
	// a keepalive) for too long, is a *core.Error of Kind Unavailable whose
	// What contains "log stream".
	DeployLog(ctx context.Context, ep core.Endpoint, id string, each func(core.LogEntry) bool) error
	// Status calls GET /v1/status/{app} with ep's token.
	Status(ctx context.Context, ep core.Endpoint, app string) (core.StatusResponse, error)
	// ExchangeOIDC calls POST /v1/oidc/token with identity, a CI job's
	// identity token; ep.Token is not sent. Returns the short-lived token
	// the server minted, or a *core.Error of Kind Unauthorized
	// (core.IdentityRefused) when the server refuses the identity.
	ExchangeOIDC(ctx context.Context, ep core.Endpoint, identity core.Secret) (core.OIDCExchangeResponse, error)
}

// TokenAPI calls the token routes of a Haloy server with ep's token. Its
// errors are those of ServerAPI; a route the server does not have (an
// older haloyadm) is Kind NotFound.
type TokenAPI interface {
	// RotateToken calls POST /v1/token/rotate: ep's token replaces itself.
	// The answer holds the successor, shown this once, and the old token
	// with the end of its grace period.
	RotateToken(ctx context.Context, ep core.Endpoint) (core.IssuedTokenResponse, error)
	// RevokeSelf calls POST /v1/token/revoke: ep's token revokes itself.
	RevokeSelf(ctx context.Context, ep core.Endpoint) (core.RevokedTokenResponse, error)
	// CreateToken calls POST /v1/tokens (admin scope).
	CreateToken(ctx context.Context, ep core.Endpoint, req core.CreateTokenRequest) (core.IssuedTokenResponse, error)
	// ListTokens calls GET /v1/tokens (admin scope).
	ListTokens(ctx context.Context, ep core.Endpoint) ([]core.TokenInfo, error)
	// RevokeToken calls DELETE /v1/tokens/{ref} (admin scope).
	RevokeToken(ctx context.Context, ep core.Endpoint, ref string) (core.RevokedTokenResponse, error)
}
