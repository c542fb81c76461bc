package oidc_test

import (
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/base64"
	"errors"
	"strings"
	"sync"
	"testing"
	"time"

	jose "github.com/go-jose/go-jose/v4"
	"github.com/google/go-cmp/cmp"

	"github.com/haloy-auth/haloy/adapters/oidc"
	"github.com/haloy-auth/haloy/core"
	"github.com/haloy-auth/haloy/internal/oidctest"
)

const aud = "haloy:api.example.com"

type clock struct {
	mu sync.Mutex
	t  time.Time
}

func (c *clock) now() time.Time      { c.mu.Lock(); defer c.mu.Unlock(); return c.t }
func (c *clock) add(d time.Duration) { c.mu.Lock(); defer c.mu.Unlock(); c.t = c.t.Add(d) }

func setup(t *testing.T) (*oidctest.Issuer, *oidc.Verifier, *clock) {
	t.Helper()
	is := oidctest.NewIssuer(t)
	c := &clock{t: time.Now().Truncate(time.Second)}
	return is, oidc.New(is.Client(), c.now), c
}

// refusedBecause checks that err is an Unauthorized refusal whose reason
// contains want, and that the reason never quotes the token.
func refusedBecause(t *testing.T, err error, raw, want string) {
	t.Helper()
	var ce *core.Error
	if !errors.As(err, &ce) || ce.Kind != core.Unauthorized {
		t.Fatalf("Verify error = %v, want a *core.Error of Kind Unauthorized", err)
	}
	if !strings.Contains(ce.Why, want) {
		t.Errorf("refusal reason = %q, want it to contain %q", ce.Why, want)
	}
	if len(raw) > 20 && strings.Contains(err.Error(), raw[len(raw)-20:]) {
		t.Errorf("refusal %q quotes the token", err)
	}
}

func TestVerifyAccepts(t *testing.T) {
	is, v, c := setup(t)
	claims := is.Claims(aud, c.now())
	got, err := v.Verify(context.Background(), is.Sign(claims), []string{is.URL})
	if err != nil {
		t.Fatal(err)
	}
	want := core.OIDCToken{Issuer: is.URL, Subject: "repo:acme/web:ref:refs/heads/main", Audience: []string{aud},
		ID: claims["jti"].(string), IssuedAt: c.now(), Expiry: c.now().Add(5 * time.Minute),
		Algorithm: "RS256", KeyID: is.Current().ID}
	if diff := cmp.Diff(want, got, cmp.FilterPath(func(p cmp.Path) bool { return p.Last().String() == ".Claims" }, cmp.Ignore())); diff != "" {
		t.Errorf("Verify mismatch (-want +got):\n%s", diff)
	}
	for k, w := range map[string]string{"repository": "acme/web", "repository_id": "4242", "ref": "refs/heads/main", "exp": "", "iat": ""} {
		if w != "" && got.Claims[k] != w {
			t.Errorf("claim %s = %q, want %q", k, got.Claims[k], w)
		}
	}
	if got.Claims["iat"] == "" { // numbers are kept as their decimal text
		t.Errorf("numeric claim iat missing from Claims")
	}

	is.Rotate(jose.ES256, false)
	c.add(oidc.RefreshInterval) // the new kid is fetched at most once a minute
	if _, err := v.Verify(context.Background(), is.Sign(is.Claims(aud, c.now())), []string{is.URL}); err != nil {
		t.Errorf("ES256 token refused: %v", err)
	}
}

