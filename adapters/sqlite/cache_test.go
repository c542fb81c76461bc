package sqlite_test

import (
	"context"
	"crypto/rand"
	"fmt"
	"os"
	"os/exec"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/haloy-auth/haloy/adapters/memory"
	"github.com/haloy-auth/haloy/adapters/porttest"
	"github.com/haloy-auth/haloy/adapters/sqlite"
	"github.com/haloy-auth/haloy/core"
)

// Without inotify (or with the cache off) the store behaves the same.
func TestTokensContractUncached(t *testing.T) {
	porttest.TokenStore(t, func(t *testing.T) porttest.TokenHandles {
		dir := t.TempDir()
		a, b := newUncached(t, dir), newUncached(t, dir)
		return porttest.TokenHandles{Store: a, Verifier: a, OtherStore: b, OtherVerifier: b}
	})
}

func newUncached(t *testing.T, dir string) *sqlite.Store {
	t.Helper()
	s := sqlite.NewUncached(memory.Env{core.ServerDataDirEnv: dir})
	t.Cleanup(func() { s.Close() })
	return s
}

func newToken(t *testing.T) (string, core.TokenHash) {
	t.Helper()
	var b [core.APITokenBytes]byte
	if _, err := rand.Read(b[:]); err != nil {
		t.Fatal(err)
	}
	tok := core.FormatAPIToken(b)
	return tok, core.HashAPIToken(tok)
}

func mustCreate(t *testing.T, s *sqlite.Store, name string, h core.TokenHash, exp time.Time) {
	t.Helper()
	if _, err := s.Create(context.Background(), core.NewTokenRecord{Name: name, Hash: h, CreatedAt: time.Now(), ExpiresAt: exp}); err != nil {
		t.Fatalf("Create(%q) error = %v", name, err)
	}
}

func mustLookup(t *testing.T, s *sqlite.Store, h core.TokenHash) (core.TokenRecord, bool) {
	t.Helper()
	rec, ok, err := s.Lookup(context.Background(), h)
	if err != nil {
		t.Fatalf("Lookup() error = %v", err)
	}
	return rec, ok
}

// The cache is really used (reads do not empty it), holds only valid
// tokens, and any write to the database, by any handle, empties it.
func TestCacheFillsAndEmpties(t *testing.T) {
	dir := t.TempDir()
	s, other := newStore(t, dir), newStore(t, dir)
	_, h := newToken(t)
	_, h2 := newToken(t)
	_, unknown := newToken(t)
	mustCreate(t, s, "a", h, time.Time{})
	mustCreate(t, s, "b", h2, time.Time{})
	for range 3 {
		mustLookup(t, s, h)
		mustLookup(t, s, unknown)
	}
	if got, want := s.CacheLen(), 1; got != want {
		t.Fatalf("CacheLen() after lookups of one known and one unknown token = %d, want %d", got, want)
	}
	// a write through another handle, to another token, empties it
	if _, err := other.Revoke(context.Background(), "b", time.Now(), "haloyadm"); err != nil {
		t.Fatal(err)
	}
	if _, ok := mustLookup(t, s, h2); !ok {
		t.Fatal("Lookup(revoked b) found = false, want true (with its revocation)")
	}
	if got, want := s.CacheLen(), 0; got != want {
		t.Errorf("CacheLen() after another handle's revoke and a lookup of the revoked token = %d, want %d (revoked tokens are never kept)", got, want)
	}
	mustLookup(t, s, h)
	if got, want := s.CacheLen(), 1; got != want {
		t.Errorf("CacheLen() after looking a up again = %d, want %d", got, want)
	}
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
	if got, want := s.CacheLen(), 0; got != want {
		t.Errorf("CacheLen() after Close = %d, want %d", got, want)
	}
}

// An expiry time is the stored one, whether the record comes from the
// cache or not: the caller compares it with the clock on every request.
func TestCachedExpiry(t *testing.T) {
	s := newStore(t, t.TempDir())
	_, h := newToken(t)
	exp := time.Now().Add(time.Hour).Truncate(time.Microsecond).UTC()
	mustCreate(t, s, "a", h, exp)
	first, _ := mustLookup(t, s, h)
	cached, _ := mustLookup(t, s, h)
	if !cached.ExpiresAt.Equal(exp) || !first.ExpiresAt.Equal(exp) {
		t.Errorf("ExpiresAt = %v then %v, want %v both times", first.ExpiresAt, cached.ExpiresAt, exp)
	}
	if got := cached.Status(exp); got != core.TokenExpired {
		t.Errorf("cached Status(at expiry) = %v, want %v", got, core.TokenExpired)
	}
}

