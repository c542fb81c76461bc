package memory

import (
	"context"
	"crypto/rand"
	"fmt"
	"slices"
	"strconv"
	"sync"
	"time"

	"github.com/haloy-auth/haloy/core"
	"github.com/haloy-auth/haloy/ports"
)

var _ ports.ServerAPI = (*ServerAPI)(nil)

// ServerAPI is an in-memory twin of the HTTP client and the servers it
// reaches: each named server accepts its own tokens and records
// deployments. A server that is not added cannot be reached.
type ServerAPI struct {
	mu      sync.Mutex
	servers map[string]*Server
}

// Server is one server of the twin. Set its fields before the first call;
// read Calls and Deployments through ServerAPI methods while calls run.
type Server struct {
	// Version is what /health and /v1/version report.
	Version string
	// Tokens maps each accepted token to its name.
	Tokens map[string]string
	// TokenExpiresAt is what /v1/version reports as the token's expiry.
	TokenExpiresAt *time.Time
	// Err, when set, is returned by every call, as an unreachable server's.
	Err error
	// DeployErr, when set, is returned by Deploy after the token is checked.
	DeployErr error
	// OnHealth, when set, is called on each health check, outside any lock.
	OnHealth func(ctx context.Context)
	// OnDeploy, when set, is called with each accepted deployment before it
	// is recorded, outside any lock (tests use it to prove parallelism).
	OnDeploy func(ctx context.Context, r core.DeployRequest)
	// Capabilities is what /v1/version reports.
	Capabilities []string
	// Log, when set, scripts the log stream of a deployment: the entries
	// the attempt-th connection (0 first) delivers and the error it then
	// ends with. A nil error after entries that do not end the log is a
	// dropped stream. Unset, the log is received, recorded and complete,
	// as haloyadm serve's.
	Log func(r core.DeployRequest, attempt int) ([]core.LogEntry, error)

	// Identities maps each CI identity token the server's trust policies
	// accept to the name of the token it mints for it; each is accepted
	// once (a second exchange is a replay).
	Identities map[string]string
	// MintTTL is how long a minted token lives; 15 minutes when zero.
	MintTTL time.Duration
	// Now reads the time for minted tokens' expiry; nil is time.Now.
	Now func() time.Time

	calls       []Call
	used        map[string]bool
	minted      int
	deployments []core.DeploymentRecord // oldest first
	replaced    map[string]bool         // tokens rotated away
	requests    []core.DeployRequest    // the bodies received, oldest first
	attempts    map[string]int
}

// Call is one call a server received.
type Call struct {
	// Method is Health, Version, Deploy or Status.
	Method string
	// Token is the token presented, empty for none.
	Token core.Secret
}

// NewServerAPI returns a twin with no servers.
func NewServerAPI() *ServerAPI { return &ServerAPI{servers: map[string]*Server{}} }

// Add makes server (a normalized name) reachable and returns it.
func (a *ServerAPI) Add(server string, s *Server) *Server {
	a.mu.Lock()
	defer a.mu.Unlock()
	if s.Tokens == nil {
		s.Tokens = map[string]string{}
	}
	a.servers[server] = s
	return s
}

// Server returns the server added under name, or nil.
func (a *ServerAPI) Server(name string) *Server {
	a.mu.Lock()
	defer a.mu.Unlock()
	return a.servers[name]
}

// Revoke makes server stop accepting token at once.
func (a *ServerAPI) Revoke(server string, token core.Secret) {
	a.mu.Lock()
	defer a.mu.Unlock()
	if s, ok := a.servers[server]; ok {
		delete(s.Tokens, token.Reveal())
	}
}

// Calls returns the calls server received, in order.
func (a *ServerAPI) Calls(server string) []Call {
	a.mu.Lock()
	defer a.mu.Unlock()
	if s, ok := a.servers[server]; ok {
		return slices.Clone(s.calls)
	}
	return nil
}

// Deployments returns what server recorded, oldest first.
func (a *ServerAPI) Deployments(server string) []core.DeploymentRecord {
	a.mu.Lock()
	defer a.mu.Unlock()
	if s, ok := a.servers[server]; ok {
		return slices.Clone(s.deployments)
	}
	return nil
}

// Health answers like GET /health: no token needed.
func (a *ServerAPI) Health(ctx context.Context, ep core.Endpoint) (core.HealthResponse, error) {
	s, err := a.enter(ctx, ep, "Health", "")
	if err != nil {
		return core.HealthResponse{}, err
	}
	if s.OnHealth != nil {
		s.OnHealth(ctx)
	}
	return core.HealthResponse{Status: "ok", Service: "haloyd", Version: s.Version}, nil
}

