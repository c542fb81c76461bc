package app

import (
	"context"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/haloy-auth/haloy/adapters/memory"
	"github.com/haloy-auth/haloy/core"
)

const exchangeIssuer = "https://token.actions.githubusercontent.com"

type exchangeWorld struct {
	*adminWorld
	trust *memory.Trust
	ids   *memory.Identities
}

func newExchangeWorld(t *testing.T) *exchangeWorld {
	w := &exchangeWorld{adminWorld: newAdminWorld(true), trust: &memory.Trust{}}
	w.ids = &memory.Identities{Now: w.clock}
	return w
}

func (w *exchangeWorld) exchange() *ExchangeOIDC {
	uc := NewExchangeOIDC(w.config, w.trust, w.ids, w.tokens, w.notes)
	uc.now = w.clock
	return uc
}

func (w *exchangeWorld) addPolicy(t *testing.T, change func(p *core.TrustPolicy)) core.TrustPolicy {
	t.Helper()
	p := core.TrustPolicy{Provider: core.TrustGitHub, Issuer: exchangeIssuer, Repository: "acme/web", Ref: "refs/heads/main",
		Apps: []string{"web"}, Scopes: []core.Scope{core.ScopeDeploy}, TTL: core.DefaultTrustTTL}
	if change != nil {
		change(&p)
	}
	if err := p.Validate(); err != nil {
		t.Fatal(err)
	}
	p, err := w.trust.AddPolicy(context.Background(), p)
	if err != nil {
		t.Fatal(err)
	}
	return p
}

var jtiSeq int

func (w *exchangeWorld) ciToken(change func(t *core.OIDCToken)) core.Secret {
	jtiSeq++
	tok := core.OIDCToken{Issuer: exchangeIssuer, Subject: "repo:acme/web:ref:refs/heads/main", Audience: []string{"haloy:api.example.com"},
		ID: "jti-" + strconv.Itoa(jtiSeq), IssuedAt: w.now, Expiry: w.now.Add(5 * time.Minute),
		Claims: map[string]string{"repository": "acme/web", "repository_id": "4242", "repository_owner_id": "77",
			"ref": "refs/heads/main", "run_id": "9001", "run_attempt": "1"}}
	if change != nil {
		change(&tok)
	}
	return core.Secret(w.ids.Mint(tok, time.Time{}))
}

func wantRefused(t *testing.T, err error, reason string) {
	t.Helper()
	var ce *core.Error
	if !errors.As(err, &ce) || ce.Kind != core.Unauthorized {
		t.Fatalf("Exchange() error = %v, want a refusal (Kind Unauthorized)", err)
	}
	if !strings.Contains(ce.Why, reason) {
		t.Errorf("refusal reason = %q, want it to contain %q", ce.Why, reason)
	}
}

func TestExchangeOIDCMints(t *testing.T) {
	w := newExchangeWorld(t)
	p := w.addPolicy(t, func(p *core.TrustPolicy) { p.TTL = 20 * time.Minute })
	ctx := context.Background()
	got, err := w.exchange().Exchange(ctx, core.ExchangeRequest{Token: w.ciToken(nil), Listen: ":9922"})
	if err != nil {
		t.Fatal(err)
	}
	if !core.LooksLikeAPIToken(got.Token) || !got.ExpiresAt.Equal(w.now.Add(20*time.Minute)) || !strings.HasPrefix(got.Name, "gh-acme.web-main-run9001.1-") {
		t.Errorf("Exchange() = name %q, expires %v; want a token named after the run, expiring in 20m", got.Name, got.ExpiresAt)
	}
	// stored hashed, listed and limited like every token
	rec, ok, _ := w.tokens.Lookup(ctx, core.HashAPIToken(got.Token))
	if !ok {
		t.Fatal("minted token not in the store")
	}
	want := core.TokenGrant{Scopes: []core.Scope{core.ScopeDeploy}, Apps: []string{"web"}}
	if diff := cmp.Diff(want, rec.Grant); diff != "" || rec.Name != got.Name {
		t.Errorf("minted token grant mismatch (-want +got):\n%s", diff)
	}
	// the record keeps the identity that exchanged
	if wantBy := fmt.Sprintf(`oidc policy %d (GitHub Actions): sub "repo:acme/web:ref:refs/heads/main"`, p.ID); rec.CreatedBy != wantBy {
		t.Errorf("minted token created by %q, want %q", rec.CreatedBy, wantBy)
	}
	// the ids are pinned at the first exchange
	ps, _ := w.trust.Policies(ctx)
	if ps[0].RepositoryID != "4242" || ps[0].OwnerID != "77" {
		t.Errorf("policy %d after the first exchange: repository id %q, owner id %q; want 4242 and 77", p.ID, ps[0].RepositoryID, ps[0].OwnerID)
	}
	// the token dies after its TTL
	w.now = w.now.Add(20 * time.Minute)
	rec, _, _ = w.tokens.Lookup(ctx, core.HashAPIToken(got.Token))
	if rec.Status(w.now) != core.TokenExpired {
		t.Errorf("minted token status after its TTL = %s, want expired", rec.Status(w.now))
	}
	if len(w.notes.Infos) < 1 || !strings.Contains(strings.Join(w.notes.Infos, "\n"), "minted token "+`"`+got.Name) {
		t.Errorf("notes = %q, want the exchange logged with the token's name", w.notes.Infos)
	}
}