// raceRevoke looks h up without pause on s from several goroutines while
// revoke runs, and fails if any lookup that started after revoke returned
// saw the token unrevoked.
func raceRevoke(t *testing.T, s *sqlite.Store, h core.TokenHash, revoke func()) (before, after int64) {
	t.Helper()
	var (
		done     atomic.Bool // revoke has returned
		stop     atomic.Bool
		nBefore  atomic.Int64
		nAfter   atomic.Int64
		wg       sync.WaitGroup
		failures = make(chan string, 16)
	)
	for range 4 {
		wg.Go(func() {
			for !stop.Load() {
				started := done.Load()
				rec, ok, err := s.Lookup(context.Background(), h)
				if err != nil {
					failures <- err.Error()
					return
				}
				if !started {
					nBefore.Add(1)
					continue
				}
				nAfter.Add(1)
				if !ok || rec.RevokedAt.IsZero() {
					select {
					case failures <- fmt.Sprintf("Lookup started after the revoke returned = %+v, %v, want revoked", rec, ok):
					default:
					}
				}
			}
		})
	}
	// let the lookups fill the cache and run hot before the revoke
	for nBefore.Load() < 200 {
		time.Sleep(time.Millisecond)
	}
	revoke()
	done.Store(true)
	for nAfter.Load() < 200 {
		time.Sleep(time.Millisecond)
	}
	stop.Store(true)
	wg.Wait()
	close(failures)
	for f := range failures {
		t.Error(f)
	}
	return nBefore.Load(), nAfter.Load()
}

// A revoke through another handle, racing a stream of lookups: no lookup
// that starts after the revoke returned finds the token valid.
func TestRevokeRacesLookups(t *testing.T) {
	dir := t.TempDir()
	s, other := newStore(t, dir), newStore(t, dir)
	for i := range 20 {
		_, h := newToken(t)
		name := fmt.Sprintf("t%d", i)
		mustCreate(t, s, name, h, time.Time{})
		raceRevoke(t, s, h, func() {
			if _, err := other.Revoke(context.Background(), name, time.Now(), "haloyadm"); err != nil {
				t.Fatal(err)
			}
		})
	}
}

// The same with the revoke made by another process: this test binary run
// again as a child that only revokes.
func TestRevokeFromAnotherProcessRacesLookups(t *testing.T) {
	dir := t.TempDir()
	s := newStore(t, dir)
	for i := range 5 {
		_, h := newToken(t)
		name := fmt.Sprintf("p%d", i)
		mustCreate(t, s, name, h, time.Time{})
		raceRevoke(t, s, h, func() {
			cmd := exec.Command(os.Args[0], "-test.run=^TestHelperRevokeProcess$")
			cmd.Env = append(os.Environ(), "HALOY_TEST_REVOKE_DIR="+dir, "HALOY_TEST_REVOKE_NAME="+name)
			if out, err := cmd.CombinedOutput(); err != nil {
				t.Fatalf("revoke in a child process: %v\n%s", err, out)
			}
		})
		rec, _ := mustLookup(t, s, h)
		if rec.RevokedAt.IsZero() {
			t.Fatalf("token %q not revoked by the child process", name)
		}
	}
}

// TestHelperRevokeProcess is the child of the test above; alone it does nothing.
func TestHelperRevokeProcess(t *testing.T) {
	dir, name := os.Getenv("HALOY_TEST_REVOKE_DIR"), os.Getenv("HALOY_TEST_REVOKE_NAME")
	if dir == "" {
		t.Skip("run by TestRevokeFromAnotherProcessRacesLookups")
	}
	s := sqlite.New(memory.Env{core.ServerDataDirEnv: dir})
	defer s.Close()
	if _, err := s.Revoke(context.Background(), name, time.Now(), "haloyadm"); err != nil {
		t.Fatal(err)
	}
}

// A token created by another process after the server looked it up (and
// missed) works at once: misses are never kept.
func TestCreatedAfterMiss(t *testing.T) {
	dir := t.TempDir()
	s, other := newStore(t, dir), newStore(t, dir)
	_, h := newToken(t)
	if _, ok := mustLookup(t, s, h); ok {
		t.Fatal("Lookup(not yet created) found = true, want false")
	}
	mustCreate(t, other, "late", h, time.Time{})
	if _, ok := mustLookup(t, s, h); !ok {
		t.Error("Lookup(created through another handle after a miss) found = false, want true")
	}
}

// The database file replaced by another (a restore), as rename(2) does it:
// the watch sees the move and the cache is emptied.
func TestReplacedDatabase(t *testing.T) {
	dir := t.TempDir()
	s := newStore(t, dir)
	_, h := newToken(t)
	mustCreate(t, s, "a", h, time.Time{})
	mustLookup(t, s, h)
	if s.CacheLen() != 1 {
		t.Fatalf("CacheLen() = %d, want 1", s.CacheLen())
	}
	if err := os.WriteFile(dir+"/unrelated.tmp", []byte("x"), 0o600); err != nil {
		t.Fatal(err)
	}
	if err := os.Rename(dir+"/unrelated.tmp", dir+"/other"); err != nil {
		t.Fatal(err)
	}
	mustLookup(t, s, h)
	// the lookup after the change refilled it from the database
	if got, want := s.CacheLen(), 1; got != want {
		t.Errorf("CacheLen() = %d, want %d", got, want)
	}
}

func TestRevokeRacesLookupsUncached(t *testing.T) {
	dir := t.TempDir()
	s, other := newUncached(t, dir), newUncached(t, dir)
	for i := range 20 {
		_, h := newToken(t)
		name := fmt.Sprintf("t%d", i)
		mustCreate(t, s, name, h, time.Time{})
		raceRevoke(t, s, h, func() {
			if _, err := other.Revoke(context.Background(), name, time.Now(), "haloyadm"); err != nil {
				t.Fatal(err)
			}
		})
	}
}
