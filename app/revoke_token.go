package app

import (
	"context"
	"time"

	"github.com/haloy-auth/haloy/core"
	"github.com/haloy-auth/haloy/ports"
)

// RevokeToken is `haloyadm api token revoke`.
type RevokeToken struct {
	config ports.ServerConfig
	tokens ports.TokenStore
	env    ports.Env
	now    func() time.Time
}

// NewRevokeToken returns the use case.
func NewRevokeToken(config ports.ServerConfig, tokens ports.TokenStore, env ports.Env) *RevokeToken {
	return &RevokeToken{config: config, tokens: tokens, env: env, now: time.Now}
}

// Revoked is the outcome of a revoke.
type Revoked struct {
	Token core.TokenRecord
	// Already is set when the token was revoked before this call.
	Already bool
}

// Run revokes the token whose id or name is ref, at once: a running server
// refuses it from its next request. Returns a *core.Error of Kind Missing if
// haloyadm is not initialized, and of Kind NotFound, listing the known
// names, for an unknown token.
func (uc *RevokeToken) Run(ctx context.Context, ref string) (Revoked, error) {
	if _, err := uc.config.Load(ctx); err != nil {
		return Revoked{}, err
	}
	now := uc.now()
	rec, err := uc.tokens.Revoke(ctx, ref, now, localActor(uc.env))
	if err != nil {
		return Revoked{}, err
	}
	return Revoked{Token: rec, Already: rec.RevokedAt.Before(now.Truncate(0))}, nil
}
