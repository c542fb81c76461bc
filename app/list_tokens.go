package app

import (
	"context"
	"time"

	"github.com/haloy-auth/haloy/core"
	"github.com/haloy-auth/haloy/ports"
)

// ListTokens is `haloyadm api token list`.
type ListTokens struct {
	config ports.ServerConfig
	tokens ports.TokenStore
	now    func() time.Time
}

// NewListTokens returns the use case.
func NewListTokens(config ports.ServerConfig, tokens ports.TokenStore) *ListTokens {
	return &ListTokens{config: config, tokens: tokens, now: time.Now}
}

// TokenListing is one token with its status now.
type TokenListing struct {
	core.TokenRecord
	Status core.TokenStatus
}

// Run returns every token, oldest first, with its status. Returns a
// *core.Error of Kind Missing if haloyadm is not initialized.
func (uc *ListTokens) Run(ctx context.Context) ([]TokenListing, error) {
	if _, err := uc.config.Load(ctx); err != nil {
		return nil, err
	}
	recs, err := uc.tokens.List(ctx)
	if err != nil {
		return nil, err
	}
	now := uc.now()
	out := make([]TokenListing, len(recs))
	for i, r := range recs {
		out[i] = TokenListing{TokenRecord: r, Status: r.Status(now)}
	}
	return out, nil
}
