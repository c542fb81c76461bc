package core

import (
	"encoding/json"
	"fmt"
	"strings"
	"time"
)

// The API contract between haloy and a Haloy server: haloyadm serve or
// Haloy's own haloyd. Every request, response and event body of the API is
// declared here, once, and both the client adapter (adapters/httpclient)
// and the server adapter (adapters/httpserver) use these types; api_test.go
// pins their JSON field names. The names are Haloy's (internal/apitypes and
// internal/logging upstream), so that either side works against Haloy's.

// HealthResponse is the body of GET /health.
type HealthResponse struct {
	Status  string `json:"status"`
	Service string `json:"service"`
	Version string `json:"version"`
}

// VersionResponse is the body of GET /v1/version.
type VersionResponse struct {
	// Haloyd is the server's version.
	Haloyd string `json:"haloyd"`
	// Proxy is the version of Haloy's proxy, when the server runs one.
	Proxy string `json:"haloy_proxy,omitempty"`
	// Capabilities names the optional features the server supports
	// (Haloy's "layer-upload", "image-disk-preflight", ...).
	Capabilities []string `json:"capabilities,omitempty"`
	// TokenName names the token that authorized the call (haloyadm serve only).
	TokenName string `json:"token_name,omitempty"`
	// TokenExpiresAt is when that token expires; nil when it never does
	// (haloyadm serve only).
	TokenExpiresAt *time.Time `json:"token_expires_at,omitempty"`
	// TokenScopes and TokenApps are what that token may do; absent for a
	// token without restriction (every scope, every app).
	TokenScopes []Scope  `json:"token_scopes,omitempty"`
	TokenApps   []string `json:"token_apps,omitempty"`
}

// Domain is a domain an app answers on, with its aliases.
type Domain struct {
	Domain  string   `json:"domain"`
	Aliases []string `json:"aliases,omitempty"`
}

// DeployRequest is the body of POST /v1/deploy, Haloy's DeployRequest.
// The API token is never in it (docs/deploying.md).
type DeployRequest struct {
	// DeploymentID is a lower-case ULID made by the client; Haloy's server
	// takes the largest id, compared as text, as the newest deployment.
	DeploymentID string `json:"deploymentID"`
	// TargetConfig is the resolved target: env values included.
	TargetConfig DeployTarget `json:"targetConfig"`
	// RollbackDeployConfig is the target as written in the config, without
	// any resolved value, which Haloy's server stores for rollbacks.
	RollbackDeployConfig RollbackConfig `json:"rollbackDeployConfig"`
}

// DeployTarget is Haloy's TargetConfig as JSON: one target's settings. It
// has no apiToken field, so that a token cannot be put in a request, and a
// body that carries one is refused by haloyadm serve as an unknown field.
type DeployTarget struct {
	Name               string       `json:"name,omitempty"`
	Preset             string       `json:"preset,omitempty"`
	Image              *DeployImage `json:"image,omitempty"`
	ImageKey           string       `json:"imageKey,omitempty"`
	Server             string       `json:"server,omitempty"`
	DeploymentStrategy string       `json:"deploymentStrategy,omitempty"`
	NamingStrategy     string       `json:"namingStrategy,omitempty"`
	Protected          *bool        `json:"protected,omitempty"`
	Domains            []Domain     `json:"domains,omitempty"`
	Env                []DeployEnv  `json:"env,omitempty"`
	HealthCheckPath    string       `json:"healthCheckPath,omitempty"`
	MinReadySeconds    *int         `json:"minReadySeconds,omitempty"`
	// Port is the container's port, a string as Haloy's server decodes it.
	Port       string   `json:"port,omitempty"`
	Replicas   *int     `json:"replicas,omitempty"`
	Volumes    []string `json:"volumes,omitempty"`
	Network    string   `json:"network,omitempty"`
	PreDeploy  []string `json:"preDeploy,omitempty"`
	PostDeploy []string `json:"postDeploy,omitempty"`
}

// DeployImage is Haloy's image settings as JSON, without registry
// credentials. Build and BuildConfig are only decoded so that a request
// asking for a build is refused with the fix.
type DeployImage struct {
	Repository  string          `json:"repository"`
	Tag         string          `json:"tag,omitempty"`
	PullPolicy  string          `json:"pullPolicy,omitempty"`
	History     *ImageHistory   `json:"history,omitempty"`
	Build       *bool           `json:"build,omitempty"`
	BuildConfig json.RawMessage `json:"buildConfig,omitempty"`
}

// DeployEnv is one env variable of a target: a value in TargetConfig (the
// resolved value), a value or a reference in RollbackDeployConfig.
type DeployEnv struct {
	Name     string      `json:"name"`
	Value    EnvValue    `json:"value,omitempty"`
	From     *DeployFrom `json:"from,omitempty"`
	BuildArg bool        `json:"buildArg,omitempty"`
}

// DeployFrom is a reference to a value outside the config.
type DeployFrom struct {
	Env    string `json:"env,omitempty"`
	Secret string `json:"secret,omitempty"`
}

// EnvValue is an env variable's value on the wire. It is sent as it is in
// JSON, but prints as [redacted], so that a request logged by mistake shows
// no value.
type EnvValue string

// String returns Redacted for a value that is set.
func (v EnvValue) String() string { return Secret(v).String() }

