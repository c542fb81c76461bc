package httpserver

import (
	"crypto/tls"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/haloy-auth/haloy/adapters/memory"
	"github.com/haloy-auth/haloy/core"
)

// TestTenFailuresThen429: docs/security.md promises 10 failed attempts at
// once from one address, then 429 with Retry-After (one more per 6 s).
func TestTenFailuresThen429(t *testing.T) {
	f := newFixture(t)
	frozen := f.clock.now()
	f.srv.now = func() time.Time { return frozen }
	h := f.srv.Handler()
	bad := core.FormatAPIToken([32]byte{9})
	send := func() *httptest.ResponseRecorder {
		req := httptest.NewRequest("GET", "/v1/version", nil)
		req.RemoteAddr = "198.51.100.8:4444"
		req.Header.Set("Authorization", "Bearer "+bad)
		rec := httptest.NewRecorder()
		done := make(chan struct{})
		go func() { h.ServeHTTP(rec, req); close(done) }()
		select {
		case <-done:
		case <-time.After(10 * time.Second):
			t.Fatal("a bad attempt got no answer: the limiter waits for a check that is not in flight")
		}
		return rec
	}
	for i := range 10 {
		if rec := send(); rec.Code != http.StatusUnauthorized {
			t.Fatalf("bad attempt %d = %d, want 401", i+1, rec.Code)
		}
	}
	rec := send()
	if rec.Code != http.StatusTooManyRequests || rec.Header().Get("Retry-After") != "6" {
		t.Errorf("bad attempt 11 = %d, Retry-After %q; want 429 and 6", rec.Code, rec.Header().Get("Retry-After"))
	}
	frozen = frozen.Add(6 * time.Second)
	if rec := send(); rec.Code != http.StatusUnauthorized {
		t.Errorf("bad attempt after 6 s = %d, want 401 (one more allowed)", rec.Code)
	}
	if rec := send(); rec.Code != http.StatusTooManyRequests {
		t.Errorf("the next one = %d, want 429", rec.Code)
	}
}

// TestChecksInFlightReserveBudget: a check in flight holds one unit of the
// budget until it ends, so the budget admits exactly burst checks at once;
// when one ends without failing, a waiting check goes ahead, and when all
// fail, the waiting one gets 429.
func TestChecksInFlightReserveBudget(t *testing.T) {
	t0 := time.Date(2026, 11, 27, 3, 0, 0, 0, time.UTC)
	now := func() time.Time { return t0 }
	f := newFailures(6*time.Second, 3)
	var keys []string
	for i := range 3 {
		done := make(chan struct{})
		go func() {
			defer close(done)
			key, wait := f.begin("192.0.2.9", now)
			if wait != 0 {
				t.Errorf("check %d: wait %v, want admitted", i+1, wait)
			}
			keys = append(keys, key)
		}()
		select {
		case <-done:
		case <-time.After(10 * time.Second):
			t.Fatalf("check %d within the budget was not admitted", i+1)
		}
	}
	type result struct {
		key  string
		wait time.Duration
	}
	fourth := make(chan result, 1)
	go func() {
		key, wait := f.begin("192.0.2.9", now)
		fourth <- result{key, wait}
	}()
	// the fourth must wait while three checks are in flight; a correct
	// limiter never answers here, so this sleep cannot make the test flaky
	time.Sleep(100 * time.Millisecond)
	select {
	case r := <-fourth:
		t.Fatalf("a fourth check went ahead (wait %v) with three in flight and a budget of three", r.wait)
	default:
	}
	f.end(keys[0], false, t0) // a good request: the budget is still whole
	var r result
	select {
	case r = <-fourth:
	case <-time.After(10 * time.Second):
		t.Fatal("a check ended, and the waiting fourth check still waits")
	}
	if r.wait != 0 {
		t.Fatalf("fourth check after a good one ended: wait %v, want admitted", r.wait)
	}
	for _, k := range append(keys[1:], r.key) {
		f.end(k, true, t0)
	}
	fifth := make(chan result, 1)
	go func() {
		key, wait := f.begin("192.0.2.9", now)
		fifth <- result{key, wait}
	}()
	select {
	case r := <-fifth:
		if r.wait != 6*time.Second {
			t.Errorf("check after three failures: wait %v, want 6s", r.wait)
		}
	case <-time.After(10 * time.Second):
		t.Fatal("check after three failures neither admitted nor refused")
	}
}

// TestServeTLSMinimum: TLS 1.2 is accepted and TLS 1.0 and 1.1 are refused.
// The old clients set MinVersion themselves: Go's client default (1.2)
// would refuse on its own and prove nothing about the server.
func TestServeTLSMinimum(t *testing.T) {
	certFile, keyFile, pool := selfSigned(t, t.TempDir())
	s := New(&memory.Tokens{}, &memory.Deployments{}, &memory.Notes{})
	addr, stop := serve(t, s, core.ServeOptions{Listen: "127.0.0.1:0", TLSCert: certFile, TLSKey: keyFile})
	defer stop()
	get := func(lo, hi uint16) error {
		c := &http.Client{Transport: &http.Transport{TLSClientConfig: &tls.Config{RootCAs: pool, MinVersion: lo, MaxVersion: hi}}}
		r, err := c.Get(addr + "/health")
		if err == nil {
			r.Body.Close()
		}
		return err
	}
	if err := get(tls.VersionTLS12, tls.VersionTLS12); err != nil {
		t.Errorf("a TLS 1.2 client: %v, want it served", err)
	}
	for _, v := range []uint16{tls.VersionTLS10, tls.VersionTLS11} {
		err := get(v, v)
		if err == nil || !strings.Contains(err.Error(), "protocol version") {
			t.Errorf("a TLS %s client: %v, want a protocol version alert", tls.VersionName(v), err)
		}
	}
}
