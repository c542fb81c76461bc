package httpserver

import (
	"context"
	"crypto/rand"
	mrand "math/rand/v2"
	"net/http/httptest"
	"slices"
	"testing"
	"time"

	"github.com/haloy-auth/haloy/core"
)

// TestFailuresTakeEqualTime: an expired, a revoked and an unknown token
// (and a missing one) must not be told apart by how long the 401 takes.
// An expired token was answered from the token cache, about 10 us faster
// than the others, which go to SQLite.
//
// Many paired samples, in random order within each round, through the
// handler without a network; each kind's median must be within a factor of
// two of the unknown token's (the cache hit was 5-10x faster), and the
// expired token must not win the large majority of its pairs. Loose
// enough for -race on a loaded machine: noise hits every kind alike.
func TestFailuresTakeEqualTime(t *testing.T) {
	if testing.Short() {
		t.Skip("timing statistics: not under -short")
	}
	f := newFixture(t)
	f.srv.fails = newFailures(time.Nanosecond, 1<<30) // no 429s here
	h := f.srv.Handler()
	expired := f.token("expired", -time.Hour)
	revoked := f.token("revoked", 0)
	if _, err := f.store.Revoke(context.Background(), "revoked", f.clock.now(), "haloyadm"); err != nil {
		t.Fatal(err)
	}
	var b [core.APITokenBytes]byte
	rand.Read(b[:])
	unknown := core.FormatAPIToken(b)
	kinds := []struct{ name, auth string }{
		{"unknown", "Bearer " + unknown},
		{"expired", "Bearer " + expired},
		{"revoked", "Bearer " + revoked},
		{"missing", ""},
	}
	call := func(auth string) time.Duration {
		req := httptest.NewRequest("GET", "/v1/version", nil)
		if auth != "" {
			req.Header.Set("Authorization", auth)
		}
		rec := httptest.NewRecorder()
		start := time.Now()
		h.ServeHTTP(rec, req)
		d := time.Since(start)
		if rec.Code != 401 {
			t.Fatalf("GET /v1/version = %d, want 401", rec.Code)
		}
		return d
	}
	// an expired token is often one that was used, and cached, while valid
	for range 50 {
		for _, k := range kinds {
			call(k.auth)
		}
	}
	const rounds = 2000
	samples := make([][]time.Duration, len(kinds))
	order := []int{0, 1, 2, 3}
	for range rounds {
		mrand.Shuffle(len(order), func(i, j int) { order[i], order[j] = order[j], order[i] })
		for _, i := range order {
			samples[i] = append(samples[i], call(kinds[i].auth))
		}
	}
	wins := 0 // rounds in which the expired token was answered faster than the unknown one
	for r := range rounds {
		if samples[1][r] < samples[0][r] {
			wins++
		}
	}
	median := func(d []time.Duration) time.Duration {
		s := slices.Clone(d)
		slices.Sort(s)
		return s[len(s)/2]
	}
	base := median(samples[0])
	for i, k := range kinds[1:] {
		m := median(samples[i+1])
		t.Logf("median %s: %v (unknown: %v)", k.name, m, base)
		if m*2 < base || m > base*2 {
			t.Errorf("median time of a 401 for an %s token = %v, unknown token = %v: more than 2x apart", k.name, m, base)
		}
	}
	t.Logf("expired answered faster than unknown in %d of %d rounds", wins, rounds)
	if wins > rounds*8/10 {
		t.Errorf("the expired token was answered faster than the unknown one in %d of %d rounds, want about half", wins, rounds)
	}
}
