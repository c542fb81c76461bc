package httpserver

import (
	"encoding/json"
	"fmt"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/haloy-auth/haloy/core"
)

// routeCall is how the matrix calls one route: a request touching app, and
// the status that says the handler ran.
type routeCall func(f *fixture, app string, n int) (method, path, body string, ok int)

// routeCalls has one entry per route of Routes(): a route added without
// one fails TestScopeMatrix.
var routeCalls = map[string]routeCall{
	"GET /v1/version": func(*fixture, string, int) (string, string, string, int) {
		return "GET", "/v1/version", "", 200
	},
	"POST /v1/deploy": func(_ *fixture, app string, n int) (string, string, string, int) {
		return "POST", "/v1/deploy", deployBody(fmt.Sprintf("m%d", n), app), 202
	},
	"GET /v1/status/{app}": func(_ *fixture, app string, _ int) (string, string, string, int) {
		return "GET", "/v1/status/" + app, "", 200
	},
	"POST /v1/token/rotate": func(*fixture, string, int) (string, string, string, int) {
		return "POST", "/v1/token/rotate", "", 200
	},
	"POST /v1/token/revoke": func(*fixture, string, int) (string, string, string, int) {
		return "POST", "/v1/token/revoke", "", 200
	},
	"GET /v1/tokens": func(*fixture, string, int) (string, string, string, int) {
		return "GET", "/v1/tokens", "", 200
	},
	"POST /v1/tokens": func(_ *fixture, app string, n int) (string, string, string, int) {
		return "POST", "/v1/tokens", fmt.Sprintf(`{"name":"made-%d","scopes":["read"],"apps":[%q]}`, n, "a"), 201
	},
	"DELETE /v1/tokens/{ref}": func(f *fixture, _ string, n int) (string, string, string, int) {
		// a victim every admin token of the matrix covers (TestManageLimit
		// covers the ones it does not)
		f.tokenWith(fmt.Sprintf("victim-%d", n), 0, core.TokenGrant{Scopes: []core.Scope{core.ScopeRead}, Apps: []string{"a"}})
		return "DELETE", fmt.Sprintf("/v1/tokens/victim-%d", n), "", 200
	},
	// the app of a deployment's log is the deployment's (seeded by TestScopeMatrix)
	"GET /v1/deploy/{id}/logs": func(_ *fixture, app string, _ int) (string, string, string, int) {
		return "GET", "/v1/deploy/" + wireID("seed-"+app) + "/logs", "", 200
	},
}

// TestScopeMatrix calls every route with every scope, with the app the
// token is for, another app, and a token for every app, against the real
// server and store: each cell is allowed (the handler ran) or a 403 that
// names the token and what it lacks (the handler did not run).
func TestScopeMatrix(t *testing.T) {
	f := newFixture(t)
	seed := f.token("seed", 0)
	for _, app := range []string{"a", "b"} {
		if got := f.do("POST", "/v1/deploy", bearer(seed), deployBody("seed-"+app, app)); got.Code != 202 {
			t.Fatalf("seed deployment of %s = %d %s", app, got.Code, got.Body)
		}
	}
	for _, rt := range f.srv.Routes() {
		if routeCalls[rt.Pattern] == nil {
			t.Fatalf("route %q has no case in the scope matrix: add one to routeCalls", rt.Pattern)
		}
	}
	grants := map[string][]core.Scope{"all": nil, "read": {core.ScopeRead}, "deploy": {core.ScopeDeploy}, "admin": {core.ScopeAdmin}}
	n := 0
	for _, rt := range f.srv.Routes() {
		for gname, scopes := range grants {
			for _, apps := range [][]string{nil, {"a"}} {
				for _, target := range []string{"a", "b"} {
					n++
					name := fmt.Sprintf("t%d-%s", n, gname)
					g := core.TokenGrant{Scopes: scopes, Apps: apps}
					tok := f.tokenWith(name, time.Hour, g)
					method, path, body, okCode := routeCalls[rt.Pattern](f, target, n)
					hasScope := scopes == nil || slices.ContainsFunc(scopes, func(s core.Scope) bool { return s.Includes(rt.Scope) })
					forApp := rt.App == nil || apps == nil || slices.Contains(apps, target)
					cell := fmt.Sprintf("%s with scopes %v apps %v on app %s", rt.Pattern, scopes, apps, target)
					got := f.do(method, path, bearer(tok), body)
					if got.Hdr.Get(core.HeaderTokenExpires) != f.clock.now().Add(time.Hour).Format(time.RFC3339) {
						t.Errorf("%s: %s = %q, want the token's expiry", cell, core.HeaderTokenExpires, got.Hdr.Get(core.HeaderTokenExpires))
					}
					if hasScope && forApp {
						if got.Code != okCode {
							t.Errorf("%s = %d %s, want %d", cell, got.Code, got.Body, okCode)
						}
						continue
					}
					want := core.ErrorResponse{Token: name}
					if !hasScope {
						want.MissingScope = rt.Scope
						want.Error = fmt.Sprintf("token %q lacks the %s scope this route needs (it has: %s)", name, rt.Scope, g.ScopeText())
					} else {
						want.App = target
						want.Error = fmt.Sprintf("token %q is not for app %q (its apps: %s)", name, target, g.AppText())
					}
					var gotBody core.ErrorResponse
					if err := json.Unmarshal([]byte(got.Body), &gotBody); err != nil || got.Code != 403 {
						t.Errorf("%s = %d %s, want 403", cell, got.Code, got.Body)
						continue
					}
					if diff := cmp.Diff(want, gotBody); diff != "" {
						t.Errorf("%s body mismatch (-want +got):\n%s", cell, diff)
					}
					if h, want := got.Hdr.Get(core.HeaderAcceptedScopes), core.JoinScopes(core.AcceptedScopes(rt.Scope)); h != want {
						t.Errorf("%s: %s = %q, want %q", cell, core.HeaderAcceptedScopes, h, want)
					}
				}
			}
		}
	}
	// a refused deployment was not recorded: only the allowed ones were
	for _, app := range []string{"a", "b"} {
		var st core.StatusResponse
		got := f.do("GET", "/v1/status/"+app, bearer(seed), "")
		if err := json.Unmarshal([]byte(got.Body), &st); err != nil {
			t.Fatal(err)
		}
		for _, d := range st.Deployments {
			if d.TokenName != "seed" && !strings.HasSuffix(d.TokenName, "-all") && !strings.HasSuffix(d.TokenName, "-deploy") && !strings.HasSuffix(d.TokenName, "-admin") {
				t.Errorf("deployment %s of %s by token %q was recorded, want it refused", d.ID, app, d.TokenName)
			}
		}
	}
	// every decision is logged with the token, its id, the scope and the app
	want := `api: POST /v1/deploy token="t` // one of many; the exact line is checked in TestAuditLine
	if !slices.ContainsFunc(f.notes.Infos, func(l string) bool { return strings.HasPrefix(l, want) }) {
		t.Errorf("no audit line starting %q in %q", want, f.notes.Infos)
	}
}

