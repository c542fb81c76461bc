package sqlite_test

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/haloy-auth/haloy/adapters/memory"
	"github.com/haloy-auth/haloy/adapters/sqlite"
	"github.com/haloy-auth/haloy/core"
	"github.com/haloy-auth/haloy/ports"
)

// TestStoreFileGone: once the database file is deleted or replaced under
// an open store, every lookup fails with ErrStoreGone, the valid token's
// included, and keeps failing after the file is back: pooled connections
// on the old file and new ones on the new file would disagree. With the
// token cache (its watch reports the change) and without it (a stat on
// every lookup).
func TestStoreFileGone(t *testing.T) {
	stores := map[string]func(t *testing.T, dir string) *sqlite.Store{"cached": newStore, "uncached": newUncached}
	for kind, open := range stores {
		for _, how := range []string{"removed", "replaced"} {
			t.Run(kind+"/"+how, func(t *testing.T) {
				dir := t.TempDir()
				s := open(t, dir)
				tok, _ := createToken(t, s, "ci")
				h := core.HashAPIToken(tok)
				ctx := context.Background()
				for range 3 { // warm the cache
					if _, found, err := s.Lookup(ctx, h); err != nil || !found {
						t.Fatalf("Lookup() = %v, %v", found, err)
					}
				}
				path := filepath.Join(dir, "haloyadm.db")
				switch how {
				case "removed":
					os.Remove(path)
				case "replaced":
					other := newStore(t, t.TempDir())
					createToken(t, other, "other")
					other.Close()
					os.Rename(filepath.Join(filepath.Dir(other.Path()), "haloyadm.db"), path)
				}
				for range 2 {
					_, found, err := s.Lookup(ctx, h)
					if !errors.Is(err, ports.ErrStoreGone) || found {
						t.Fatalf("Lookup() after the file was %s = %v, %v; want ErrStoreGone", how, found, err)
					}
				}
			})
		}
	}
}

// With the watch, a lookup checks the database file only after a change in
// its directory (or once a second), not on every request: that stat was the
// largest share of an authenticated request (docs/performance.md).
func TestLookupStatsOnlyAfterChange(t *testing.T) {
	dir := t.TempDir()
	s := newStore(t, dir)
	tok, _ := createToken(t, s, "ci")
	h := core.HashAPIToken(tok)
	ctx := context.Background()
	lookups := func(n int) int64 {
		t.Helper()
		before := s.FileStats()
		for range n {
			if _, found, err := s.Lookup(ctx, h); err != nil || !found {
				t.Fatalf("Lookup() = %v, %v", found, err)
			}
		}
		return s.FileStats() - before
	}
	lookups(3) // the first lookups follow the writes of Create
	start := time.Now()
	got := lookups(100)
	// a slow machine may cross the once-a-second check
	if limit := int64(time.Since(start)/time.Second) + 1; got > limit {
		t.Errorf("100 lookups with nothing changed made %d stats of the database file, want at most %d", got, limit)
	}
	if err := os.WriteFile(filepath.Join(dir, "unrelated"), nil, 0o600); err != nil {
		t.Fatal(err)
	}
	if got := lookups(1); got != 1 {
		t.Errorf("a lookup after a change in the data directory made %d stats, want 1", got)
	}

	u := newUncached(t, t.TempDir())
	tok, _ = createToken(t, u, "ci")
	h = core.HashAPIToken(tok)
	before := u.FileStats()
	for range 10 {
		if _, found, err := u.Lookup(ctx, h); err != nil || !found {
			t.Fatalf("Lookup() uncached = %v, %v", found, err)
		}
	}
	if got := u.FileStats() - before; got != 10 {
		t.Errorf("10 lookups without the watch made %d stats, want 10", got)
	}
}

// A directory above the data directory renamed raises no event in it; the
// once-a-second check still finds the database gone.
func TestStoreGoneWithAncestorRenamed(t *testing.T) {
	if testing.Short() {
		t.Skip("waits out the once-a-second check")
	}
	top := t.TempDir()
	data := filepath.Join(top, "a", "data")
	s := sqlite.New(memory.Env{core.ServerDataDirEnv: data})
	t.Cleanup(func() { s.Close() })
	tok, _ := createToken(t, s, "ci")
	h := core.HashAPIToken(tok)
	ctx := context.Background()
	if _, found, err := s.Lookup(ctx, h); err != nil || !found {
		t.Fatalf("Lookup() = %v, %v", found, err)
	}
	if err := os.Rename(filepath.Join(top, "a"), filepath.Join(top, "b")); err != nil {
		t.Fatal(err)
	}
	deadline := time.Now().Add(10 * time.Second)
	for {
		_, _, err := s.Lookup(ctx, h)
		if errors.Is(err, ports.ErrStoreGone) {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("Lookup() 10 s after the data directory's parent was renamed = %v, want ErrStoreGone", err)
		}
		time.Sleep(50 * time.Millisecond)
	}
}
