package httpserver

import (
	"encoding/json"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/haloy-auth/haloy/core"
)

func decode[T any](t *testing.T, r resp) T {
	t.Helper()
	var v T
	if err := json.Unmarshal([]byte(r.Body), &v); err != nil {
		t.Fatalf("answer %d %q does not decode: %v", r.Code, r.Body, err)
	}
	return v
}

func TestRotateSelf(t *testing.T) {
	f := newFixture(t)
	g := core.TokenGrant{Scopes: []core.Scope{core.ScopeDeploy}, Apps: []string{"shop"}}
	old := f.tokenWith("ci", 30*24*time.Hour, g)
	f.clock.add(24 * time.Hour)
	got := f.do("POST", "/v1/token/rotate", bearer(old), "")
	if got.Code != 200 {
		t.Fatalf("rotate = %d %s", got.Code, got.Body)
	}
	r := decode[core.IssuedTokenResponse](t, got)
	f.toks = append(f.toks, r.Token)
	if !core.LooksLikeAPIToken(r.Token) || r.Token == old {
		t.Fatalf("rotate gave no new token")
	}
	// same name, grant and lifetime, from now
	if r.Info.Name != "ci" || r.Info.Scopes[0] != core.ScopeDeploy || r.Info.Apps[0] != "shop" || !r.Info.ExpiresAt.Equal(f.clock.now().Add(30*24*time.Hour)) {
		t.Errorf("successor = %+v, want ci with deploy on shop for 30 days from now", r.Info)
	}
	if r.Replaced == nil || r.Replaced.ReplacedBy != r.Info.ID || !r.Replaced.ExpiresAt.Equal(f.clock.now().Add(core.DefaultRotationGrace)) {
		t.Errorf("replaced = %+v, want the old token ending after the grace period", r.Replaced)
	}
	if got := f.do("GET", "/v1/version", bearer(r.Token), ""); got.Code != 200 {
		t.Errorf("the successor = %d, want 200", got.Code)
	}
	// the old token works through its grace period, and is replaced once
	if got := f.do("GET", "/v1/version", bearer(old), ""); got.Code != 200 {
		t.Errorf("the old token in its grace period = %d, want 200", got.Code)
	}
	if got := f.do("POST", "/v1/token/rotate", bearer(old), ""); got.Code != 409 {
		t.Errorf("rotating the old token again = %d %s, want 409", got.Code, got.Body)
	}
	f.clock.add(core.DefaultRotationGrace)
	if got := f.do("GET", "/v1/version", bearer(old), ""); got.Code != 401 {
		t.Errorf("the old token after its grace period = %d, want 401", got.Code)
	}
	if got := f.do("GET", "/v1/version", bearer(r.Token), ""); got.Code != 200 {
		t.Errorf("the successor after the grace period = %d, want 200", got.Code)
	}
}

func TestRevokeSelf(t *testing.T) {
	f := newFixture(t)
	tok := f.tokenWith("dash", 0, core.TokenGrant{Scopes: []core.Scope{core.ScopeRead}})
	got := f.do("POST", "/v1/token/revoke", bearer(tok), "")
	r := decode[core.RevokedTokenResponse](t, got)
	if got.Code != 200 || r.Info.Name != "dash" || r.Info.Status != "revoked" || r.Already {
		t.Errorf("self-revoke = %d %+v, want dash revoked", got.Code, r)
	}
	if got := f.do("GET", "/v1/version", bearer(tok), ""); got.Code != 401 {
		t.Errorf("a revoked token = %d, want 401", got.Code)
	}
}

