package app

import (
	"context"
	"fmt"
	"strconv"
	"time"

	"github.com/haloy-auth/haloy/core"
	"github.com/haloy-auth/haloy/ports"
)

var _ ports.TokenAdmin = (*TokenAdmin)(nil)

// TokenAdmin is the token API's side of token management: what an admin
// token may do remotely (haloy token ...), what any token may do to itself
// (rotate, revoke), and what an OIDC exchange mints. Tokens are made by the
// same code as 'haloyadm api token', and every change is logged with who
// asked.
type TokenAdmin struct {
	config ports.ServerConfig
	tokens ports.TokenStore
	notes  ports.Notifier
	now    func() time.Time
}

// NewTokenAdmin returns the token API's token management.
func NewTokenAdmin(config ports.ServerConfig, tokens ports.TokenStore, notes ports.Notifier) *TokenAdmin {
	return &TokenAdmin{config: config, tokens: tokens, notes: notes, now: time.Now}
}

// Mint creates a token as req says.
func (a *TokenAdmin) Mint(ctx context.Context, req core.MintRequest) (core.Minted, error) {
	if req.Name != "" {
		if err := core.CheckTokenName(req.Name); err != nil {
			return core.Minted{}, err
		}
	}
	if req.Limit != nil && !req.Limit.Covers(req.Grant) {
		return core.Minted{}, core.GrantExceeds(req.By, *req.Limit, req.Grant)
	}
	t, err := issue(ctx, a.tokens, a.now(), req.Name, req.ExpiresAt, req.Grant, req.By)
	if err != nil {
		return core.Minted{}, err
	}
	a.notes.Info(fmt.Sprintf("token created: %s by %s; scopes %s, apps %s, expires %s",
		describe(t.Record), req.By, t.Record.Grant.ScopeText(), t.Record.Grant.AppText(), expiresText(t.Record.ExpiresAt)))
	return core.Minted{Token: core.Secret(t.Token), Record: t.Record}, nil
}

// Rotate replaces old with a successor, which keeps old's name, grant and
// lifetime; old works on for the configured grace period.
func (a *TokenAdmin) Rotate(ctx context.Context, old core.TokenRecord) (core.Minted, core.TokenRecord, error) {
	settings, err := a.config.Load(ctx)
	if err != nil {
		return core.Minted{}, core.TokenRecord{}, err
	}
	grace, err := settings.Grace()
	if err != nil {
		return core.Minted{}, core.TokenRecord{}, err
	}
	now := a.now()
	tok := newToken()
	succ, err := a.tokens.Rotate(ctx, old.ID, core.NewTokenRecord{Hash: core.HashAPIToken(tok), CreatedAt: now, ExpiresAt: core.SuccessorExpiry(old, now), CreatedBy: core.RotationActor(old.ID)}, now.Add(grace))
	if err != nil {
		return core.Minted{}, core.TokenRecord{}, err
	}
	old.ReplacedBy = succ.ID
	if old.ExpiresAt.IsZero() || old.ExpiresAt.After(now.Add(grace)) {
		old.ExpiresAt = now.Add(grace).UTC()
	}
	a.notes.Info(fmt.Sprintf("token rotated: %s replaced by id %d by itself; the old one works until %s",
		describe(old), succ.ID, old.ExpiresAt.UTC().Format(time.RFC3339)))
	return core.Minted{Token: core.Secret(tok), Record: succ}, old, nil
}

// Revoke revokes the token req.Ref names, for req.By. With req.Limit set,
// it first checks that every token the reference names is one the asking
// token covers, and changes nothing otherwise.
func (a *TokenAdmin) Revoke(ctx context.Context, req core.RevokeRequest) (core.TokenRecord, bool, error) {
	if req.Limit != nil {
		// a token's grant never changes and a name's tokens share one (a
		// successor inherits it), so the check holds until the revocation
		list, err := a.tokens.List(ctx)
		if err != nil {
			return core.TokenRecord{}, false, err
		}
		if err := core.CheckRevoke(req, list); err != nil {
			return core.TokenRecord{}, false, err
		}
	}
	now := a.now()
	rec, err := a.tokens.Revoke(ctx, req.Ref, now, req.By)
	if err != nil {
		return core.TokenRecord{}, false, err
	}
	already := rec.RevokedAt.Before(now.Truncate(0))
	if !already {
		a.notes.Info(fmt.Sprintf("token revoked: %s by %s", describe(rec), req.By))
	}
	return rec, already, nil
}

// List returns the tokens a token holding limit covers (every token for a
// nil limit), oldest first.
func (a *TokenAdmin) List(ctx context.Context, limit *core.TokenGrant) ([]core.TokenRecord, error) {
	list, err := a.tokens.List(ctx)
	if err != nil {
		return nil, err
	}
	return core.Manageable(limit, list), nil
}

// describe names a token for the log: `"ci" (id 3)`.
func describe(t core.TokenRecord) string {
	return strconv.Quote(t.Name) + " (id " + strconv.FormatInt(t.ID, 10) + ")"
}

func expiresText(t time.Time) string {
	if t.IsZero() {
		return "never"
	}
	return t.UTC().Format(time.RFC3339)
}
