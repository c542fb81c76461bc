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
