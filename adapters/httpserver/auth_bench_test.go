package httpserver

import (
	"context"
	"crypto/rand"
	"fmt"
	"net/http"
	"net/http/httptest"
	"testing"
	"time"

	"github.com/haloy-auth/haloy/adapters/memory"
	"github.com/haloy-auth/haloy/adapters/sqlite"
	"github.com/haloy-auth/haloy/core"
	"github.com/haloy-auth/haloy/ports"
)

// benchTokens fills store with n tokens and returns the value of the last.
func benchTokens(b *testing.B, store ports.TokenStore, n int) string {
	b.Helper()
	now := time.Now()
	var tok string
	for i := range n {
		var r [core.APITokenBytes]byte
		_, _ = rand.Read(r[:])
		tok = core.FormatAPIToken(r)
		if _, err := store.Create(context.Background(), core.NewTokenRecord{Name: fmt.Sprintf("bench-%05d", i),
			Hash: core.HashAPIToken(tok), CreatedAt: now, ExpiresAt: now.Add(core.DefaultTokenLifetime)}); err != nil {
			b.Fatal(err)
		}
	}
	return tok
}

// serveBench sends req through h and fails unless the answer is 200 OK.
func serveBench(b *testing.B, h http.Handler, req *http.Request) {
	b.Helper()
	for b.Loop() {
		w := httptest.NewRecorder()
		h.ServeHTTP(w, req)
		if w.Code != http.StatusOK {
			b.Fatalf("%s %s = %d, want 200: %s", req.Method, req.URL.Path, w.Code, w.Body)
		}
	}
}

// BenchmarkAuthMiddleware measures a request through the whole handler,
// in process: /health (no authentication) as the baseline, then
// /v1/version with a valid token, checked against the memory twin (the
// middleware's own cost) and against the SQLite store with 10 and 10,000
// tokens (what haloyadm serve pays).
func BenchmarkAuthMiddleware(b *testing.B) {
	b.Run("health", func(b *testing.B) {
		s := New(&memory.Tokens{}, &memory.Deployments{}, &memory.Notes{})
		serveBench(b, s.Handler(), httptest.NewRequest(http.MethodGet, "/health", nil))
	})
	b.Run("version/memory", func(b *testing.B) {
		store := &memory.Tokens{}
		tok := benchTokens(b, store, 10)
		s := New(store, &memory.Deployments{}, &memory.Notes{})
		b.Cleanup(func() { s.touch.wait(context.Background()) })
		req := httptest.NewRequest(http.MethodGet, "/v1/version", nil)
		req.Header.Set("Authorization", "Bearer "+tok)
		serveBench(b, s.Handler(), req)
	})
	for _, n := range []int{10, 10000} {
		b.Run(fmt.Sprintf("version/sqlite/tokens=%d", n), func(b *testing.B) {
			store := sqlite.New(memory.Env{core.ServerDataDirEnv: b.TempDir()})
			b.Cleanup(func() { store.Close() })
			tok := benchTokens(b, store, n)
			s := New(store, store, &memory.Notes{})
			b.Cleanup(func() { s.touch.wait(context.Background()) })
			req := httptest.NewRequest(http.MethodGet, "/v1/version", nil)
			req.Header.Set("Authorization", "Bearer "+tok)
			serveBench(b, s.Handler(), req)
		})
	}
}

// BenchmarkAuthMiddlewareParallel sends requests from one client address
// on all CPUs at once, as a deploy fan-out or a load test does: the
// per-address failure budget is shared by every check in flight.
func BenchmarkAuthMiddlewareParallel(b *testing.B) {
	run := func(b *testing.B, h http.Handler, path, tok string) {
		b.RunParallel(func(pb *testing.PB) {
			req := httptest.NewRequest(http.MethodGet, path, nil)
			if tok != "" {
				req.Header.Set("Authorization", "Bearer "+tok)
			}
			for pb.Next() {
				w := httptest.NewRecorder()
				h.ServeHTTP(w, req)
				if w.Code != http.StatusOK {
					b.Errorf("%s = %d, want 200: %s", path, w.Code, w.Body)
					return
				}
			}
		})
	}
	b.Run("health", func(b *testing.B) {
		s := New(&memory.Tokens{}, &memory.Deployments{}, &memory.Notes{})
		run(b, s.Handler(), "/health", "")
	})
	b.Run("version/memory", func(b *testing.B) {
		store := &memory.Tokens{}
		tok := benchTokens(b, store, 10)
		s := New(store, &memory.Deployments{}, &memory.Notes{})
		b.Cleanup(func() { s.touch.wait(context.Background()) })
		run(b, s.Handler(), "/v1/version", tok)
	})
}
