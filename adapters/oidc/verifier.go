// Package oidc verifies the OIDC identity tokens CI jobs (GitHub Actions,
// GitLab CI) present to the exchange: discovery and keys fetched over HTTPS
// from the pinned issuer, signatures checked with go-jose, and the time
// rules of core.CheckOIDCTimes. It also asks GitHub Actions for a job's
// token, on the client side.
package oidc

import (
	"bytes"
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rsa"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"

	jose "github.com/go-jose/go-jose/v4"
	"github.com/go-jose/go-jose/v4/jwt"

	"github.com/haloy-auth/haloy/core"
	"github.com/haloy-auth/haloy/ports"
)

var _ ports.IdentityVerifier = (*Verifier)(nil)

// Algorithms is the allow-list of signature algorithms; none and HMAC are
// never accepted.
var Algorithms = []jose.SignatureAlgorithm{jose.RS256, jose.ES256}

const (
	// RefreshInterval is the least time between two fetches of one
	// issuer's keys: an unknown kid does not make the server fetch again
	// sooner, so forged kids cannot turn it into a request amplifier.
	RefreshInterval = time.Minute
	// keysMaxAge is how long a fetched key set is used before a token with a
	// known kid also triggers a refresh (best effort: the cached keys stay
	// in use if it fails).
	keysMaxAge = time.Hour
	// keepRemoved is how long a key that left the issuer's set stays
	// usable: long enough for every token signed before the rotation to
	// be refused by age instead.
	keepRemoved = core.OIDCMaxAge + core.OIDCSkew
	// maxDocBytes caps discovery documents and key sets.
	maxDocBytes = 1 << 20
	minRSABits  = 2048
)

// Verifier checks identity tokens. It caches each issuer's keys and is safe
// for concurrent use. New does no I/O.
type Verifier struct {
	client *http.Client
	now    func() time.Time

	mu      sync.Mutex
	issuers map[string]*issuerKeys
}

type issuerKeys struct {
	mu      sync.Mutex // held during a fetch, so that one fetch serves all waiters
	fetched time.Time  // last fetch attempt, successful or not
	loaded  time.Time  // last successful fetch
	keys    map[string]*cachedKey
}

type cachedKey struct {
	jwk     jose.JSONWebKey
	removed time.Time // when a fetch first found it gone; zero while published
}

// New returns a verifier that fetches discovery documents and keys with
// client (nil: a client with a 10 s timeout) and reads the time from now
// (nil: time.Now). Redirects are followed only to https URLs.
func New(client *http.Client, now func() time.Time) *Verifier {
	if client == nil {
		client = &http.Client{Timeout: 10 * time.Second}
	}
	c := *client
	c.CheckRedirect = func(req *http.Request, via []*http.Request) error {
		if req.URL.Scheme != "https" {
			return fmt.Errorf("redirect to %s refused: keys are fetched only over https", req.URL.Redacted())
		}
		if len(via) >= 5 {
			return errors.New("more than 5 redirects")
		}
		return nil
	}
	if now == nil {
		now = time.Now
	}
	return &Verifier{client: &c, now: now, issuers: map[string]*issuerKeys{}}
}

func refuse(format string, args ...any) error {
	return &core.Error{Kind: core.Unauthorized, What: "identity token refused", Why: fmt.Sprintf(format, args...)}
}

