package sqlite

import (
	"context"
	"testing"
	"time"

	"github.com/haloy-auth/haloy/adapters/memory"
	"github.com/haloy-auth/haloy/core"
)

// A token cached by Lookup and then pruned through the same store is not
// answered from the cache, even when the watch reports nothing (it is
// replaced here by one that never does): Prune empties the cache itself.
func TestPruneEmptiesCache(t *testing.T) {
	ctx := context.Background()
	s := New(memory.Env{core.ServerDataDirEnv: t.TempDir()})
	t.Cleanup(func() { s.Close() })
	now := time.Now()
	h := core.HashAPIToken("haloy_prune_cache")
	if _, err := s.Create(ctx, core.NewTokenRecord{Name: "ci", Hash: h, CreatedAt: now, ExpiresAt: now.Add(time.Hour)}); err != nil {
		t.Fatal(err)
	}
	s.mu.Lock()
	s.cache.close()
	s.cache = newTokenCache(&fakeWatch{})
	s.mu.Unlock()
	for range 2 {
		if _, ok, err := s.Lookup(ctx, h); !ok || err != nil {
			t.Fatalf("Lookup(ci) = %v, %v, want found", ok, err)
		}
	}
	if s.CacheLen() != 1 {
		t.Fatalf("cache holds %d tokens, want ci", s.CacheLen())
	}
	if got, err := s.Prune(ctx, now.Add(2*time.Hour)); err != nil || len(got) != 1 {
		t.Fatalf("Prune() = %v, %v, want ci", got, err)
	}
	if rec, ok, err := s.Lookup(ctx, h); ok || err != nil {
		t.Errorf("Lookup(ci) after Prune = %+v, %v, %v, want not found", rec, ok, err)
	}
}
