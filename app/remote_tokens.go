package app

import (
	"context"
	"time"

	"github.com/haloy-auth/haloy/core"
	"github.com/haloy-auth/haloy/ports"
)

// RemoteTokens is `haloy token create|list|revoke`: token management on a
// server through its token API, with the server's stored token, which
// needs the admin scope.
type RemoteTokens struct {
	store ports.ClientStore
	env   ports.Env
	toks  ports.TokenAPI
}

// NewRemoteTokens returns the use case.
func NewRemoteTokens(store ports.ClientStore, env ports.Env, toks ports.TokenAPI) *RemoteTokens {
	return &RemoteTokens{store: store, env: env, toks: toks}
}

func (uc *RemoteTokens) endpoint(ctx context.Context, server string) (core.Endpoint, error) {
	st, err := uc.store.Load(ctx)
	if err != nil {
		return core.Endpoint{}, err
	}
	s, err := normalizeConfigured(st, server)
	if err != nil {
		return core.Endpoint{}, err
	}
	return storeEndpoint(st, uc.env, s)
}

// Create makes a token on server as req says; the answer holds the token,
// shown this once. req is checked here first, with haloyadm's messages,
// so that a typo costs no call.
func (uc *RemoteTokens) Create(ctx context.Context, server string, req core.CreateTokenRequest) (core.IssuedTokenResponse, error) {
	if _, err := core.ParseCreateToken(req, time.Now()); err != nil {
		return core.IssuedTokenResponse{}, err
	}
	ep, err := uc.endpoint(ctx, server)
	if err != nil {
		return core.IssuedTokenResponse{}, err
	}
	return uc.toks.CreateToken(ctx, ep, req)
}

// List returns server's tokens, oldest first.
func (uc *RemoteTokens) List(ctx context.Context, server string) ([]core.TokenInfo, error) {
	ep, err := uc.endpoint(ctx, server)
	if err != nil {
		return nil, err
	}
	return uc.toks.ListTokens(ctx, ep)
}

// Revoke revokes the token whose id or name is ref on server.
func (uc *RemoteTokens) Revoke(ctx context.Context, server, ref string) (core.RevokedTokenResponse, error) {
	ep, err := uc.endpoint(ctx, server)
	if err != nil {
		return core.RevokedTokenResponse{}, err
	}
	return uc.toks.RevokeToken(ctx, ep, ref)
}

// RevokeStored is the --revoke of `haloy server delete`: the server's
// stored token revokes itself, before the server is deleted here.
type RevokeStored struct {
	store ports.ClientStore
	env   ports.Env
	toks  ports.TokenAPI
}

// NewRevokeStored returns the use case.
func NewRevokeStored(store ports.ClientStore, env ports.Env, toks ports.TokenAPI) *RevokeStored {
	return &RevokeStored{store: store, env: env, toks: toks}
}

// Run revokes server's stored token on the server. A token haloy does not
// keep is refused, as for rotation.
func (uc *RevokeStored) Run(ctx context.Context, server string) (core.RevokedTokenResponse, error) {
	st, err := uc.store.Load(ctx)
	if err != nil {
		return core.RevokedTokenResponse{}, err
	}
	s, err := normalizeConfigured(st, server)
	if err != nil {
		return core.RevokedTokenResponse{}, err
	}
	ep, err := storedEndpoint(st, uc.env, s, "revoke")
	if err != nil {
		return core.RevokedTokenResponse{}, err
	}
	return uc.toks.RevokeSelf(ctx, ep)
}