// Version answers like GET /v1/version.
func (a *ServerAPI) Version(ctx context.Context, ep core.Endpoint) (core.VersionResponse, error) {
	s, err := a.enter(ctx, ep, "Version", ep.Token)
	if err != nil {
		return core.VersionResponse{}, err
	}
	a.mu.Lock()
	defer a.mu.Unlock()
	name, ok := s.Tokens[ep.Token.Reveal()]
	if !ok {
		return core.VersionResponse{}, core.TokenRejected(ep)
	}
	return core.VersionResponse{Haloyd: s.Version, Capabilities: s.Capabilities, TokenName: name, TokenExpiresAt: s.TokenExpiresAt}, nil
}

// Requests returns the deploy requests server received, oldest first.
func (a *ServerAPI) Requests(server string) []core.DeployRequest {
	a.mu.Lock()
	defer a.mu.Unlock()
	if s, ok := a.servers[server]; ok {
		return slices.Clone(s.requests)
	}
	return nil
}

// Deploy answers like POST /v1/deploy: checks the token, validates r with
// the check haloyadm serve runs, and records it.
func (a *ServerAPI) Deploy(ctx context.Context, ep core.Endpoint, r core.DeployRequest) error {
	s, err := a.enter(ctx, ep, "Deploy", ep.Token)
	if err != nil {
		return err
	}
	what := fmt.Sprintf("deploy of app %q to %q", r.TargetConfig.Name, ep.Server)
	a.mu.Lock()
	name, ok := s.Tokens[ep.Token.Reveal()]
	deployErr, hook := s.DeployErr, s.OnDeploy
	s.requests = append(s.requests, r)
	a.mu.Unlock()
	switch {
	case !ok:
		return core.TokenRejected(ep)
	case deployErr != nil:
		return deployErr
	}
	if err := core.CheckDeployRequest(r); err != nil {
		return &core.Error{Kind: core.Invalid, What: what + " failed", Why: "the server answered 400 Bad Request: " + err.Error()}
	}
	if hook != nil {
		hook(ctx, r)
	}
	if err := ctx.Err(); err != nil {
		return &core.Error{Kind: core.Unavailable, What: what + " interrupted", Why: err.Error(), Err: err}
	}
	a.mu.Lock()
	defer a.mu.Unlock()
	s.deployments = append(s.deployments, core.DeploymentRecord{Deployment: r.Deployment(""), TokenName: name, ReceivedAt: time.Now().UTC()})
	return nil
}

// DeployLog answers like GET /v1/deploy/{id}/logs: the server's Log
// script, or received, recorded and complete.
func (a *ServerAPI) DeployLog(ctx context.Context, ep core.Endpoint, id string, each func(core.LogEntry) bool) error {
	s, err := a.enter(ctx, ep, "DeployLog", ep.Token)
	if err != nil {
		return err
	}
	what := fmt.Sprintf("log stream of deployment %s on %q", id, ep.Server)
	a.mu.Lock()
	_, ok := s.Tokens[ep.Token.Reveal()]
	var req *core.DeployRequest
	for i := range s.requests {
		if s.requests[i].DeploymentID == id {
			req = &s.requests[i]
		}
	}
	if s.attempts == nil {
		s.attempts = map[string]int{}
	}
	attempt := s.attempts[id]
	s.attempts[id]++
	script := s.Log
	a.mu.Unlock()
	switch {
	case !ok:
		return core.TokenRejected(ep)
	case req == nil:
		return &core.Error{Kind: core.NotFound, What: what + " failed", Why: "the server answered 404 Not Found: unknown deployment " + id}
	}
	entries, end := []core.LogEntry{
		{Level: "INFO", Message: "deployment received", DeploymentID: id, AppName: req.TargetConfig.Name},
		{Level: "INFO", Message: "deployment recorded", DeploymentID: id, AppName: req.TargetConfig.Name},
		{Level: "INFO", Message: "deployment complete", DeploymentID: id, AppName: req.TargetConfig.Name, IsDeploymentComplete: true, IsDeploymentSuccess: true},
	}, error(nil)
	if script != nil {
		entries, end = script(*req, attempt)
	}
	for _, e := range entries {
		if err := ctx.Err(); err != nil {
			return &core.Error{Kind: core.Unavailable, What: what + " interrupted", Why: err.Error(), Err: err}
		}
		if !each(e) {
			return nil
		}
	}
	if end != nil {
		return end
	}
	return &core.Error{Kind: core.Unavailable, What: what + " dropped", Why: "the server closed it before the deployment ended"}
}

