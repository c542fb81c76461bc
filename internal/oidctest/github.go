package oidctest

import (
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"sync"
	"time"
)

// GitHub fakes the endpoint a GitHub Actions job asks for its identity
// token (ACTIONS_ID_TOKEN_REQUEST_URL): it checks the bearer request token,
// signs the issuer's claims for the audience asked for (GitHub's default,
// the owner's URL, when none is), and answers {"value": JWT}.
type GitHub struct {
	// URL and RequestToken are what a job finds in ACTIONS_ID_TOKEN_REQUEST_URL
	// and ACTIONS_ID_TOKEN_REQUEST_TOKEN.
	URL          string
	RequestToken string

	mu        sync.Mutex
	audiences []string // asked for, in order
	issued    []string // the JWTs handed out
}

// NewGitHub starts the fake on loopback (plain HTTP, as tests need no TLS
// for it); it signs with is and stops with the test.
func NewGitHub(is *Issuer) *GitHub {
	g := &GitHub{RequestToken: "ghs_request_" + randomHex(16)}
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Header.Get("Authorization") != "Bearer "+g.RequestToken {
			http.Error(w, `{"message":"Bad credentials"}`, http.StatusUnauthorized)
			return
		}
		aud := r.URL.Query().Get("audience")
		if aud == "" {
			aud = "https://github.com/acme"
		}
		claims := is.Claims(aud, time.Now())
		raw := is.Sign(claims)
		g.mu.Lock()
		g.audiences = append(g.audiences, aud)
		g.issued = append(g.issued, raw)
		g.mu.Unlock()
		w.Header().Set("Content-Type", "application/json")
		_ = json.NewEncoder(w).Encode(map[string]string{"value": raw})
	}))
	is.t.Cleanup(srv.Close)
	g.URL = srv.URL + "/_apis/pipelines/1/runs/9001/idtoken?api-version=2.0"
	return g
}

// Audiences returns the audiences asked for so far.
func (g *GitHub) Audiences() []string {
	g.mu.Lock()
	defer g.mu.Unlock()
	return append([]string(nil), g.audiences...)
}

// Issued returns the identity tokens handed out so far.
func (g *GitHub) Issued() []string {
	g.mu.Lock()
	defer g.mu.Unlock()
	return append([]string(nil), g.issued...)
}
