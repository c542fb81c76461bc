package porttest

import (
	"context"
	"errors"
	"slices"
	"testing"

	"github.com/haloy-auth/haloy/core"
	"github.com/haloy-auth/haloy/ports"
)

// TokenAPIHarness is one fresh server, which accepts AdminToken (a token
// with every scope, named "ops"), behind a TokenAPI and a ServerAPI.
type TokenAPIHarness struct {
	Tokens     ports.TokenAPI
	API        ports.ServerAPI
	Server     string
	AdminToken core.Secret
}

// TokenAPI runs the TokenAPI contract against the servers open starts.
func TokenAPI(t *testing.T, open func(t *testing.T) TokenAPIHarness) {
	ctx := context.Background()
	kind := func(err error) core.Kind {
		var ce *core.Error
		if errors.As(err, &ce) {
			return ce.Kind
		}
		return core.Internal
	}
	accepted := func(t *testing.T, h TokenAPIHarness, tok core.Secret) bool {
		t.Helper()
		_, err := h.API.Version(ctx, core.Endpoint{Server: h.Server, Token: tok})
		if err != nil && kind(err) != core.Unauthorized {
			t.Fatalf("Version() error = %v", err)
		}
		return err == nil
	}

	t.Run("rotate", func(t *testing.T) {
		h := open(t)
		ep := core.Endpoint{Server: h.Server, Token: h.AdminToken}
		r, err := h.Tokens.RotateToken(ctx, ep)
		if err != nil {
			t.Fatalf("RotateToken() error = %v", err)
		}
		if !core.LooksLikeAPIToken(r.Token) || r.Token == h.AdminToken.Reveal() || r.Info.Name != "ops" || r.Replaced == nil {
			t.Fatalf("RotateToken() = name %q, replaced %v; want a new token named ops", r.Info.Name, r.Replaced)
		}
		if !accepted(t, h, core.Secret(r.Token)) || !accepted(t, h, h.AdminToken) {
			t.Errorf("after RotateToken(), the successor and the old token (in its grace period) must both be accepted")
		}
		if _, err := h.Tokens.RotateToken(ctx, ep); kind(err) != core.Conflict {
			t.Errorf("RotateToken() of a rotated-away token error = %v, want Kind Conflict", err)
		}
		if _, err := h.Tokens.RevokeSelf(ctx, ep); err != nil {
			t.Fatalf("RevokeSelf() error = %v", err)
		}
		if accepted(t, h, h.AdminToken) || !accepted(t, h, core.Secret(r.Token)) {
			t.Errorf("after the old token revoked itself, it must be refused and the successor accepted")
		}
	})

	t.Run("create_list_revoke", func(t *testing.T) {
		h := open(t)
		ep := core.Endpoint{Server: h.Server, Token: h.AdminToken}
		r, err := h.Tokens.CreateToken(ctx, ep, core.CreateTokenRequest{Name: "ci-shop", Scopes: []string{"deploy"}, Apps: []string{"shop"}})
		if err != nil {
			t.Fatalf("CreateToken() error = %v", err)
		}
		if r.Info.Name != "ci-shop" || !slices.Equal(r.Info.Scopes, []core.Scope{core.ScopeDeploy}) || !slices.Equal(r.Info.Apps, []string{"shop"}) {
			t.Errorf("CreateToken() info = %+v, want ci-shop with deploy on shop", r.Info)
		}
		if !accepted(t, h, core.Secret(r.Token)) {
			t.Errorf("the created token is refused")
		}
		if _, err := h.Tokens.CreateToken(ctx, ep, core.CreateTokenRequest{Name: "ci-shop"}); kind(err) != core.Conflict {
			t.Errorf("CreateToken() of a taken name error = %v, want Kind Conflict", err)
		}
		list, err := h.Tokens.ListTokens(ctx, ep)
		if err != nil {
			t.Fatalf("ListTokens() error = %v", err)
		}
		if !slices.ContainsFunc(list, func(i core.TokenInfo) bool { return i.Name == "ci-shop" }) {
			t.Errorf("ListTokens() = %+v, want ci-shop in it", list)
		}
		if _, err := h.Tokens.RevokeToken(ctx, ep, "ci-shop"); err != nil {
			t.Fatalf("RevokeToken() error = %v", err)
		}
		if accepted(t, h, core.Secret(r.Token)) {
			t.Errorf("a revoked token is accepted")
		}
		if _, err := h.Tokens.RevokeToken(ctx, ep, "nope"); kind(err) != core.NotFound {
			t.Errorf("RevokeToken(nope) error = %v, want Kind NotFound", err)
		}
	})
}
