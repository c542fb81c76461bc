package httpserver

import (
	"strings"
	"testing"

	"github.com/haloy-auth/haloy/core"
)

// TestTokenRequestSizeLimit: POST /v1/tokens takes a body of exactly
// maxTokenRequest bytes, and answers 413 to one byte more.
func TestTokenRequestSizeLimit(t *testing.T) {
	f := newFixture(t)
	admin := f.tokenWith("ops", 0, core.TokenGrant{Scopes: []core.Scope{core.ScopeAdmin}})
	body := func(n int, name string) string {
		js := `{"name":"` + name + `"}`
		return strings.Repeat(" ", n-len(js)) + js // the JSON last: a short read cuts it
	}
	got := f.do("POST", "/v1/tokens", bearer(admin), body(maxTokenRequest, "at-limit"))
	if got.Code != 201 {
		t.Fatalf("a request of exactly %d bytes = %d %s, want 201", maxTokenRequest, got.Code, got.Body)
	}
	if made := decode[core.IssuedTokenResponse](t, got); made.Info.Name != "at-limit" {
		t.Errorf("token made from a request of %d bytes = %q, want at-limit", maxTokenRequest, made.Info.Name)
	} else {
		f.toks = append(f.toks, made.Token)
	}
	got = f.do("POST", "/v1/tokens", bearer(admin), body(maxTokenRequest+1, "over-limit"))
	want := "the token request is larger than 65536 bytes"
	if got.Code != 413 || decode[core.ErrorResponse](t, got).Error != want {
		t.Errorf("a request of %d bytes = %d %s, want 413 %q", maxTokenRequest+1, got.Code, got.Body, want)
	}
}

// TestTokenRequestEmptyBody: an empty or blank body asks for a token with
// the defaults, as '{}' does; it is not invalid JSON.
func TestTokenRequestEmptyBody(t *testing.T) {
	for _, c := range []struct{ name, body string }{
		{"empty", ""},
		{"blank", " \n\t"},
	} {
		t.Run(c.name, func(t *testing.T) {
			f := newFixture(t)
			admin := f.tokenWith("ops", 0, core.TokenGrant{Scopes: []core.Scope{core.ScopeAdmin}})
			got := f.do("POST", "/v1/tokens", bearer(admin), c.body)
			if got.Code != 201 {
				t.Fatalf("create with body %q = %d %s, want 201", c.body, got.Code, got.Body)
			}
			made := decode[core.IssuedTokenResponse](t, got)
			f.toks = append(f.toks, made.Token)
			if !made.Info.ExpiresAt.Equal(f.clock.now().Add(core.DefaultTokenLifetime)) {
				t.Errorf("token from body %q expires %v, want the default lifetime from now", c.body, made.Info.ExpiresAt)
			}
		})
	}
}

// TestCoreErrorMessage: an error's fix follows its text in parentheses, and
// an error without a fix has nothing after its text.
func TestCoreErrorMessage(t *testing.T) {
	f := newFixture(t)
	admin := f.tokenWith("ops", 0, core.TokenGrant{Scopes: []core.Scope{core.ScopeAdmin}})
	for _, c := range []struct {
		method, path, body string
		code               int
		want               string
	}{
		{"DELETE", "/v1/tokens/opss", "", 404, `unknown token "opss": known tokens: ops (did you mean "ops"? run 'haloyadm api token list' for ids and names)`},
		{"POST", "/v1/deploy", `{"deploymentID":"X"}`, 400, `invalid deploymentID "X": a deployment id is a ULID in lower case (26 characters of 0-9 and a-z without i, l, o, u)`},
	} {
		got := f.do(c.method, c.path, bearer(admin), c.body)
		if msg := decode[core.ErrorResponse](t, got).Error; got.Code != c.code || msg != c.want {
			t.Errorf("%s %s %s = %d %q, want %d %q", c.method, c.path, c.body, got.Code, msg, c.code, c.want)
		}
	}
}