func TestVerifyRefuses(t *testing.T) {
	hs256 := func(is *oidctest.Issuer, claims map[string]any) string {
		// an HMAC token keyed with something public: the classic alg confusion
		head := base64.RawURLEncoding.EncodeToString([]byte(`{"alg":"HS256","kid":"key-1","typ":"JWT"}`))
		body := base64.RawURLEncoding.EncodeToString([]byte(`{"iss":"` + is.URL + `"}`))
		m := hmac.New(sha256.New, []byte("key-1"))
		m.Write([]byte(head + "." + body))
		return head + "." + body + "." + base64.RawURLEncoding.EncodeToString(m.Sum(nil))
	}
	none := func(is *oidctest.Issuer, claims map[string]any) string {
		head := base64.RawURLEncoding.EncodeToString([]byte(`{"alg":"none","kid":"key-1"}`))
		body := base64.RawURLEncoding.EncodeToString([]byte(`{"iss":"` + is.URL + `"}`))
		return head + "." + body + "."
	}
	tests := []struct {
		name    string
		token   func(is *oidctest.Issuer, c *clock) string
		issuers func(is *oidctest.Issuer) []string
		want    string
	}{
		{name: "oversized", want: "over the limit of 16384",
			token: func(is *oidctest.Issuer, c *clock) string {
				cl := is.Claims(aud, c.now())
				cl["pad"] = strings.Repeat("x", core.MaxOIDCTokenBytes)
				return is.Sign(cl)
			}},
		{name: "alg_none", want: "RS256 or ES256", token: func(is *oidctest.Issuer, c *clock) string { return none(is, nil) }},
		{name: "alg_hs256", want: "RS256 or ES256", token: func(is *oidctest.Issuer, c *clock) string { return hs256(is, nil) }},
		{name: "alg_rs384", want: "RS256 or ES256", token: func(is *oidctest.Issuer, c *clock) string {
			k := is.NewKey(jose.RS256)
			k.Alg = jose.RS384
			return is.SignWith(k, is.Claims(aud, c.now()))
		}},
		{name: "not_a_jwt", want: "not a compact JWS", token: func(is *oidctest.Issuer, c *clock) string { return "a.b" }},
		{name: "forged_signature", want: "signature does not verify", token: func(is *oidctest.Issuer, c *clock) string {
			k := is.NewKey(jose.RS256)
			k.ID = is.Current().ID // a key the attacker owns, under the issuer's kid
			return is.SignWith(k, is.Claims(aud, c.now()))
		}},
		{name: "key_type_does_not_fit_alg", want: "it is for RS256, the token says ES256", token: func(is *oidctest.Issuer, c *clock) string {
			k := is.NewKey(jose.ES256)
			k.ID = is.Current().ID // the published RSA key's kid on an ES256 token
			return is.SignWith(k, is.Claims(aud, c.now()))
		}},
		{name: "untrusted_issuer", want: "is not the issuer of any trust policy",
			token:   func(is *oidctest.Issuer, c *clock) string { return is.Sign(is.Claims(aud, c.now())) },
			issuers: func(is *oidctest.Issuer) []string { return []string{core.GitHubIssuer} }},
		{name: "issuer_trailing_slash", want: "is not the issuer of any trust policy",
			token:   func(is *oidctest.Issuer, c *clock) string { return is.Sign(is.Claims(aud, c.now())) },
			issuers: func(is *oidctest.Issuer) []string { return []string{is.URL + "/"} }},
		{name: "no_kid", want: "no kid", token: func(is *oidctest.Issuer, c *clock) string {
			k := is.Current()
			k.ID = ""
			return is.SignWith(k, is.Claims(aud, c.now()))
		}},
		{name: "expired", want: "expired at", token: func(is *oidctest.Issuer, c *clock) string {
			cl := is.Claims(aud, c.now().Add(-2*time.Minute))
			cl["exp"] = c.now().Add(-61 * time.Second).Unix()
			return is.Sign(cl)
		}},
		{name: "no_exp", want: "no exp claim", token: func(is *oidctest.Issuer, c *clock) string {
			cl := is.Claims(aud, c.now())
			delete(cl, "exp")
			return is.Sign(cl)
		}},
		{name: "no_iat", want: "no iat claim", token: func(is *oidctest.Issuer, c *clock) string {
			cl := is.Claims(aud, c.now())
			delete(cl, "iat")
			return is.Sign(cl)
		}},
		{name: "not_yet_valid", want: "not valid before", token: func(is *oidctest.Issuer, c *clock) string {
			cl := is.Claims(aud, c.now())
			cl["nbf"] = c.now().Add(61 * time.Second).Unix()
			return is.Sign(cl)
		}},
		{name: "issued_in_future", want: "issued in the future", token: func(is *oidctest.Issuer, c *clock) string {
			cl := is.Claims(aud, c.now().Add(2*time.Minute))
			delete(cl, "nbf")
			return is.Sign(cl)
		}},
		{name: "too_old", want: "at most 10m0s is accepted", token: func(is *oidctest.Issuer, c *clock) string {
			cl := is.Claims(aud, c.now().Add(-11*time.Minute))
			cl["exp"] = c.now().Add(time.Hour).Unix() // a long-lived token is still refused by age
			return is.Sign(cl)
		}},
		{name: "no_jti", want: "no jti claim", token: func(is *oidctest.Issuer, c *clock) string {
			cl := is.Claims(aud, c.now())
			delete(cl, "jti")
			return is.Sign(cl)
		}},
		{name: "exp_wrong_type", want: "wrong type", token: func(is *oidctest.Issuer, c *clock) string {
			cl := is.Claims(aud, c.now())
			cl["exp"] = "tomorrow"
			return is.Sign(cl)
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			is, v, c := setup(t)
			raw := tt.token(is, c)
			issuers := []string{is.URL}
			if tt.issuers != nil {
				issuers = tt.issuers(is)
			}
			_, err := v.Verify(context.Background(), raw, issuers)
			refusedBecause(t, err, raw, tt.want)
		})
	}
}

