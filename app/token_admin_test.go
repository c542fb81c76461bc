package app

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/haloy-auth/haloy/adapters/memory"
	"github.com/haloy-auth/haloy/core"
)

func newTokenAdmin(grace string) (*TokenAdmin, *memory.Notes, *memory.Tokens) {
	notes, toks := &memory.Notes{}, &memory.Tokens{}
	a := NewTokenAdmin(&memory.ServerConfig{Settings: &core.ServerSettings{RotationGrace: grace}}, toks, notes)
	t0 := time.Date(2026, 11, 30, 12, 0, 0, 0, time.UTC)
	a.now = func() time.Time { return t0 }
	return a, notes, toks
}

func TestTokenAdminAudit(t *testing.T) {
	ctx := context.Background()
	a, notes, toks := newTokenAdmin("30m")
	g := core.TokenGrant{Scopes: []core.Scope{core.ScopeDeploy}, Apps: []string{"shop"}}
	m, err := a.Mint(ctx, core.MintRequest{Name: "ci", ExpiresAt: a.now().Add(24 * time.Hour), Grant: g, By: `token "ops" (id 9)`})
	if err != nil {
		t.Fatal(err)
	}
	succ, old, err := a.Rotate(ctx, m.Record)
	if err != nil {
		t.Fatal(err)
	}
	if succ.Token == m.Token || succ.Record.Name != "ci" || !old.ExpiresAt.Equal(a.now().Add(30*time.Minute)) {
		t.Errorf("Rotate() = %+v, old %+v, want a new token named ci and the old one ending in 30 minutes", succ.Record, old)
	}
	if _, _, err := a.Revoke(ctx, core.RevokeRequest{Ref: "ci", By: "haloyadm"}); err != nil {
		t.Fatal(err)
	}
	// the record keeps who did each: the minting token, the rotation, the revoker
	list, _ := toks.List(ctx)
	var actors [][2]string
	for _, r := range list {
		actors = append(actors, [2]string{r.CreatedBy, r.RevokedBy})
	}
	if diff := cmp.Diff([][2]string{{`token "ops" (id 9)`, "haloyadm"}, {"rotation of id 1 by itself", "haloyadm"}}, actors); diff != "" {
		t.Errorf("recorded actors mismatch (-want +got):\n%s", diff)
	}
	want := []string{
		`token created: "ci" (id 1) by token "ops" (id 9); scopes deploy, apps shop, expires 2026-12-01T12:00:00Z`,
		`token rotated: "ci" (id 1) replaced by id 2 by itself; the old one works until 2026-11-30T12:30:00Z`,
		`token revoked: "ci" (id 2) by haloyadm`,
	}
	if diff := cmp.Diff(want, notes.Infos); diff != "" {
		t.Errorf("audit lines mismatch (-want +got):\n%s", diff)
	}
	for _, l := range notes.Infos {
		for _, tok := range []core.Secret{m.Token, succ.Token} {
			if containsToken(l, tok) {
				t.Errorf("audit line %q holds a token", l)
			}
		}
	}
}

func containsToken(s string, tok core.Secret) bool {
	return tok.Reveal() != "" && strings.Contains(s, tok.Reveal())
}

func TestTokenAdminLimit(t *testing.T) {
	a, _, toks := newTokenAdmin("")
	limit := core.TokenGrant{Scopes: []core.Scope{core.ScopeAdmin}, Apps: []string{"shop"}}
	_, err := a.Mint(context.Background(), core.MintRequest{Name: "wide", Grant: core.TokenGrant{Scopes: []core.Scope{core.ScopeDeploy}}, By: `token "ops" (id 1)`, Limit: &limit})
	want := &core.Error{Kind: core.Unauthorized, What: `token "ops" (id 1) may not create a token with scopes deploy for apps all`,
		Why: "a token can only create tokens that do no more than it does (its scopes: admin, its apps: shop)",
		Fix: "ask for fewer scopes or apps, or use a token without app limits"}
	if diff := cmp.Diff(error(want), err); diff != "" {
		t.Errorf("Mint() beyond its limit mismatch (-want +got):\n%s", diff)
	}
	if list, _ := toks.List(context.Background()); len(list) != 0 {
		t.Errorf("Mint() beyond its limit wrote %v", list)
	}
}