func TestAuditLine(t *testing.T) {
	f := newFixture(t)
	tok := f.tokenWith("ci", 0, core.TokenGrant{Scopes: []core.Scope{core.ScopeDeploy}, Apps: []string{"a"}})
	f.do("POST", "/v1/deploy", bearer(tok), deployBody("d1", "b"))
	f.do("GET", "/v1/version", bearer(tok), "")
	want := []string{
		`api: POST /v1/deploy token="ci" id=1 scope=deploy app="b" refused: token "ci" is not for app "b" (its apps: a)`,
		`api: GET /v1/version token="ci" id=1 scope=read app="" allowed`,
	}
	if diff := cmp.Diff(want, f.notes.Infos); diff != "" {
		t.Errorf("audit lines mismatch (-want +got):\n%s", diff)
	}
}

// A 403 is a valid token asking for too much, not a guess: it must not
// use up the failure budget of its address.
func TestForbiddenNotRateLimited(t *testing.T) {
	f := newFixture(t)
	tok := f.tokenWith("dash", 0, core.TokenGrant{Scopes: []core.Scope{core.ScopeRead}})
	for i := range 3 * FailureBurst {
		if got := f.do("POST", "/v1/deploy", bearer(tok), deployBody(fmt.Sprintf("d%d", i), "web")); got.Code != 403 {
			t.Fatalf("refused deploy %d = %d, want 403", i, got.Code)
		}
	}
	bad := bearer(core.FormatAPIToken([32]byte{9}))
	for i := range FailureBurst {
		if got := f.do("GET", "/v1/version", bad, ""); got.Code != 401 {
			t.Fatalf("bad token %d after the 403s = %d, want 401 (the budget is untouched)", i, got.Code)
		}
	}
	if got := f.do("GET", "/v1/version", bad, ""); got.Code != 429 {
		t.Errorf("bad token past the burst = %d, want 429", got.Code)
	}
}

// Every authenticated answer carries the token's expiry; a token that
// never expires gets none, and neither does a refused one.
func TestTokenExpiresHeader(t *testing.T) {
	f := newFixture(t)
	soon := f.tokenWith("soon", 48*time.Hour, core.TokenGrant{Scopes: []core.Scope{core.ScopeRead}})
	never := f.token("never", 0)
	want := f.clock.now().Add(48 * time.Hour).Format(time.RFC3339)
	for _, c := range []struct{ method, path, body string }{
		{"GET", "/v1/version", ""},
		{"GET", "/v1/nope", ""},
		{"GET", "/v1/status/x", ""},
		{"POST", "/v1/deploy", deployBody("d1", "x")},
	} {
		if got := f.do(c.method, c.path, bearer(soon), c.body); got.Hdr.Get(core.HeaderTokenExpires) != want {
			t.Errorf("%s %s = %d with %s %q, want %q", c.method, c.path, got.Code, core.HeaderTokenExpires, got.Hdr.Get(core.HeaderTokenExpires), want)
		}
		if got := f.do(c.method, c.path, bearer(never), c.body); got.Hdr.Values(core.HeaderTokenExpires) != nil {
			t.Errorf("%s %s with a token that never expires has %s %q", c.method, c.path, core.HeaderTokenExpires, got.Hdr.Get(core.HeaderTokenExpires))
		}
	}
	if got := f.do("GET", "/v1/version", bearer(core.FormatAPIToken([32]byte{1})), ""); got.Hdr.Values(core.HeaderTokenExpires) != nil {
		t.Errorf("a 401 has %s", core.HeaderTokenExpires)
	}
}