func TestExchangeOIDCRefuses(t *testing.T) {
	tests := []struct {
		name   string
		policy func(p *core.TrustPolicy)
		token  func(t *core.OIDCToken)
		want   string
	}{
		{name: "wrong_repository", token: func(t *core.OIDCToken) { t.Claims["repository"] = "evil/web" }, want: `policy 1: repository is "evil/web"`},
		{name: "wrong_ref", token: func(t *core.OIDCToken) { t.Claims["ref"] = "refs/heads/dev" }, want: `ref is "refs/heads/dev"`},
		{name: "mis_addressed", token: func(t *core.OIDCToken) { t.Audience = []string{"haloy:other.example.com"} }, want: "aud is"},
		{name: "github_owner_audience", token: func(t *core.OIDCToken) { t.Audience = []string{"https://github.com/acme"} }, want: "aud is"},
		{name: "recreated_repository", policy: func(p *core.TrustPolicy) { p.RepositoryID = "1" }, want: "pinned 1"},
		{name: "untrusted_issuer", token: func(t *core.OIDCToken) { t.Issuer = "https://evil.example" }, want: "not the issuer of any trust policy"},
		{name: "expired", token: func(t *core.OIDCToken) { t.Expiry = t.IssuedAt.Add(-2 * time.Minute) }, want: "expired"},
		{name: "forged", want: "signature does not verify"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			w := newExchangeWorld(t)
			w.addPolicy(t, tt.policy)
			tok := w.ciToken(tt.token)
			if tt.name == "forged" {
				tok = "not-minted"
			}
			_, err := w.exchange().Exchange(context.Background(), core.ExchangeRequest{Token: tok, Listen: ":9922"})
			wantRefused(t, err, tt.want)
			if list, _ := w.tokens.List(context.Background()); len(list) != 0 {
				t.Errorf("a refused exchange minted %d tokens", len(list))
			}
		})
	}
}

func TestExchangeOIDCReplay(t *testing.T) {
	w := newExchangeWorld(t)
	w.addPolicy(t, nil)
	tok := w.ciToken(nil)
	uc := w.exchange()
	if _, err := uc.Exchange(context.Background(), core.ExchangeRequest{Token: tok}); err != nil {
		t.Fatal(err)
	}
	_, err := uc.Exchange(context.Background(), core.ExchangeRequest{Token: tok})
	wantRefused(t, err, "already exchanged: a replay")
}

// Policies added and removed while serving apply to the next exchange.
func TestExchangeOIDCPolicyChanges(t *testing.T) {
	w := newExchangeWorld(t)
	uc := w.exchange()
	ctx := context.Background()
	_, err := uc.Exchange(ctx, core.ExchangeRequest{Token: w.ciToken(nil)})
	wantRefused(t, err, "no trust policy is configured")
	p := w.addPolicy(t, nil)
	if _, err := uc.Exchange(ctx, core.ExchangeRequest{Token: w.ciToken(nil)}); err != nil {
		t.Fatalf("Exchange() after trust add = %v", err)
	}
	if _, err := w.trust.RemovePolicy(ctx, p.ID); err != nil {
		t.Fatal(err)
	}
	_, err = uc.Exchange(ctx, core.ExchangeRequest{Token: w.ciToken(nil)})
	wantRefused(t, err, "no trust policy is configured")
}

// Without an API domain the default audience is haloy:<listen address>.
func TestExchangeOIDCListenAudience(t *testing.T) {
	w := newExchangeWorld(t)
	w.config.Settings = &core.ServerSettings{}
	w.addPolicy(t, nil)
	_, err := w.exchange().Exchange(context.Background(), core.ExchangeRequest{Token: w.ciToken(nil), Listen: "127.0.0.1:9922"})
	wantRefused(t, err, `want "haloy:127.0.0.1:9922"`)
	tok := w.ciToken(func(t *core.OIDCToken) { t.Audience = []string{"haloy:127.0.0.1:9922"} })
	if _, err := w.exchange().Exchange(context.Background(), core.ExchangeRequest{Token: tok, Listen: "127.0.0.1:9922"}); err != nil {
		t.Errorf("Exchange() with the listen audience = %v", err)
	}
}
