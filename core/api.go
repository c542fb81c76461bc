package core

import "time"

// The API contract between haloy and haloyadm serve. The JSON names of
// /health and /v1/version match Haloy's own server, so that Haloy's client
// works against ours.

// HealthResponse is the body of GET /health.
type HealthResponse struct {
	Status  string `json:"status"`
	Service string `json:"service"`
	Version string `json:"version"`
}

// VersionResponse is the body of GET /v1/version.
type VersionResponse struct {
	// Haloyd is the server's version; Haloy's client reads this field.
	Haloyd string `json:"haloyd"`
	// TokenName names the token that authorized the call.
	TokenName string `json:"token_name,omitempty"`
	// TokenExpiresAt is when that token expires; nil when it never does.
	TokenExpiresAt *time.Time `json:"token_expires_at,omitempty"`
}

// Domain is a domain an app answers on, with its aliases.
type Domain struct {
	Domain  string   `json:"domain"`
	Aliases []string `json:"aliases,omitempty"`
}

// Deployment is the body of POST /v1/deploy. It carries the names of the
// app's environment variables, never their values.
type Deployment struct {
	ID       string   `json:"deployment_id"`
	App      string   `json:"app"`
	Target   string   `json:"target,omitempty"`
	Image    Image    `json:"image"`
	Domains  []Domain `json:"domains,omitempty"`
	EnvNames []string `json:"env,omitempty"`
}

// DeployResponse is the body of a 202 answer to POST /v1/deploy.
type DeployResponse struct {
	DeploymentID string `json:"deployment_id"`
	Status       string `json:"status"`
}

// DeploymentRecord is a deployment as the server recorded it.
type DeploymentRecord struct {
	Deployment
	// TokenID and TokenName identify the token that authorized the deployment.
	TokenID    int64     `json:"token_id"`
	TokenName  string    `json:"token_name"`
	ReceivedAt time.Time `json:"received_at"`
}

// StatusResponse is the body of GET /v1/status/{app}: newest first.
type StatusResponse struct {
	App         string             `json:"app"`
	Deployments []DeploymentRecord `json:"deployments"`
}

// ErrorResponse is the body of every answer with a status of 400 or more.
type ErrorResponse struct {
	Error string `json:"error"`
	// Token, MissingScope and App explain a 403: the token refused, and
	// the scope it lacks or the app it is not for.
	Token        string `json:"token,omitempty"`
	MissingScope Scope  `json:"missing_scope,omitempty"`
	App          string `json:"app,omitempty"`
}

// OIDCExchangeRequest is the body of POST /v1/oidc/token: a CI job's
// identity token (a JWT), traded for a short-lived Haloy token.
type OIDCExchangeRequest struct {
	Token string `json:"token"`
}

// OIDCExchangeResponse is the body of a 200 answer to POST /v1/oidc/token.
type OIDCExchangeResponse struct {
	Token     string    `json:"token"`
	Name      string    `json:"name"`
	ExpiresAt time.Time `json:"expires_at"`
}

// TokenInfo is a token as the token API and 'api token list --json' show
// it: never the token itself nor its hash. Scopes and Apps are null for a
// token without restriction (every scope, every app).
type TokenInfo struct {
	ID         int64      `json:"id"`
	Name       string     `json:"name"`
	CreatedAt  time.Time  `json:"created_at"`
	ExpiresAt  *time.Time `json:"expires_at"`
	LastUsedAt *time.Time `json:"last_used_at"`
	RevokedAt  *time.Time `json:"revoked_at"`
	Status     string     `json:"status"`
	Scopes     []Scope    `json:"scopes"`
	Apps       []string   `json:"apps"`
	// ReplacedBy is the id of the token that replaced this one in a
	// rotation; absent while it is its name's current token.
	ReplacedBy int64 `json:"replaced_by,omitempty"`
}

// Info returns t as the token API shows it, with its status at now.
func (t TokenRecord) Info(now time.Time) TokenInfo {
	opt := func(x time.Time) *time.Time {
		if x.IsZero() {
			return nil
		}
		return &x
	}
	return TokenInfo{ID: t.ID, Name: t.Name, CreatedAt: t.CreatedAt, ExpiresAt: opt(t.ExpiresAt), LastUsedAt: opt(t.LastUsedAt),
		RevokedAt: opt(t.RevokedAt), Status: string(t.Status(now)), Scopes: t.Grant.Scopes, Apps: t.Grant.Apps, ReplacedBy: t.ReplacedBy}
}

// CreateTokenRequest is the body of POST /v1/tokens: the flags of
// 'haloyadm api token', with the same rules.
type CreateTokenRequest struct {
	Name    string   `json:"name,omitempty"`
	Scopes  []string `json:"scopes,omitempty"`
	Apps    []string `json:"apps,omitempty"`
	Expires string   `json:"expires,omitempty"`
}

// IssuedTokenResponse is the answer to POST /v1/tokens (201) and POST
// /v1/token/rotate (200): the new token, shown this once, and its record.
type IssuedTokenResponse struct {
	Token string    `json:"token"`
	Info  TokenInfo `json:"info"`
	// Replaced is, after a rotation, the old token with its shortened
	// expiry (the end of its grace period).
	Replaced *TokenInfo `json:"replaced,omitempty"`
}

// RevokedTokenResponse is the answer to DELETE /v1/tokens/{ref} and POST
// /v1/token/revoke.
type RevokedTokenResponse struct {
	Info TokenInfo `json:"info"`
	// Already is true when the token was revoked before this call.
	Already bool `json:"already,omitempty"`
}