func TestTokenAPI(t *testing.T) {
	f := newFixture(t)
	admin := f.tokenWith("ops", 0, core.TokenGrant{Scopes: []core.Scope{core.ScopeAdmin}})
	got := f.do("POST", "/v1/tokens", bearer(admin), `{"name":"ci-shop","scopes":["deploy"],"apps":["shop"],"expires":"30d"}`)
	if got.Code != 201 {
		t.Fatalf("create = %d %s", got.Code, got.Body)
	}
	made := decode[core.IssuedTokenResponse](t, got)
	f.toks = append(f.toks, made.Token)
	if got := f.do("POST", "/v1/deploy", bearer(made.Token), deployBody("d1", "shop")); got.Code != 202 {
		t.Errorf("the new token deploying its app = %d %s, want 202", got.Code, got.Body)
	}
	if got := f.do("POST", "/v1/deploy", bearer(made.Token), deployBody("d2", "blog")); got.Code != 403 {
		t.Errorf("the new token deploying another app = %d, want 403", got.Code)
	}
	// the same rules and messages as haloyadm api token
	for _, c := range []struct{ body, want string }{
		{`{"name":"ci-shop"}`, `a token named "ci-shop" already exists: token names are unique, and a revoked or expired token keeps its name until it is pruned`},
		{`{"scopes":["write"]}`, `unknown scope "write"`},
		{`{"expires":"1y"}`, `invalid token lifetime "1y"`},
		{`{"name":"9lives"}`, `invalid token name "9lives"`},
		{`{"token":"x"}`, `invalid token request JSON: json: unknown field "token"`},
	} {
		got := f.do("POST", "/v1/tokens", bearer(admin), c.body)
		if got.Code/100 != 4 || !strings.Contains(decode[core.ErrorResponse](t, got).Error, c.want) {
			t.Errorf("create %s = %d %s, want a 4xx with %q", c.body, got.Code, got.Body, c.want)
		}
	}
	// an admin token limited to an app cannot mint one for every app
	adminShop := f.tokenWith("ops-shop", 0, core.TokenGrant{Scopes: []core.Scope{core.ScopeAdmin}, Apps: []string{"shop"}})
	if got := f.do("POST", "/v1/tokens", bearer(adminShop), `{"name":"wide","scopes":["deploy"]}`); got.Code != 403 {
		t.Errorf("an app-limited admin minting a token for every app = %d %s, want 403", got.Code, got.Body)
	}
	list := decode[[]core.TokenInfo](t, f.do("GET", "/v1/tokens", bearer(admin), ""))
	var names []string
	for _, i := range list {
		names = append(names, i.Name)
	}
	if strings.Join(names, ",") != "ops,ci-shop,ops-shop" {
		t.Errorf("list names = %v, want ops, ci-shop, ops-shop", names)
	}
	got = f.do("DELETE", "/v1/tokens/ci-shop", bearer(admin), "")
	if r := decode[core.RevokedTokenResponse](t, got); got.Code != 200 || r.Info.Status != "revoked" {
		t.Errorf("revoke ci-shop = %d %+v", got.Code, r)
	}
	if got := f.do("GET", "/v1/version", bearer(made.Token), ""); got.Code != 401 {
		t.Errorf("a token revoked remotely = %d, want 401", got.Code)
	}
	if got := f.do("DELETE", "/v1/tokens/nope", bearer(admin), ""); got.Code != 404 || !strings.Contains(got.Body, `unknown token \"nope\"`) {
		t.Errorf("revoke nope = %d %s, want 404", got.Code, got.Body)
	}
}

