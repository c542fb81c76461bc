package httpserver

import (
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
