package httpserver

import (
	"context"
	"fmt"
	"net/http/httptest"
	"testing"
	"time"

	"github.com/haloy-auth/haloy/adapters/memory"
	"github.com/haloy-auth/haloy/adapters/sqlite"
	"github.com/haloy-auth/haloy/core"
)

// BenchmarkAuth measures one authenticated call through the handler (no
// network) over a real SQLite store of n tokens, for a good token and for a
// rejected one (which must cost about the same).
func BenchmarkAuth(b *testing.B) {
	for _, n := range []int{10, 1000} {
		store := sqlite.New(memory.Env{core.ServerDataDirEnv: b.TempDir()})
		var good string
		for i := range n {
			good = core.FormatAPIToken([32]byte{byte(i), byte(i >> 8), 1})
			if _, err := store.Create(context.Background(), core.NewTokenRecord{Name: fmt.Sprintf("t%d", i), Hash: core.HashAPIToken(good), CreatedAt: time.Now()}); err != nil {
				b.Fatal(err)
			}
		}
		s := New(store, store, &memory.Notes{})
		b.Cleanup(func() { s.touch.wait(context.Background()) })
		s.fails = newFailures(time.Nanosecond, 1<<30) // measure the check, not the limiter
		h := s.Handler()
		for _, c := range []struct{ name, tok string }{{"good", good}, {"unknown", core.FormatAPIToken([32]byte{9, 9, 9})}} {
			b.Run(fmt.Sprintf("tokens=%d/%s", n, c.name), func(b *testing.B) {
				for b.Loop() {
					req := httptest.NewRequest("GET", "/v1/version", nil)
					req.Header.Set("Authorization", "Bearer "+c.tok)
					h.ServeHTTP(httptest.NewRecorder(), req)
				}
			})
		}
		store.Close()
	}
}
