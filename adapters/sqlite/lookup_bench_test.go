package sqlite_test

import (
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/haloy-auth/haloy/adapters/memory"
	"github.com/haloy-auth/haloy/adapters/sqlite"
	"github.com/haloy-auth/haloy/core"
)

// newStoreB returns a store in a fresh data directory, closed at the end
// of the benchmark.
func newStoreB(b *testing.B) *sqlite.Store {
	b.Helper()
	s := sqlite.New(memory.Env{core.ServerDataDirEnv: b.TempDir()})
	b.Cleanup(func() {
		if err := s.Close(); err != nil {
			b.Errorf("Close() = %v", err)
		}
	})
	return s
}

// seedBench fills a fresh store with n active tokens and returns the hashes
// of the first few, to look up.
func seedBench(b *testing.B, n int) (lookup func(context.Context, core.TokenHash) (core.TokenRecord, bool, error), known []core.TokenHash) {
	b.Helper()
	s := newStoreB(b)
	ctx := context.Background()
	now := time.Now()
	for i := range n {
		h := core.HashAPIToken(fmt.Sprintf("haloy_bench-token-%08d-padding-to-look-like-43-chars", i))
		if _, err := s.Create(ctx, core.NewTokenRecord{Name: fmt.Sprintf("bench-%05d", i), Hash: h, CreatedAt: now,
			ExpiresAt: now.Add(core.DefaultTokenLifetime)}); err != nil {
			b.Fatal(err)
		}
		if i%(n/10+1) == 0 {
			known = append(known, h)
		}
	}
	return s.Lookup, known
}

// BenchmarkTokenLookup measures the lookup behind every authenticated
// request, with 10 and with 10,000 tokens: an index search, so the two
// should cost about the same. "unknown" is a hash that is not there.
func BenchmarkTokenLookup(b *testing.B) {
	for _, n := range []int{10, 10000} {
		b.Run(fmt.Sprintf("tokens=%d", n), func(b *testing.B) {
			lookup, known := seedBench(b, n)
			ctx := context.Background()
			i := 0
			for b.Loop() {
				if _, found, err := lookup(ctx, known[i%len(known)]); err != nil || !found {
					b.Fatalf("Lookup() = found %v, %v; want found", found, err)
				}
				i++
			}
		})
	}
	b.Run("unknown", func(b *testing.B) {
		lookup, _ := seedBench(b, 10)
		ctx := context.Background()
		h := core.HashAPIToken("haloy_not-a-token-of-this-store")
		for b.Loop() {
			if _, found, err := lookup(ctx, h); err != nil || found {
				b.Fatalf("Lookup() = found %v, %v; want not found", found, err)
			}
		}
	})
}