// GoString returns the redacted form.
func (v EnvValue) GoString() string { return Secret(v).GoString() }

// Format prints the redacted form for every verb.
func (v EnvValue) Format(f fmt.State, verb rune) { Secret(v).Format(f, verb) }

// RollbackConfig is Haloy's DeployConfig as JSON, as the deploy request
// carries it: one target's settings as written, and the secret providers
// its references name.
type RollbackConfig struct {
	DeployTarget
	SecretProviders SecretProviders `json:"secretProviders,omitempty"`
}

// LogEntry is one event of a deployment's log: the data of one
// server-sent event of GET /v1/deploy/{id}/logs.
type LogEntry struct {
	Level        string         `json:"level"`
	Message      string         `json:"message"`
	Timestamp    time.Time      `json:"timestamp"`
	DeploymentID string         `json:"deploymentID,omitempty"`
	AppName      string         `json:"appName,omitempty"`
	Domains      []string       `json:"domains,omitempty"`
	Fields       map[string]any `json:"fields,omitempty"`
	// IsDeploymentComplete ends the stream; Haloy sets it on failures too.
	IsDeploymentComplete bool `json:"isDeploymentComplete,omitempty"`
	// IsDeploymentFailed wins over IsDeploymentSuccess and IsDeploymentComplete.
	IsDeploymentFailed  bool `json:"isDeploymentFailed,omitempty"`
	IsDeploymentSuccess bool `json:"isDeploymentSuccess,omitempty"`
}

// Ends reports whether e is the last entry of its deployment's log.
func (e LogEntry) Ends() bool { return e.IsDeploymentComplete || e.IsDeploymentFailed }

// Failed reports whether e says the deployment failed.
func (e LogEntry) Failed() bool { return e.IsDeploymentFailed }

// StatusResponse is the body of GET /v1/status/{app}: Haloy's answer
// (state, deployment id, containers and domains of the newest deployment),
// and, from haloyadm serve, the app's recorded deployments.
type StatusResponse struct {
	State        string   `json:"state"`
	DeploymentID string   `json:"deploymentId"`
	ContainerIDs []string `json:"containerIds"`
	Domains      []Domain `json:"domains"`
	// App and Deployments are sent by haloyadm serve only: the app, and its
	// recorded deployments, newest first.
	App         string             `json:"app,omitempty"`
	Deployments []DeploymentRecord `json:"deployments,omitempty"`
	// TokenExpiresAt is the answer's Haloy-Token-Expires header, not part
	// of the body; nil when absent.
	TokenExpiresAt *time.Time `json:"-"`
}

// SetTokenExpires records the answer's Haloy-Token-Expires header.
func (r *StatusResponse) SetTokenExpires(t *time.Time) { r.TokenExpiresAt = t }

// Deployment is a deployment as haloyadm serve records it: what the request
// asked for, with the names of the app's env variables, never their values.
type Deployment struct {
	ID       string   `json:"deployment_id"`
	App      string   `json:"app"`
	Target   string   `json:"target,omitempty"`
	Image    Image    `json:"image"`
	Domains  []Domain `json:"domains,omitempty"`
	EnvNames []string `json:"env,omitempty"`
}

// DeploymentRecord is a deployment as the server recorded it.
type DeploymentRecord struct {
	Deployment
	// TokenID and TokenName identify the token that authorized the deployment.
	TokenID    int64     `json:"token_id"`
	TokenName  string    `json:"token_name"`
	ReceivedAt time.Time `json:"received_at"`
}

// ErrorResponse is the body of haloyadm serve's answers with a status of
// 400 or more. Haloy's own server answers errors in plain text.
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
	// CreatedBy names who made the token (`token "ops" (id 3)`,
	// "haloyadm (root)", ...; "unknown" for tokens made before it was
	// recorded); RevokedBy who revoked it, absent while not revoked.
	CreatedBy string `json:"created_by"`
	RevokedBy string `json:"revoked_by,omitempty"`
}

// Info returns t as the token API shows it, with its status at now.
func (t TokenRecord) Info(now time.Time) TokenInfo {
	opt := func(x time.Time) *time.Time {
		if x.IsZero() {
			return nil
		}
		return &x
	}
	info := TokenInfo{ID: t.ID, Name: t.Name, CreatedAt: t.CreatedAt, ExpiresAt: opt(t.ExpiresAt), LastUsedAt: opt(t.LastUsedAt),
		RevokedAt: opt(t.RevokedAt), Status: string(t.Status(now)), Scopes: t.Grant.Scopes, Apps: t.Grant.Apps, ReplacedBy: t.ReplacedBy,
		CreatedBy: ShowActor(t.CreatedBy)}
	if !t.RevokedAt.IsZero() {
		info.RevokedBy = ShowActor(t.RevokedBy)
	}
	return info
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

// Printable makes text a server sent safe to print: token replaced by
// Redacted, control characters by spaces, cut to max runes.
func Printable(msg string, token Secret, max int) string {
	if !token.IsZero() {
		msg = strings.ReplaceAll(msg, token.Reveal(), Redacted)
	}
	msg = strings.Map(func(r rune) rune {
		if r < 0x20 || r == 0x7f {
			return ' '
		}
		return r
	}, msg)
	if r := []rune(msg); len(r) > max {
		msg = string(r[:max]) + "..."
	}
	return msg
}
