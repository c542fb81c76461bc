package httpserver

import (
	"fmt"
	"testing"
	"time"
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
