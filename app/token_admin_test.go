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
	a, notes, _ := newTokenAdmin("30m")
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
	if _, _, err := a.Revoke(ctx, "ci", "haloyadm"); err != nil {
		t.Fatal(err)
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
