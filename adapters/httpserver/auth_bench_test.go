package httpserver

import (
	"context"
	"crypto/rand"
	"fmt"
	"net/http"
	"net/http/httptest"
	"sync"
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

// benchNotes is the server's log as haloyadm serve has it, minus the
// writes (batched there: console.Notifier.Batch): each line is built and
// copied into a buffer that is reused. memory.Notes would keep every line
// of a benchmark, and its growing heap would be measured instead.
type benchNotes struct {
	mu  sync.Mutex
	buf []byte
}

func (n *benchNotes) line(s string) {
	n.mu.Lock()
	defer n.mu.Unlock()
	if len(n.buf) > 64<<10 {
		n.buf = n.buf[:0]
	}
	n.buf = append(append(append(n.buf, "haloyadm: "...), s...), '\n')
}

func (n *benchNotes) Warn(msg string)           { n.line("warning: " + msg) }
func (n *benchNotes) Info(msg string)           { n.line(msg) }
func (n *benchNotes) Wait(string) (done func()) { return func() {} }

// serveBench sends req through h and fails unless the answer is 200 OK.
// Besides the time per request it reports the process's CPU time per
// request (cpu-ns/op), which does not grow when other programs share the
// cores, as the time does.
func serveBench(b *testing.B, h http.Handler, req *http.Request) {
	b.Helper()
	c0, ok := processCPU()
	n := 0
	for b.Loop() {
		w := httptest.NewRecorder()
		h.ServeHTTP(w, req)
		if w.Code != http.StatusOK {
			b.Fatalf("%s %s = %d, want 200: %s", req.Method, req.URL.Path, w.Code, w.Body)
		}
		n++
	}
	if c1, ok1 := processCPU(); ok && ok1 && n > 0 {
		b.ReportMetric(float64(c1-c0)/float64(n), "cpu-ns/op")
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
		s := New(store, &memory.Deployments{}, &benchNotes{})
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
			s := New(store, store, &benchNotes{})
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
		s := New(store, &memory.Deployments{}, &benchNotes{})
		b.Cleanup(func() { s.touch.wait(context.Background()) })
		run(b, s.Handler(), "/v1/version", tok)
	})
}