// The size limit comes before any parsing or fetching.
func TestVerifyOversizedFetchesNothing(t *testing.T) {
	is, v, _ := setup(t)
	_, err := v.Verify(context.Background(), strings.Repeat("A", core.MaxOIDCTokenBytes+1), []string{is.URL})
	refusedBecause(t, err, "", "it was not parsed")
	if n := is.JWKSFetches.Load(); n != 0 {
		t.Errorf("JWKS fetched %d times for an oversized token, want 0", n)
	}
}

// Skew of up to 60 s is allowed on exp, nbf and iat.
func TestVerifyAllowsSkew(t *testing.T) {
	is, v, c := setup(t)
	cl := is.Claims(aud, c.now().Add(50*time.Second))
	cl["nbf"] = c.now().Add(50 * time.Second).Unix()
	if _, err := v.Verify(context.Background(), is.Sign(cl), []string{is.URL}); err != nil {
		t.Errorf("token 50 s in the future refused: %v", err)
	}
	cl = is.Claims(aud, c.now().Add(-5*time.Minute))
	cl["exp"] = c.now().Add(-50 * time.Second).Unix()
	if _, err := v.Verify(context.Background(), is.Sign(cl), []string{is.URL}); err != nil {
		t.Errorf("token expired 50 s ago refused: %v", err)
	}
}

func TestVerifyDiscovery(t *testing.T) {
	tests := []struct {
		name          string
		issuer, jwks  func(is *oidctest.Issuer) string
		issuerInToken func(is *oidctest.Issuer) string
		want          string
	}{
		{name: "discovery_names_another_issuer", want: "names issuer",
			issuer: func(is *oidctest.Issuer) string { return "https://evil.example" }},
		{name: "jwks_over_http", want: "is not an https URL",
			jwks: func(is *oidctest.Issuer) string { return strings.Replace(is.URL, "https", "http", 1) + "/jwks" }},
		{name: "issuer_over_http", want: "not an https URL",
			issuerInToken: func(is *oidctest.Issuer) string { return strings.Replace(is.URL, "https", "http", 1) }},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			is, v, c := setup(t)
			iss, jwks := "", ""
			if tt.issuer != nil {
				iss = tt.issuer(is)
			}
			if tt.jwks != nil {
				jwks = tt.jwks(is)
			}
			is.SetDiscovery(iss, jwks)
			cl := is.Claims(aud, c.now())
			trusted := is.URL
			if tt.issuerInToken != nil {
				trusted = tt.issuerInToken(is)
				cl["iss"] = trusted
			}
			raw := is.Sign(cl)
			_, err := v.Verify(context.Background(), raw, []string{trusted})
			refusedBecause(t, err, raw, tt.want)
			if n := is.JWKSFetches.Load(); n != 0 {
				t.Errorf("JWKS fetched %d times, want 0", n)
			}
		})
	}
}