// TestTokenAdminManageLimit: an admin token limited to some apps lists and
// revokes only the tokens it covers, as it mints only those; refused, it
// changes nothing. Without a limit (an unrestricted admin) every token.
func TestTokenAdminManageLimit(t *testing.T) {
	ctx := context.Background()
	a, notes, toks := newTokenAdmin("")
	admin := core.TokenGrant{Scopes: []core.Scope{core.ScopeAdmin}}
	shopAdmin := core.TokenGrant{Scopes: []core.Scope{core.ScopeAdmin}, Apps: []string{"shop"}}
	for _, m := range []core.MintRequest{
		{Name: "root"},
		{Name: "ops", Grant: admin},
		{Name: "ops-shop", Grant: shopAdmin},
		{Name: "ci-shop", Grant: core.TokenGrant{Scopes: []core.Scope{core.ScopeDeploy}, Apps: []string{"shop"}}},
		{Name: "ci-blog", Grant: core.TokenGrant{Scopes: []core.Scope{core.ScopeDeploy}, Apps: []string{"blog"}}},
		{Name: "ci-both", Grant: core.TokenGrant{Scopes: []core.Scope{core.ScopeRead}, Apps: []string{"blog", "shop"}}},
	} {
		if _, err := a.Mint(ctx, m); err != nil {
			t.Fatal(err)
		}
	}
	names := func(list []core.TokenRecord) []string {
		var out []string
		for _, r := range list {
			out = append(out, r.Name)
		}
		return out
	}
	for _, tt := range []struct {
		name  string
		limit *core.TokenGrant
		want  []string
	}{
		{"no_limit", nil, []string{"root", "ops", "ops-shop", "ci-shop", "ci-blog", "ci-both"}},
		{"unrestricted_admin", &admin, []string{"root", "ops", "ops-shop", "ci-shop", "ci-blog", "ci-both"}},
		{"admin_for_shop", &shopAdmin, []string{"ops-shop", "ci-shop"}},
	} {
		t.Run(tt.name, func(t *testing.T) {
			got, err := a.List(ctx, tt.limit)
			if err != nil {
				t.Fatal(err)
			}
			if diff := cmp.Diff(tt.want, names(got)); diff != "" {
				t.Errorf("List(%v) mismatch (-want +got):\n%s", tt.limit, diff)
			}
		})
	}

	by := `token "ops-shop" (id 3)`
	for _, tt := range []struct {
		name, ref string
		want      error
	}{
		{"unrestricted_by_name", "root", &core.Error{Kind: core.Unauthorized, What: by + ` may not revoke token "root" (id 1)`,
			Why: `a token can only revoke tokens that do no more than it does, and "root" also has every app (its scopes: admin, its apps: shop)`,
			Fix: "revoke it with an admin token without app limits, or on the server: sudo haloyadm api token revoke root"}},
		{"unrestricted_admin_by_id", "2", &core.Error{Kind: core.Unauthorized, What: by + ` may not revoke token "ops" (id 2)`,
			Why: `a token can only revoke tokens that do no more than it does, and "ops" also has every app (its scopes: admin, its apps: shop)`,
			Fix: "revoke it with an admin token without app limits, or on the server: sudo haloyadm api token revoke ops"}},
		{"other_app", "ci-blog", &core.Error{Kind: core.Unauthorized, What: by + ` may not revoke token "ci-blog" (id 5)`,
			Why: `a token can only revoke tokens that do no more than it does, and "ci-blog" also has apps blog (its scopes: admin, its apps: shop)`,
			Fix: "revoke it with an admin token without app limits, or on the server: sudo haloyadm api token revoke ci-blog"}},
		// unknown: the list of names is only what it may see
		{"unknown", "nope", &core.Error{Kind: core.NotFound, What: `unknown token "nope"`, Why: "known tokens: ops-shop, ci-shop",
			Fix: "run 'haloyadm api token list' for ids and names"}},
	} {
		t.Run("refused_"+tt.name, func(t *testing.T) {
			_, _, err := a.Revoke(ctx, core.RevokeRequest{Ref: tt.ref, By: by, Limit: &shopAdmin})
			if diff := cmp.Diff(tt.want, err); diff != "" {
				t.Errorf("Revoke(%q) mismatch (-want +got):\n%s", tt.ref, diff)
			}
		})
	}
	all, _ := toks.List(ctx)
	for _, r := range all {
		if !r.RevokedAt.IsZero() {
			t.Errorf("a refused revocation revoked %q", r.Name)
		}
	}
	if len(notes.Infos) != 6 {
		t.Errorf("log after refusals = %q, want only the six creations", notes.Infos)
	}
	// what it covers, it revokes; an unrestricted admin revokes anything
	if rec, _, err := a.Revoke(ctx, core.RevokeRequest{Ref: "ci-shop", By: by, Limit: &shopAdmin}); err != nil || rec.RevokedAt.IsZero() {
		t.Errorf("Revoke(ci-shop) by the shop admin = %+v, %v, want it revoked", rec, err)
	}
	if rec, _, err := a.Revoke(ctx, core.RevokeRequest{Ref: "root", By: `token "ops" (id 2)`, Limit: &admin}); err != nil || rec.RevokedAt.IsZero() {
		t.Errorf("Revoke(root) by an unrestricted admin = %+v, %v, want it revoked", rec, err)
	}
}

func TestTokenAdminBadGrace(t *testing.T) {
	a, _, _ := newTokenAdmin("forever")
	m, err := a.Mint(context.Background(), core.MintRequest{Name: "ci"})
	if err != nil {
		t.Fatal(err)
	}
	_, _, err = a.Rotate(context.Background(), m.Record)
	if ce, ok := err.(*core.Error); !ok || ce.What != `invalid rotation_grace "forever" in haloyadm.yaml` {
		t.Errorf("Rotate() with a bad grace = %v", err)
	}
}
