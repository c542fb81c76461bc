package httpserver

import (
	"fmt"
	"io"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/haloy-auth/haloy/adapters/memory"
)

// The tests in this file pin exact limits on both sides: a mutation of one
// comparison makes one of them fail (docs/testing.md, "Mutation testing").

// An exchange body of exactly maxExchangeBody bytes is read; one byte more
// is refused unparsed, whether the client says its length or sends it
// chunked.
func TestExchangeBodyLimit(t *testing.T) {
	body := func(n int) string {
		const head, tail = `{"token":"`, `"}`
		return head + strings.Repeat("A", n-len(head)-len(tail)) + tail
	}
	for _, tt := range []struct {
		name    string
		size    int
		chunked bool
		over    bool
	}{
		{"at_limit", maxExchangeBody, false, false},
		{"over_limit", maxExchangeBody + 1, false, true},
		{"at_limit_chunked", maxExchangeBody, true, false},
		{"over_limit_chunked", maxExchangeBody + 1, true, true},
	} {
		t.Run(tt.name, func(t *testing.T) {
			h, _, notes, _ := newExchangeServer(t)
			var r io.Reader = strings.NewReader(body(tt.size))
			if tt.chunked {
				r = io.MultiReader(r) // no length known: sent chunked
			}
			req, err := http.NewRequest(http.MethodPost, h.URL+"/v1/oidc/token", r)
			if err != nil {
				t.Fatal(err)
			}
			req.Header.Set("Content-Type", "application/json")
			resp, err := h.Client().Do(req)
			if err != nil {
				t.Fatal(err)
			}
			resp.Body.Close()
			if resp.StatusCode != http.StatusUnauthorized {
				t.Errorf("exchange = %d, want 401", resp.StatusCode)
			}
			log := strings.Join(notes.Infos, "\n")
			if got := strings.Contains(log, "over the limit"); got != tt.over {
				t.Errorf("body of %d bytes: log = %q; refused as over the limit: %v, want %v", tt.size, log, got, tt.over)
			}
		})
	}
}

// The certificate files are looked at again once checkEvery has passed,
// not later.
func TestCertReloadAfterExactlyCheckEvery(t *testing.T) {
	dir := t.TempDir()
	certFile, keyFile, _ := selfSignedSerial(t, dir, 1)
	c := &clock{t: time.Date(2026, 11, 27, 3, 0, 0, 0, time.UTC)}
	r, err := newCertReloader(certFile, keyFile, &memory.Notes{}, c.now)
	if err != nil {
		t.Fatal(err)
	}
	selfSignedSerial(t, dir, 2)
	c.add(r.checkEvery - time.Nanosecond)
	if got, _ := r.GetCertificate(nil); got.Leaf.SerialNumber.Int64() != 1 {
		t.Errorf("before checkEvery: serial %d served, want 1", got.Leaf.SerialNumber.Int64())
	}
	c.add(time.Nanosecond)
	if got, _ := r.GetCertificate(nil); got.Leaf.SerialNumber.Int64() != 2 {
		t.Errorf("at checkEvery: serial %d served, want 2 (the new files)", got.Leaf.SerialNumber.Int64())
	}
}

// A request body of exactly MaxBodyBytes is read; one byte more is a 413
// that says so, for a deployment (told its length, or sent chunked) and
// for the admin route that reads its own body (POST /v1/tokens, whose own
// smaller limit then refuses the body read whole, with its own message).
func TestBodyLimit(t *testing.T) {
	f := newFixture(t)
	tok := f.token("admin", 0)
	body := func(n int) string {
		const head, tail = `{"deploymentID":"`, `"}`
		return head + strings.Repeat("a", n-len(head)-len(tail)) + tail
	}
	const (
		deployTooLarge = "the deployment is larger than 1048576 bytes"
		bodyTooLarge   = "the request body is larger than 1048576 bytes"
		tokenTooLarge  = "the token request is larger than 65536 bytes"
	)
	for _, tt := range []struct {
		name, path string
		size       int
		chunked    bool
		want413    string // the 413's message, "" for another answer
	}{
		{"deploy_at_limit", "/v1/deploy", MaxBodyBytes, false, ""},
		{"deploy_over_limit", "/v1/deploy", MaxBodyBytes + 1, false, deployTooLarge},
		{"deploy_at_limit_chunked", "/v1/deploy", MaxBodyBytes, true, ""},
		{"deploy_over_limit_chunked", "/v1/deploy", MaxBodyBytes + 1, true, deployTooLarge},
		{"tokens_at_limit_chunked", "/v1/tokens", MaxBodyBytes, true, tokenTooLarge},
		{"tokens_over_limit_chunked", "/v1/tokens", MaxBodyBytes + 1, true, bodyTooLarge},
	} {
		t.Run(tt.name, func(t *testing.T) {
			var r io.Reader = strings.NewReader(body(tt.size))
			if tt.chunked {
				r = io.MultiReader(r) // no length known: sent chunked
			}
			req, err := http.NewRequest(http.MethodPost, f.http.URL+tt.path, r)
			if err != nil {
				t.Fatal(err)
			}
			req.Header.Set("Authorization", "Bearer "+tok)
			req.Header.Set("Content-Type", "application/json")
			resp, err := f.http.Client().Do(req)
			if err != nil {
				t.Fatal(err)
			}
			msg, _ := io.ReadAll(resp.Body)
			resp.Body.Close()
			if tt.want413 == "" {
				if resp.StatusCode == http.StatusRequestEntityTooLarge {
					t.Errorf("POST %s with %d bytes = 413 %s, want another answer", tt.path, tt.size, msg)
				}
				return
			}
			if resp.StatusCode != http.StatusRequestEntityTooLarge || !strings.Contains(string(msg), tt.want413) {
				t.Errorf("POST %s with %d bytes = %d %s, want 413 %q", tt.path, tt.size, resp.StatusCode, msg, tt.want413)
			}
		})
	}
}

// A full table of addresses none of whose budgets has refilled loses a
// tenth of its entries, no more: each forgotten address gets its whole
// budget back.
func TestSweepForgetsATenth(t *testing.T) {
	f := newFailures(6*time.Second, 10)
	now := time.Date(2026, 11, 27, 3, 0, 0, 0, time.UTC)
	for i := range maxTracked {
		f.fail(fmt.Sprintf("10.%d.%d.%d", i>>16&255, i>>8&255, i&255), now)
	}
	if len(f.ips) != maxTracked {
		t.Fatalf("table holds %d addresses, want %d", len(f.ips), maxTracked)
	}
	f.sweep(now)
	if got, want := len(f.ips), maxTracked-maxTracked/10; got != want {
		t.Errorf("after sweep, table holds %d addresses, want %d", got, want)
	}
}