// An unknown kid fetches the keys again, at most once a minute; keys that
// left the set keep verifying through a rotation, then are dropped.
func TestVerifyKeyRotation(t *testing.T) {
	is, v, c := setup(t)
	ctx := context.Background()
	verify := func(raw string) error { _, err := v.Verify(ctx, raw, []string{is.URL}); return err }
	old := is.Current()
	oldToken := is.Sign(is.Claims(aud, c.now()))
	if err := verify(oldToken); err != nil {
		t.Fatal(err)
	}
	if n := is.JWKSFetches.Load(); n != 1 {
		t.Fatalf("JWKS fetches after the first token = %d, want 1", n)
	}
	if err := verify(is.Sign(is.Claims(aud, c.now()))); err != nil {
		t.Fatal(err)
	}
	if n := is.JWKSFetches.Load(); n != 1 {
		t.Errorf("JWKS fetches after a second token with a known kid = %d, want 1 (cached)", n)
	}

	// Forged kids do not make the server fetch again within the minute.
	for range 5 {
		raw := is.SignWith(is.NewKey(jose.RS256), is.Claims(aud, c.now()))
		refusedBecause(t, verify(raw), raw, "fetched at most once every 1m0s")
	}
	if n := is.JWKSFetches.Load(); n != 1 {
		t.Errorf("JWKS fetches after 5 unknown kids within the minute = %d, want 1", n)
	}
	c.add(oidc.RefreshInterval)
	raw := is.SignWith(is.NewKey(jose.RS256), is.Claims(aud, c.now()))
	refusedBecause(t, verify(raw), raw, "is not among the 1 keys")
	if n := is.JWKSFetches.Load(); n != 2 {
		t.Errorf("JWKS fetches after an unknown kid a minute later = %d, want 2", n)
	}

	// The issuer rotates and drops the old key. Within the minute the new
	// kid is refused; after it, the keys are fetched and both verify.
	is.Rotate(jose.ES256, true)
	newToken := is.Sign(is.Claims(aud, c.now()))
	refusedBecause(t, verify(newToken), newToken, "fetched at most once")
	c.add(oidc.RefreshInterval)
	if err := verify(newToken); err != nil {
		t.Fatalf("token of the rotated-in key refused: %v", err)
	}
	if n := is.JWKSFetches.Load(); n != 3 {
		t.Errorf("JWKS fetches = %d, want 3", n)
	}
	oldToken = is.SignWith(old, is.Claims(aud, c.now()))
	if err := verify(oldToken); err != nil {
		t.Errorf("token of the rotated-out key refused during the rotation: %v", err)
	}
	// Long after the rotation the old key is gone.
	c.add(core.OIDCMaxAge + core.OIDCSkew + time.Second)
	oldToken = is.SignWith(old, is.Claims(aud, c.now()))
	refusedBecause(t, verify(oldToken), oldToken, "is not among the 1 keys")
}

// A caller that hangs up must not leave the issuer without keys for the
// next minute: the fetch is not cancelled with its request.
func TestVerifyFetchOutlivesCaller(t *testing.T) {
	is, v, c := setup(t)
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	_, _ = v.Verify(ctx, is.Sign(is.Claims(aud, c.now())), []string{is.URL})
	if _, err := v.Verify(context.Background(), is.Sign(is.Claims(aud, c.now())), []string{is.URL}); err != nil {
		t.Errorf("token after a cancelled first request refused: %v", err)
	}
	if n := is.JWKSFetches.Load(); n != 1 {
		t.Errorf("JWKS fetches = %d, want 1", n)
	}
}

// BenchmarkVerify is one verification with the issuer's keys cached: the
// exchange's own cost before the policy match and the store.
func BenchmarkVerify(b *testing.B) {
	is := oidctest.NewIssuer(b)
	v := oidc.New(is.Client(), nil)
	raw := is.Sign(is.Claims(aud, time.Now()))
	if _, err := v.Verify(context.Background(), raw, []string{is.URL}); err != nil {
		b.Fatal(err)
	}
	b.ResetTimer()
	for b.Loop() {
		if _, err := v.Verify(context.Background(), raw, []string{is.URL}); err != nil {
			b.Fatal(err)
		}
	}
}

// Keys older than an hour are fetched again on the next token, even with a
// known kid, so a key the issuer withdrew stops working (after the grace
// that rotated-out keys get); if that fetch
// fails, the cached keys still verify.
func TestVerifyRefreshesOldKeys(t *testing.T) {
	is, v, c := setup(t)
	verify := func() error {
		_, err := v.Verify(context.Background(), is.Sign(is.Claims(aud, c.now())), []string{is.URL})
		return err
	}
	if err := verify(); err != nil {
		t.Fatal(err)
	}
	c.add(time.Hour + time.Second)
	if err := verify(); err != nil {
		t.Fatal(err)
	}
	if n := is.JWKSFetches.Load(); n != 2 {
		t.Errorf("JWKS fetches after an hour = %d, want 2", n)
	}
	c.add(time.Hour + time.Second)
	is.SetDiscovery("", "https://127.0.0.1:1/jwks") // the issuer is unreachable
	if err := verify(); err != nil {
		t.Errorf("token refused while the issuer is unreachable with cached keys: %v", err)
	}
}