// Status answers like haloyadm serve's GET /v1/status/{app}: the newest
// deployment in Haloy's shape, and every deployment, newest first;
// NotFound for an app with no deployments.
func (a *ServerAPI) Status(ctx context.Context, ep core.Endpoint, app string) (core.StatusResponse, error) {
	s, err := a.enter(ctx, ep, "Status", ep.Token)
	if err != nil {
		return core.StatusResponse{}, err
	}
	a.mu.Lock()
	defer a.mu.Unlock()
	if _, ok := s.Tokens[ep.Token.Reveal()]; !ok {
		return core.StatusResponse{}, core.TokenRejected(ep)
	}
	out := core.StatusResponse{App: app, State: "recorded", ContainerIDs: []string{}, TokenExpiresAt: s.TokenExpiresAt}
	for i := len(s.deployments) - 1; i >= 0; i-- {
		if s.deployments[i].App == app {
			out.Deployments = append(out.Deployments, s.deployments[i])
		}
	}
	if len(out.Deployments) == 0 {
		return core.StatusResponse{}, &core.Error{Kind: core.NotFound, What: fmt.Sprintf("status of app %q on %q failed", app, ep.Server),
			Why: "the server answered 404 Not Found: unknown app " + strconv.Quote(app)}
	}
	out.DeploymentID, out.Domains = out.Deployments[0].ID, append([]core.Domain{}, out.Deployments[0].Domains...)
	return out, nil
}

// enter finds the endpoint's server, records the call and returns the
// server's Err; an unknown server is unreachable, as a name that does not
// resolve.
func (a *ServerAPI) enter(ctx context.Context, ep core.Endpoint, method string, token core.Secret) (*Server, error) {
	if err := ctx.Err(); err != nil {
		return nil, &core.Error{Kind: core.Unavailable, What: "call to " + strconv.Quote(ep.Server) + " interrupted", Why: err.Error(), Err: err}
	}
	a.mu.Lock()
	defer a.mu.Unlock()
	s, ok := a.servers[ep.Server]
	if !ok {
		return nil, &core.Error{Kind: core.Unavailable,
			What: fmt.Sprintf("cannot reach %q at %s", ep.Server, core.BaseURL(ep.Server)),
			Why:  "the name " + strconv.Quote(core.ServerHost(ep.Server)) + " does not resolve",
			Fix:  "check the server name (haloy server list) and your DNS"}
	}
	s.calls = append(s.calls, Call{Method: method, Token: token})
	if s.Err != nil {
		return nil, s.Err
	}
	return s, nil
}

// ExchangeOIDC answers like POST /v1/oidc/token: an identity in
// Identities, not used before, mints a token the server then accepts
// until it expires.
func (a *ServerAPI) ExchangeOIDC(ctx context.Context, ep core.Endpoint, identity core.Secret) (core.OIDCExchangeResponse, error) {
	s, err := a.enter(ctx, ep, "ExchangeOIDC", "")
	if err != nil {
		return core.OIDCExchangeResponse{}, err
	}
	a.mu.Lock()
	defer a.mu.Unlock()
	name, ok := s.Identities[identity.Reveal()]
	if !ok || s.used[identity.Reveal()] {
		return core.OIDCExchangeResponse{}, core.IdentityRefused(ep.Server)
	}
	if s.used == nil {
		s.used = map[string]bool{}
	}
	s.used[identity.Reveal()] = true
	s.minted++
	tok := fmt.Sprintf("haloy_memoryMinted%032d", s.minted)
	s.Tokens[tok] = name
	ttl, now := s.MintTTL, time.Now
	if ttl == 0 {
		ttl = 15 * time.Minute
	}
	if s.Now != nil {
		now = s.Now
	}
	return core.OIDCExchangeResponse{Token: tok, Name: name, ExpiresAt: now().Add(ttl).UTC()}, nil
}

var _ ports.TokenAPI = (*ServerAPI)(nil)

// mintTwin returns a fresh token for the twin.
func mintTwin() string {
	var b [core.APITokenBytes]byte
	rand.Read(b[:])
	return core.FormatAPIToken(b)
}

// tokenCall checks ep's token on its server and returns the server and the
// token's name.
func (a *ServerAPI) tokenCall(ctx context.Context, ep core.Endpoint, method string) (*Server, string, error) {
	s, err := a.enter(ctx, ep, method, ep.Token)
	if err != nil {
		return nil, "", err
	}
	a.mu.Lock()
	defer a.mu.Unlock()
	name, ok := s.Tokens[ep.Token.Reveal()]
	if !ok {
		return nil, "", core.TokenRejected(ep)
	}
	return s, name, nil
}

