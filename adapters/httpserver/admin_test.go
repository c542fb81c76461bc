package httpserver

import (
	"context"
	"crypto/rand"
	"time"

	"github.com/haloy-auth/haloy/core"
	"github.com/haloy-auth/haloy/ports"
)

// testAdmin is the smallest ports.TokenAdmin over a real store, for the
// server's own tests (app.TokenAdmin is the real one; the e2e tests run it
// behind this server).
type testAdmin struct {
	store ports.TokenStore
	now   func() time.Time
}

func randomTok() string {
	var b [core.APITokenBytes]byte
	rand.Read(b[:])
	return core.FormatAPIToken(b)
}

func (a *testAdmin) Mint(ctx context.Context, req core.MintRequest) (core.Minted, error) {
	if req.Limit != nil && !req.Limit.Covers(req.Grant) {
		return core.Minted{}, core.GrantExceeds(req.By, *req.Limit, req.Grant)
	}
	tok := randomTok()
	name := req.Name
	if name == "" {
		name = core.DefaultTokenName(a.now())
	}
	rec, err := a.store.Create(ctx, core.NewTokenRecord{Name: name, Hash: core.HashAPIToken(tok), CreatedAt: a.now(), ExpiresAt: req.ExpiresAt, Grant: req.Grant, CreatedBy: req.By})
	return core.Minted{Token: core.Secret(tok), Record: rec}, err
}

func (a *testAdmin) Rotate(ctx context.Context, old core.TokenRecord) (core.Minted, core.TokenRecord, error) {
	tok, now := randomTok(), a.now()
	succ, err := a.store.Rotate(ctx, old.ID, core.NewTokenRecord{Hash: core.HashAPIToken(tok), CreatedAt: now, ExpiresAt: core.SuccessorExpiry(old, now), CreatedBy: core.RotationActor(old.ID)}, now.Add(core.DefaultRotationGrace))
	if err != nil {
		return core.Minted{}, core.TokenRecord{}, err
	}
	old.ReplacedBy, old.ExpiresAt = succ.ID, now.Add(core.DefaultRotationGrace)
	return core.Minted{Token: core.Secret(tok), Record: succ}, old, nil
}

func (a *testAdmin) Revoke(ctx context.Context, req core.RevokeRequest) (core.TokenRecord, bool, error) {
	if req.Limit != nil {
		list, err := a.store.List(ctx)
		if err != nil {
			return core.TokenRecord{}, false, err
		}
		if err := core.CheckRevoke(req, list); err != nil {
			return core.TokenRecord{}, false, err
		}
	}
	now := a.now()
	rec, err := a.store.Revoke(ctx, req.Ref, now, req.By)
	return rec, err == nil && rec.RevokedAt.Before(now), err
}

func (a *testAdmin) List(ctx context.Context, limit *core.TokenGrant) ([]core.TokenRecord, error) {
	list, err := a.store.List(ctx)
	return core.Manageable(limit, list), err
}
