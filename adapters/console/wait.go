package console

import (
	"context"

	"github.com/haloy-auth/haloy/core"
	"github.com/haloy-auth/haloy/ports"
)

// WaitingAPI wraps api so that each call says what it waits for
// ("waiting for localhost:9922") through notes, whose spinner shows it on a
// terminal. A deployment's log waits between its entries: the spinner
// shows while the server is silent and is gone while an entry is printed.
// Calls it does not know pass through unchanged.
func WaitingAPI(api ports.ServerAPI, notes ports.Notifier) ports.ServerAPI {
	return waitingAPI{ServerAPI: api, notes: notes}
}

type waitingAPI struct {
	ports.ServerAPI
	notes ports.Notifier
}

func (w waitingAPI) Health(ctx context.Context, ep core.Endpoint) (core.HealthResponse, error) {
	defer w.notes.Wait("waiting for " + ep.Server)()
	return w.ServerAPI.Health(ctx, ep)
}

func (w waitingAPI) Version(ctx context.Context, ep core.Endpoint) (core.VersionResponse, error) {
	defer w.notes.Wait("waiting for " + ep.Server)()
	return w.ServerAPI.Version(ctx, ep)
}

func (w waitingAPI) Deploy(ctx context.Context, ep core.Endpoint, r core.DeployRequest) error {
	defer w.notes.Wait("deploying " + r.TargetConfig.Name + " to " + ep.Server)()
	return w.ServerAPI.Deploy(ctx, ep, r)
}

func (w waitingAPI) DeployLog(ctx context.Context, ep core.Endpoint, id string, each func(core.LogEntry) bool) error {
	what := "waiting for the deployment log from " + ep.Server
	done := w.notes.Wait(what)
	defer func() { done() }()
	return w.ServerAPI.DeployLog(ctx, ep, id, func(e core.LogEntry) bool {
		done()
		more := each(e)
		done = w.notes.Wait(what)
		return more
	})
}

func (w waitingAPI) Status(ctx context.Context, ep core.Endpoint, app string) (core.StatusResponse, error) {
	defer w.notes.Wait("waiting for " + ep.Server)()
	return w.ServerAPI.Status(ctx, ep, app)
}

// WaitingSecrets wraps every source so that each fetch says what it asks
// ("asking 1Password Infrastructure/Haloy API Tokens").
func WaitingSecrets(srcs ports.SecretSources, notes ports.Notifier) ports.SecretSources {
	out := make(ports.SecretSources, len(srcs))
	for name, s := range srcs {
		out[name] = waitingSource{SecretSource: s, notes: notes}
	}
	return out
}

type waitingSource struct {
	ports.SecretSource
	notes ports.Notifier
}

func (w waitingSource) Fields(ctx context.Context, src core.SecretSourceRef) (map[string]core.Secret, error) {
	label, err := w.Describe(src)
	if err != nil {
		label = src.Provider + " " + src.Name
	}
	defer w.notes.Wait("asking " + label)()
	return w.SecretSource.Fields(ctx, src)
}

// WaitingTokens wraps the token routes' client as WaitingAPI does.
func WaitingTokens(api ports.TokenAPI, notes ports.Notifier) ports.TokenAPI {
	return waitingTokens{TokenAPI: api, notes: notes}
}

type waitingTokens struct {
	ports.TokenAPI
	notes ports.Notifier
}

func (w waitingTokens) RotateToken(ctx context.Context, ep core.Endpoint) (core.IssuedTokenResponse, error) {
	defer w.notes.Wait("waiting for " + ep.Server)()
	return w.TokenAPI.RotateToken(ctx, ep)
}

func (w waitingTokens) RevokeSelf(ctx context.Context, ep core.Endpoint) (core.RevokedTokenResponse, error) {
	defer w.notes.Wait("waiting for " + ep.Server)()
	return w.TokenAPI.RevokeSelf(ctx, ep)
}

func (w waitingTokens) CreateToken(ctx context.Context, ep core.Endpoint, req core.CreateTokenRequest) (core.IssuedTokenResponse, error) {
	defer w.notes.Wait("waiting for " + ep.Server)()
	return w.TokenAPI.CreateToken(ctx, ep, req)
}

func (w waitingTokens) ListTokens(ctx context.Context, ep core.Endpoint) ([]core.TokenInfo, error) {
	defer w.notes.Wait("waiting for " + ep.Server)()
	return w.TokenAPI.ListTokens(ctx, ep)
}

func (w waitingTokens) RevokeToken(ctx context.Context, ep core.Endpoint, ref string) (core.RevokedTokenResponse, error) {
	defer w.notes.Wait("waiting for " + ep.Server)()
	return w.TokenAPI.RevokeToken(ctx, ep, ref)
}
