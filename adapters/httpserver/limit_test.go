package httpserver

import (
	"fmt"
	"net/http"
	"net/http/httptest"
	"net/netip"
	"sync"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/haloy-auth/haloy/core"
)

func TestLimitKey(t *testing.T) {
	tests := []struct{ in, want string }{
		{"192.0.2.7", "192.0.2.7"},
		{"::ffff:192.0.2.7", "192.0.2.7"},
		// one IPv6 client holds a /64: every address in it shares a budget
		{"2001:db8:1:2:aaaa::1", "2001:db8:1:2::/64"},
		{"2001:db8:1:2:ffff:ffff:ffff:ffff", "2001:db8:1:2::/64"},
		{"2001:db8:1:3::1", "2001:db8:1:3::/64"},
		{"fe80::1%eth0", "fe80::/64"},
		{"not-an-ip", "not-an-ip"},
	}
	// limitKey returns an IPv4 address as given, without formatting it
	// again: netip must accept only the one spelling of each address, or
	// one client could draw from several budgets
	for _, ip := range []string{"192.0.2.07", "192.0.002.7", "0x7f.0.0.1", "127.1", "1.2.3.4 "} {
		if a, err := netip.ParseAddr(ip); err == nil && a.Is4() {
			t.Errorf("netip.ParseAddr(%q) = %v, want an error", ip, a)
		}
	}
	for _, tt := range tests {
		if got := limitKey(tt.in); got != tt.want {
			t.Errorf("limitKey(%q) = %q, want %q", tt.in, got, tt.want)
		}
	}
}

func TestFailures(t *testing.T) {
	t0 := time.Date(2026, 11, 27, 3, 0, 0, 0, time.UTC)
	f := newFailures(6*time.Second, 3)
	for i := range 3 {
		if w := f.wait("2001:db8::1", t0); w != 0 {
			t.Fatalf("wait before failure %d = %v, want 0", i, w)
		}
		f.fail(fmt.Sprintf("2001:db8::%d", i+1), t0)
	}
	if w := f.wait("2001:db8::99", t0); w != 6*time.Second {
		t.Errorf("wait in the same /64 after the burst = %v, want 6s", w)
	}
	if w := f.wait("2001:db8:0:1::1", t0); w != 0 {
		t.Errorf("wait in another /64 = %v, want 0", w)
	}
	if w := f.wait("2001:db8::1", t0.Add(6*time.Second)); w != 0 {
		t.Errorf("wait after the refill = %v, want 0", w)
	}
}

func TestFailuresForgetsRefilledAddresses(t *testing.T) {
	t0 := time.Date(2026, 11, 27, 3, 0, 0, 0, time.UTC)
	f := newFailures(time.Second, 2)
	for i := range maxTracked {
		f.fail(fmt.Sprintf("10.%d.%d.%d", i>>16&255, i>>8&255, i&255), t0)
	}
	f.fail("192.0.2.1", t0.Add(time.Hour)) // everyone has refilled by then
	if n := len(f.ips); n != 1 {
		t.Errorf("tracked addresses after a sweep = %d, want 1", n)
	}
}

// parallel sends n requests at once through h from one address and counts
// the status codes.
func parallel(h http.Handler, n int, tok string) map[int]int {
	var mu sync.Mutex
	codes := map[int]int{}
	var wg sync.WaitGroup
	for range n {
		wg.Go(func() {
			req := httptest.NewRequest("GET", "/v1/version", nil)
			req.RemoteAddr = "198.51.100.7:5555"
			req.Header.Set("Authorization", "Bearer "+tok)
			rec := httptest.NewRecorder()
			h.ServeHTTP(rec, req)
			mu.Lock()
			codes[rec.Code]++
			mu.Unlock()
		})
	}
	wg.Wait()
	return codes
}

// Parallel guesses cannot overrun the budget, and parallel good requests,
// more than the budget, are never refused.
func TestRateLimitParallel(t *testing.T) {
	f := newFixture(t)
	frozen := f.clock.now()
	f.srv.now = func() time.Time { return frozen }
	good := f.token("ci", 0)
	h := f.srv.Handler()
	if diff := cmp.Diff(map[int]int{200: 100}, parallel(h, 100, good)); diff != "" {
		t.Errorf("100 parallel good requests mismatch (-want +got):\n%s", diff)
	}
	if n := len(f.srv.fails.ips); n != 0 {
		t.Errorf("failure table after good requests holds %d addresses, want 0", n)
	}
	bad := core.FormatAPIToken([32]byte{8})
	if diff := cmp.Diff(map[int]int{401: FailureBurst, 429: 200 - FailureBurst}, parallel(h, 200, bad)); diff != "" {
		t.Errorf("200 parallel bad requests mismatch (-want +got):\n%s", diff)
	}
}
