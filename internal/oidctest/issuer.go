// Package oidctest is a test helper: a local OIDC issuer over TLS on
// loopback (discovery, JWKS, key rotation, signing) and a fake of GitHub
// Actions' token request endpoint, so that the exchange is tested with no
// network. Only tests import it.
package oidctest

import (
	"crypto"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/rsa"
	"encoding/json"
	"encoding/pem"
	"fmt"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strconv"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	jose "github.com/go-jose/go-jose/v4"
	"github.com/go-jose/go-jose/v4/jwt"
)

// Key is one signing key of the issuer.
type Key struct {
	ID  string
	Alg jose.SignatureAlgorithm
	Key crypto.Signer
}

// Issuer is an OIDC issuer on https://127.0.0.1:PORT.
type Issuer struct {
	t   testing.TB
	srv *httptest.Server
	// URL is the issuer identifier: https://127.0.0.1:PORT.
	URL string

	mu        sync.Mutex
	keys      []Key // published
	current   Key   // signs new tokens
	nextID    int
	docIssuer string // what discovery says; URL unless changed
	jwksURI   string // what discovery says; URL/jwks unless changed

	// JWKSFetches counts GET /jwks.
	JWKSFetches atomic.Int64
}

// NewIssuer starts an issuer with one RSA key; it stops with the test.
func NewIssuer(t testing.TB) *Issuer {
	t.Helper()
	is := &Issuer{t: t}
	mux := http.NewServeMux()
	mux.HandleFunc("GET /.well-known/openid-configuration", func(w http.ResponseWriter, r *http.Request) {
		is.mu.Lock()
		doc := map[string]any{"issuer": is.docIssuer, "jwks_uri": is.jwksURI,
			"id_token_signing_alg_values_supported": []string{"RS256", "ES256"}}
		is.mu.Unlock()
		w.Header().Set("Content-Type", "application/json")
		_ = json.NewEncoder(w).Encode(doc)
	})
	mux.HandleFunc("GET /jwks", func(w http.ResponseWriter, r *http.Request) {
		is.JWKSFetches.Add(1)
		is.mu.Lock()
		var set jose.JSONWebKeySet
		for _, k := range is.keys {
			set.Keys = append(set.Keys, jose.JSONWebKey{Key: k.Key.Public(), KeyID: k.ID, Algorithm: string(k.Alg), Use: "sig"})
		}
		is.mu.Unlock()
		w.Header().Set("Content-Type", "application/json")
		_ = json.NewEncoder(w).Encode(set)
	})
	is.srv = httptest.NewUnstartedServer(mux)
	is.srv.StartTLS()
	t.Cleanup(is.srv.Close)
	is.URL = is.srv.URL
	is.docIssuer, is.jwksURI = is.URL, is.URL+"/jwks"
	is.current = is.NewKey(jose.RS256)
	is.keys = []Key{is.current}
	return is
}

// Client is an HTTP client that trusts the issuer's certificate.
func (is *Issuer) Client() *http.Client { return is.srv.Client() }

// CAFile writes the issuer's certificate to a PEM file in a temporary
// directory and returns its path, for SSL_CERT_FILE in a child process.
func (is *Issuer) CAFile() string {
	path := filepath.Join(is.t.TempDir(), "issuer-ca.pem")
	pemBytes := pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: is.srv.Certificate().Raw})
	if err := os.WriteFile(path, pemBytes, 0o600); err != nil {
		is.t.Fatal(err)
	}
	return path
}

// NewKey makes a key of alg (RS256: 2048-bit RSA; ES256: P-256) without
// publishing it.
func (is *Issuer) NewKey(alg jose.SignatureAlgorithm) Key {
	is.t.Helper()
	is.nextID++
	k := Key{ID: "key-" + strconv.Itoa(is.nextID), Alg: alg}
	var err error
	switch alg {
	case jose.RS256:
		k.Key, err = rsa.GenerateKey(rand.Reader, 2048)
	case jose.ES256:
		k.Key, err = ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	default:
		err = fmt.Errorf("oidctest: no key for %s", alg)
	}
	if err != nil {
		is.t.Fatal(err)
	}
	return k
}

// Rotate publishes a new key of alg, signs with it from now on and, if
// dropOld, stops publishing the previous ones. It returns the new key.
func (is *Issuer) Rotate(alg jose.SignatureAlgorithm, dropOld bool) Key {
	is.mu.Lock()
	defer is.mu.Unlock()
	k := is.NewKey(alg)
	if dropOld {
		is.keys = nil
	}
	is.keys = append(is.keys, k)
	is.current = k
	return k
}

// Current is the key that signs new tokens.
func (is *Issuer) Current() Key {
	is.mu.Lock()
	defer is.mu.Unlock()
	return is.current
}

// SetDiscovery changes what the discovery document says (empty: keep).
func (is *Issuer) SetDiscovery(issuer, jwksURI string) {
	is.mu.Lock()
	defer is.mu.Unlock()
	if issuer != "" {
		is.docIssuer = issuer
	}
	if jwksURI != "" {
		is.jwksURI = jwksURI
	}
}

// Claims returns GitHub-Actions-like claims for repository acme/web on
// refs/heads/main, issued now for aud, with a fresh jti.
func (is *Issuer) Claims(aud string, now time.Time) map[string]any {
	var jti [8]byte
	_, _ = rand.Read(jti[:])
	return map[string]any{
		"iss": is.URL, "aud": aud, "sub": "repo:acme/web:ref:refs/heads/main",
		"jti": fmt.Sprintf("%x", jti), "iat": now.Unix(), "nbf": now.Unix(), "exp": now.Add(5 * time.Minute).Unix(),
		"repository": "acme/web", "repository_id": "4242", "repository_owner": "acme", "repository_owner_id": "77",
		"ref": "refs/heads/main", "environment": "production",
		"workflow_ref": "acme/web/.github/workflows/deploy.yml@refs/heads/main",
		"run_id":       "9001", "run_attempt": "1", "event_name": "push",
	}
}

// Sign signs claims with the current key.
func (is *Issuer) Sign(claims map[string]any) string {
	return is.SignWith(is.Current(), claims)
}

// SignWith signs claims with k, with k.ID as kid.
func (is *Issuer) SignWith(k Key, claims map[string]any) string {
	is.t.Helper()
	opts := (&jose.SignerOptions{}).WithType("JWT").WithHeader(jose.HeaderKey("kid"), k.ID)
	sig, err := jose.NewSigner(jose.SigningKey{Algorithm: k.Alg, Key: k.Key}, opts)
	if err != nil {
		is.t.Fatal(err)
	}
	raw, err := jwt.Signed(sig).Claims(claims).Serialize()
	if err != nil {
		is.t.Fatal(err)
	}
	return raw
}

func randomHex(n int) string {
	b := make([]byte, n)
	_, _ = rand.Read(b)
	return fmt.Sprintf("%x", b)
}