// RotateToken answers like POST /v1/token/rotate: the successor gets the
// name; the old token stays accepted (its grace period) until revoked, and
// is replaced once.
func (a *ServerAPI) RotateToken(ctx context.Context, ep core.Endpoint) (core.IssuedTokenResponse, error) {
	s, name, err := a.tokenCall(ctx, ep, "RotateToken")
	if err != nil {
		return core.IssuedTokenResponse{}, err
	}
	a.mu.Lock()
	defer a.mu.Unlock()
	if s.replaced == nil {
		s.replaced = map[string]bool{}
	}
	if s.replaced[ep.Token.Reveal()] {
		return core.IssuedTokenResponse{}, &core.Error{Kind: core.Conflict, What: "rotation of the token of " + strconv.Quote(ep.Server) + " failed",
			Why: "the server answered 409 Conflict: token " + strconv.Quote(name) + " was already rotated"}
	}
	tok := mintTwin()
	s.Tokens[tok] = name
	s.replaced[ep.Token.Reveal()] = true
	return core.IssuedTokenResponse{Token: tok, Info: core.TokenInfo{Name: name, Status: "active"},
		Replaced: &core.TokenInfo{Name: name, Status: "active"}}, nil
}

// RevokeSelf answers like POST /v1/token/revoke.
func (a *ServerAPI) RevokeSelf(ctx context.Context, ep core.Endpoint) (core.RevokedTokenResponse, error) {
	s, name, err := a.tokenCall(ctx, ep, "RevokeSelf")
	if err != nil {
		return core.RevokedTokenResponse{}, err
	}
	a.mu.Lock()
	defer a.mu.Unlock()
	delete(s.Tokens, ep.Token.Reveal())
	return core.RevokedTokenResponse{Info: core.TokenInfo{Name: name, Status: "revoked"}}, nil
}

// CreateToken answers like POST /v1/tokens: every token of the twin is an
// admin.
func (a *ServerAPI) CreateToken(ctx context.Context, ep core.Endpoint, req core.CreateTokenRequest) (core.IssuedTokenResponse, error) {
	s, _, err := a.tokenCall(ctx, ep, "CreateToken")
	if err != nil {
		return core.IssuedTokenResponse{}, err
	}
	m, err := core.ParseCreateToken(req, time.Now())
	if err != nil {
		return core.IssuedTokenResponse{}, err
	}
	a.mu.Lock()
	defer a.mu.Unlock()
	for _, n := range s.Tokens {
		if n == req.Name {
			return core.IssuedTokenResponse{}, &core.Error{Kind: core.Conflict, What: "token creation on " + strconv.Quote(ep.Server) + " failed",
				Why: "the server answered 409 Conflict: a token named " + strconv.Quote(req.Name) + " already exists"}
		}
	}
	tok := mintTwin()
	s.Tokens[tok] = req.Name
	return core.IssuedTokenResponse{Token: tok, Info: core.TokenInfo{Name: req.Name, Status: "active", Scopes: m.Grant.Scopes, Apps: m.Grant.Apps}}, nil
}

// ListTokens answers like GET /v1/tokens, sorted by name.
func (a *ServerAPI) ListTokens(ctx context.Context, ep core.Endpoint) ([]core.TokenInfo, error) {
	s, _, err := a.tokenCall(ctx, ep, "ListTokens")
	if err != nil {
		return nil, err
	}
	a.mu.Lock()
	defer a.mu.Unlock()
	var names []string
	for _, n := range s.Tokens {
		if !slices.Contains(names, n) {
			names = append(names, n)
		}
	}
	slices.Sort(names)
	out := []core.TokenInfo{}
	for i, n := range names {
		out = append(out, core.TokenInfo{ID: int64(i + 1), Name: n, Status: "active"})
	}
	return out, nil
}

// RevokeToken answers like DELETE /v1/tokens/{ref}, by name.
func (a *ServerAPI) RevokeToken(ctx context.Context, ep core.Endpoint, ref string) (core.RevokedTokenResponse, error) {
	s, _, err := a.tokenCall(ctx, ep, "RevokeToken")
	if err != nil {
		return core.RevokedTokenResponse{}, err
	}
	a.mu.Lock()
	defer a.mu.Unlock()
	found := false
	for tok, n := range s.Tokens {
		if n == ref {
			delete(s.Tokens, tok)
			found = true
		}
	}
	if !found {
		return core.RevokedTokenResponse{}, &core.Error{Kind: core.NotFound, What: fmt.Sprintf("revocation of token %q on %q failed", ref, ep.Server),
			Why: "the server answered 404 Not Found: unknown token " + strconv.Quote(ref)}
	}
	return core.RevokedTokenResponse{Info: core.TokenInfo{Name: ref, Status: "revoked"}}, nil
}