// TestManageLimit: an admin token limited to some apps lists only the
// tokens it covers and revokes only those; any other revocation is a 403
// naming the token and what it lacks, and leaves the token working. An
// unrestricted admin token lists and revokes every token.
func TestManageLimit(t *testing.T) {
	admin := core.TokenGrant{Scopes: []core.Scope{core.ScopeAdmin}}
	grants := []struct {
		name string
		g    core.TokenGrant
	}{
		{"root", core.TokenGrant{}},
		{"ops", admin},
		{"ops-a", core.TokenGrant{Scopes: []core.Scope{core.ScopeAdmin}, Apps: []string{"a"}}},
		{"ops-ab", core.TokenGrant{Scopes: []core.Scope{core.ScopeAdmin}, Apps: []string{"a", "b"}}},
		{"ci-a", core.TokenGrant{Scopes: []core.Scope{core.ScopeDeploy}, Apps: []string{"a"}}},
		{"ci-b", core.TokenGrant{Scopes: []core.Scope{core.ScopeDeploy}, Apps: []string{"b"}}},
		{"read-ab", core.TokenGrant{Scopes: []core.Scope{core.ScopeRead}, Apps: []string{"a", "b"}}},
		{"deploy-all", core.TokenGrant{Scopes: []core.Scope{core.ScopeDeploy}}},
	}
	all := []string{"root", "ops", "ops-a", "ops-ab", "ci-a", "ci-b", "read-ab", "deploy-all"}
	// what each caller lacks for each target it may not manage
	for _, tt := range []struct {
		caller  string
		sees    []string
		missing map[string]string
	}{
		{"root", all, nil},
		{"ops", all, nil},
		{"ops-a", []string{"ops-a", "ci-a"}, map[string]string{"root": "every app", "ops": "every app", "ops-ab": "apps b",
			"ci-b": "apps b", "read-ab": "apps b", "deploy-all": "every app"}},
		{"ops-ab", []string{"ops-a", "ops-ab", "ci-a", "ci-b", "read-ab"}, map[string]string{"root": "every app", "ops": "every app", "deploy-all": "every app"}},
	} {
		t.Run(tt.caller, func(t *testing.T) {
			f := newFixture(t)
			toks := map[string]string{}
			for _, g := range grants {
				toks[g.name] = f.tokenWith(g.name, 0, g.g)
			}
			caller := toks[tt.caller]
			list := decode[[]core.TokenInfo](t, f.do("GET", "/v1/tokens", bearer(caller), ""))
			var names []string
			for _, i := range list {
				names = append(names, i.Name)
			}
			if diff := cmp.Diff(tt.sees, names); diff != "" {
				t.Errorf("GET /v1/tokens by %s mismatch (-want +got):\n%s", tt.caller, diff)
			}
			var callerID int64
			for i, n := range all {
				if n == tt.caller {
					callerID = int64(i + 1)
				}
			}
			for i, target := range all {
				if target == tt.caller {
					continue // revoking itself would end the table
				}
				miss, refused := tt.missing[target]
				got := f.do("DELETE", "/v1/tokens/"+target, bearer(caller), "")
				if !refused {
					if got.Code != 200 {
						t.Errorf("DELETE %s by %s = %d %s, want 200", target, tt.caller, got.Code, got.Body)
					}
					continue
				}
				want := fmt.Sprintf(`token %q (id %d) may not revoke token %q (id %d): a token can only revoke tokens that do no more than it does, and %q also has %s (its scopes: admin, its apps: %s) (revoke it with an admin token without app limits, or on the server: sudo haloyadm api token revoke %s)`,
					tt.caller, callerID, target, i+1, target, miss, grants[callerID-1].g.AppText(), target)
				if got.Code != 403 || decode[core.ErrorResponse](t, got).Error != want {
					t.Errorf("DELETE %s by %s = %d %s, want 403 %q", target, tt.caller, got.Code, got.Body, want)
				}
				// refused, it changed nothing: the token still works
				if got := f.do("GET", "/v1/version", bearer(toks[target]), ""); got.Code != 200 {
					t.Errorf("%s after a refused revocation by %s = %d, want 200", target, tt.caller, got.Code)
				}
			}
			// by id too: the numeric reference is checked the same way
			if tt.missing["root"] != "" {
				if got := f.do("DELETE", "/v1/tokens/1", bearer(caller), ""); got.Code != 403 {
					t.Errorf("DELETE 1 (root) by %s = %d %s, want 403", tt.caller, got.Code, got.Body)
				}
			}
			// the unrestricted token survives exactly the callers that may not revoke it
			if got := f.do("GET", "/v1/version", bearer(toks["root"]), ""); tt.caller != "root" && (got.Code == 200) != (tt.missing["root"] != "") {
				t.Errorf("root after %s's revocations = %d", tt.caller, got.Code)
			}
		})
	}
}