// Verify implements ports.IdentityVerifier.
func (v *Verifier) Verify(ctx context.Context, raw string, issuers []string) (core.OIDCToken, error) {
	if len(raw) > core.MaxOIDCTokenBytes {
		return core.OIDCToken{}, refuse("the token is %d bytes, over the limit of %d; it was not parsed", len(raw), core.MaxOIDCTokenBytes)
	}
	tok, err := jwt.ParseSigned(raw, Algorithms)
	if err != nil {
		return core.OIDCToken{}, refuse("not a compact JWS signed with RS256 or ES256: %v", err)
	}
	if len(tok.Headers) != 1 {
		return core.OIDCToken{}, refuse("the token has %d signatures, want 1", len(tok.Headers))
	}
	h := tok.Headers[0]
	var peek struct {
		Issuer string `json:"iss"`
	}
	if err := tok.UnsafeClaimsWithoutVerification(&peek); err != nil {
		return core.OIDCToken{}, refuse("the token's claims are not a JSON object: %v", err)
	}
	// Compared exactly: no trailing-slash or case folding, as OIDC says.
	if !slices.Contains(issuers, peek.Issuer) {
		return core.OIDCToken{}, refuse("iss %q is not the issuer of any trust policy", clip(peek.Issuer))
	}
	if h.KeyID == "" {
		return core.OIDCToken{}, refuse("the token's header has no kid (issuer %s)", peek.Issuer)
	}
	key, err := v.key(ctx, peek.Issuer, h.KeyID)
	if err != nil {
		return core.OIDCToken{}, err
	}
	if err := keyFits(key, h.Algorithm); err != nil {
		return core.OIDCToken{}, refuse("key %q of %s: %v", h.KeyID, peek.Issuer, err)
	}
	var payload json.RawMessage
	if err := tok.Claims(key.Key, &payload); err != nil {
		return core.OIDCToken{}, refuse("the signature does not verify with key %q of %s (%s)", h.KeyID, peek.Issuer, h.Algorithm)
	}
	t, nbf, err := decodeClaims(payload)
	if err != nil {
		return core.OIDCToken{}, err
	}
	if t.Issuer != peek.Issuer { // the same payload, read twice: cannot differ
		return core.OIDCToken{}, refuse("iss %q differs from the unverified read %q", t.Issuer, peek.Issuer)
	}
	if err := v.check(t, nbf); err != nil {
		return core.OIDCToken{}, err
	}
	t.Algorithm, t.KeyID = h.Algorithm, h.KeyID
	return t, nil
}

// keyFits checks that key may verify a signature of alg: a public
// signing key of the matching type and size.
func keyFits(key jose.JSONWebKey, alg string) error {
	if key.Use != "" && key.Use != "sig" {
		return fmt.Errorf("its use is %q, not sig", key.Use)
	}
	if key.Algorithm != "" && key.Algorithm != alg {
		return fmt.Errorf("it is for %s, the token says %s", key.Algorithm, alg)
	}
	switch k := key.Key.(type) {
	case *rsa.PublicKey:
		if alg != string(jose.RS256) {
			return fmt.Errorf("an RSA key cannot verify %s", alg)
		}
		if k.N.BitLen() < minRSABits {
			return fmt.Errorf("an RSA key of %d bits is too short (at least %d)", k.N.BitLen(), minRSABits)
		}
	case *ecdsa.PublicKey:
		if alg != string(jose.ES256) || k.Curve != elliptic.P256() {
			return fmt.Errorf("an EC key on %s cannot verify %s", k.Curve.Params().Name, alg)
		}
	default:
		return fmt.Errorf("a %T is not an RSA or EC public key", key.Key)
	}
	return nil
}

// decodeClaims reads the verified payload: registered claims with their
// types checked, and every string, number or boolean claim as a string.
func decodeClaims(payload []byte) (t core.OIDCToken, nbf time.Time, err error) {
	var std jwt.Claims
	if err := json.Unmarshal(payload, &std); err != nil {
		return t, nbf, refuse("a registered claim has the wrong type: %v", err)
	}
	dec := json.NewDecoder(bytes.NewReader(payload))
	dec.UseNumber()
	var all map[string]any
	if err := dec.Decode(&all); err != nil {
		return t, nbf, refuse("the claims are not a JSON object: %v", err)
	}
	claims := make(map[string]string, len(all))
	for k, val := range all {
		switch x := val.(type) {
		case string:
			claims[k] = x
		case json.Number:
			claims[k] = x.String()
		case bool:
			claims[k] = strconv.FormatBool(x)
		}
	}
	t = core.OIDCToken{Issuer: std.Issuer, Subject: std.Subject, Audience: []string(std.Audience), ID: std.ID, Claims: claims}
	if std.Expiry != nil {
		t.Expiry = std.Expiry.Time()
	}
	if std.IssuedAt != nil {
		t.IssuedAt = std.IssuedAt.Time()
	}
	if std.NotBefore != nil {
		nbf = std.NotBefore.Time()
	}
	return t, nbf, nil
}

// check applies the time and jti rules to t at the verifier's now.
func (v *Verifier) check(t core.OIDCToken, nbf time.Time) error {
	if err := core.CheckOIDCTimes(t.Expiry, nbf, t.IssuedAt, v.now()); err != nil {
		return refuse("%v (issuer %s)", err, t.Issuer)
	}
	if t.ID == "" {
		return refuse("the token has no jti claim, so a replay could not be detected (issuer %s)", t.Issuer)
	}
	return nil
}

