package httpserver

import (
	"context"
	"net/http/httptest"
	"testing"
	"time"

	"github.com/haloy-auth/haloy/adapters/memory"
	"github.com/haloy-auth/haloy/core"
)

func TestClientIP(t *testing.T) {
	s := New(&memory.Tokens{}, &memory.Deployments{}, &memory.Notes{})
	var err error
	if s.trusted, err = parseTrusted([]string{"127.0.0.1", "10.0.0.0/8", "::1"}); err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name, peer string
		hdr        map[string][]string
		want       string
	}{
		{"untrusted_peer_headers_ignored", "203.0.113.9:5000", map[string][]string{"X-Forwarded-For": {"198.51.100.1"}}, "203.0.113.9"},
		{"trusted_peer_no_header", "127.0.0.1:5000", nil, "127.0.0.1"},
		{"xff_one_hop", "127.0.0.1:5000", map[string][]string{"X-Forwarded-For": {"198.51.100.1"}}, "198.51.100.1"},
		// the client wrote the left part; our proxy appended the right-most
		{"xff_client_made_up_left_hops", "127.0.0.1:5000", map[string][]string{"X-Forwarded-For": {"1.1.1.1, 2.2.2.2, 198.51.100.1"}}, "198.51.100.1"},
		{"xff_through_two_trusted_proxies", "127.0.0.1:5000", map[string][]string{"X-Forwarded-For": {"1.1.1.1, 198.51.100.1", "10.1.2.3"}}, "198.51.100.1"},
		{"xff_all_trusted", "127.0.0.1:5000", map[string][]string{"X-Forwarded-For": {"10.0.0.5, 10.0.0.6"}}, "10.0.0.5"},
		{"xff_with_port_and_v6", "[::1]:5000", map[string][]string{"X-Forwarded-For": {"[2001:db8::7]:4711"}}, "2001:db8::7"},
		{"xff_garbage_is_the_peer", "127.0.0.1:5000", map[string][]string{"X-Forwarded-For": {"unknown"}}, "127.0.0.1"},
		{"forwarded", "127.0.0.1:5000", map[string][]string{"Forwarded": {`for=1.1.1.1, for="[2001:db8::8]:80";proto=https`}}, "2001:db8::8"},
		{"forwarded_obfuscated_is_the_peer", "127.0.0.1:5000", map[string][]string{"Forwarded": {"for=_hidden"}}, "127.0.0.1"},
		// a client adds the header the proxy does not write: no address of its choice
		{"headers_disagree_is_the_peer", "127.0.0.1:5000", map[string][]string{"X-Forwarded-For": {"198.51.100.1"}, "Forwarded": {"for=1.1.1.1"}}, "127.0.0.1"},
		{"headers_agree", "127.0.0.1:5000", map[string][]string{"X-Forwarded-For": {"198.51.100.1"}, "Forwarded": {"for=198.51.100.1"}}, "198.51.100.1"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			req := httptest.NewRequest("GET", "/v1/version", nil)
			req.RemoteAddr = tt.peer
			for k, vs := range tt.hdr {
				for _, v := range vs {
					req.Header.Add(k, v)
				}
			}
			if got := s.clientIP(req); got != tt.want {
				t.Errorf("clientIP(peer %s, %v) = %q, want %q", tt.peer, tt.hdr, got, tt.want)
			}
		})
	}
	if _, err := parseTrusted([]string{"proxy.example"}); err == nil {
		t.Error(`parseTrusted("proxy.example") = nil error, want one`)
	}
}

// TestTrustedProxySplitsBudget: behind a reverse proxy every client shares
// the proxy's address; with --trusted-proxy, a source trickling bad tokens
// exhausts its own budget only, and other clients behind the same proxy
// keep working (8 of 120 good calls got through before).
func TestTrustedProxySplitsBudget(t *testing.T) {
	toks := &memory.Tokens{}
	s := New(toks, &memory.Deployments{}, &memory.Notes{})
	s.now = (&clock{t: time.Date(2026, 11, 27, 3, 0, 0, 0, time.UTC)}).now
	var err error
	if s.trusted, err = parseTrusted([]string{"127.0.0.1"}); err != nil {
		t.Fatal(err)
	}
	good := core.FormatAPIToken([32]byte{9})
	toks.Create(context.Background(), core.NewTokenRecord{Name: "ci", Hash: core.HashAPIToken(good), CreatedAt: s.now()})
	bad := core.FormatAPIToken([32]byte{10})
	h := s.Handler()
	call := func(from, tok string) int {
		req := httptest.NewRequest("GET", "/v1/version", nil)
		req.RemoteAddr = "127.0.0.1:40000"
		req.Header.Set("X-Forwarded-For", from)
		req.Header.Set("Authorization", "Bearer "+tok)
		rec := httptest.NewRecorder()
		h.ServeHTTP(rec, req)
		return rec.Code
	}
	for range 3 * FailureBurst {
		call("203.0.113.66", bad)
	}
	if got := call("203.0.113.66", bad); got != 429 {
		t.Errorf("the guesser's next call = %d, want 429", got)
	}
	if got := call("198.51.100.1", good); got != 200 {
		t.Errorf("another client's good call behind the same proxy = %d, want 200", got)
	}
	if got := call("198.51.100.2", bad); got != 401 {
		t.Errorf("another client's first bad call behind the same proxy = %d, want 401 (its own budget)", got)
	}
	// a guesser cannot pick a fresh address per guess by writing the header
	// itself: the proxy appends the address it saw
	for i := range 3 * FailureBurst {
		if got := call("10.9.9."+string(rune('0'+i%10))+", 203.0.113.77", bad); got == 401 && i >= FailureBurst {
			t.Fatalf("guess %d with a made-up left hop = 401, want 429 after %d", i+1, FailureBurst)
		}
	}
}