// key returns the key kid of issuer, fetching the issuer's keys if kid is
// unknown and the last fetch is older than RefreshInterval.
func (v *Verifier) key(ctx context.Context, issuer, kid string) (jose.JSONWebKey, error) {
	v.mu.Lock()
	ik := v.issuers[issuer]
	if ik == nil {
		ik = &issuerKeys{keys: map[string]*cachedKey{}}
		v.issuers[issuer] = ik
	}
	v.mu.Unlock()

	ik.mu.Lock()
	defer ik.mu.Unlock()
	now := v.now()
	ck, known := ik.keys[kid]
	if known && !ck.removed.IsZero() && now.Sub(ck.removed) > keepRemoved {
		delete(ik.keys, kid)
		known = false
	}
	stale := !ik.loaded.IsZero() && now.Sub(ik.loaded) > keysMaxAge
	if known && !stale {
		return ck.jwk, nil
	}
	if !ik.fetched.IsZero() && now.Sub(ik.fetched) < RefreshInterval {
		if known {
			return ck.jwk, nil
		}
		return jose.JSONWebKey{}, refuse("kid %q is not among the keys of %s, fetched %s ago; they are fetched at most once every %s",
			kid, issuer, now.Sub(ik.fetched).Round(time.Second), RefreshInterval)
	}
	ik.fetched = now
	// not cancelled with the request: a caller hanging up must not leave
	// the issuer without keys until the next allowed fetch
	set, err := v.fetchKeys(context.WithoutCancel(ctx), issuer)
	if err != nil {
		if known { // a stale set still verifies; the fetch is retried later
			return ck.jwk, nil
		}
		return jose.JSONWebKey{}, refuse("cannot fetch the keys of %s: %v", issuer, err)
	}
	ik.loaded = now
	published := map[string]bool{}
	for _, k := range set.Keys {
		if k.KeyID == "" || !k.Valid() || !k.IsPublic() {
			continue // a private key in a public set is the issuer's mistake; never use it
		}
		published[k.KeyID] = true
		ik.keys[k.KeyID] = &cachedKey{jwk: k}
	}
	for id, c := range ik.keys {
		if !published[id] && c.removed.IsZero() {
			c.removed = now // kept through the rotation, then dropped
		}
	}
	if ck, ok := ik.keys[kid]; ok {
		return ck.jwk, nil
	}
	return jose.JSONWebKey{}, refuse("kid %q is not among the %d keys %s publishes", kid, len(published), issuer)
}

// fetchKeys reads issuer's discovery document and then its key set, both
// over https, and checks that the document names exactly this issuer.
func (v *Verifier) fetchKeys(ctx context.Context, issuer string) (jose.JSONWebKeySet, error) {
	var set jose.JSONWebKeySet
	if err := core.CheckIssuer(issuer); err != nil {
		return set, errors.New("the issuer is not an https URL")
	}
	var doc struct {
		Issuer  string `json:"issuer"`
		JWKSURI string `json:"jwks_uri"`
	}
	if err := v.getJSON(ctx, strings.TrimSuffix(issuer, "/")+"/.well-known/openid-configuration", &doc); err != nil {
		return set, err
	}
	if doc.Issuer != issuer {
		return set, fmt.Errorf("the discovery document names issuer %q, not %q", doc.Issuer, issuer)
	}
	u, err := url.Parse(doc.JWKSURI)
	if err != nil || u.Scheme != "https" || u.Host == "" {
		return set, fmt.Errorf("jwks_uri %q is not an https URL", doc.JWKSURI)
	}
	if err := v.getJSON(ctx, doc.JWKSURI, &set); err != nil {
		return set, err
	}
	return set, nil
}

func (v *Verifier) getJSON(ctx context.Context, u string, dst any) error {
	ctx, cancel := context.WithTimeout(ctx, 10*time.Second)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, u, nil)
	if err != nil {
		return err
	}
	req.Header.Set("Accept", "application/json")
	resp, err := v.client.Do(req)
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return fmt.Errorf("GET %s: %s", u, resp.Status)
	}
	body, err := io.ReadAll(io.LimitReader(resp.Body, maxDocBytes+1))
	if err != nil {
		return fmt.Errorf("GET %s: %w", u, err)
	}
	if len(body) > maxDocBytes {
		return fmt.Errorf("GET %s: the document is over %d bytes", u, maxDocBytes)
	}
	if err := json.Unmarshal(body, dst); err != nil {
		return fmt.Errorf("GET %s: %w", u, err)
	}
	return nil
}

// clip shortens an unverified value before it is logged: anyone can send
// one, up to the size limit.
func clip(s string) string {
	const max = 200
	if len(s) <= max {
		return s
	}
	return s[:max] + "..."
}
