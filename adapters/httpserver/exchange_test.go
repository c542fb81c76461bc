package httpserver

import (
	"context"
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/haloy-auth/haloy/adapters/memory"
	"github.com/haloy-auth/haloy/core"
)

// fakeExchanger accepts the JWT "good" and refuses any other with a
// reason; "boom" is the server's own failure.
type fakeExchanger struct {
	mu    sync.Mutex
	calls []core.ExchangeRequest
}

const goodJWT = "eyJhbGciOiJSUzI1NiJ9.eyJnb29kIjp0cnVlfQ.c2lnbmF0dXJlLWdvb2Q"

func (x *fakeExchanger) Exchange(_ context.Context, in core.ExchangeRequest) (core.OIDCExchangeResponse, error) {
	x.mu.Lock()
	x.calls = append(x.calls, in)
	x.mu.Unlock()
	switch in.Token.Reveal() {
	case goodJWT:
		return core.OIDCExchangeResponse{Token: "haloy_minted", Name: "gh-acme.web-main-run1-abcdef",
			ExpiresAt: time.Date(2026, 11, 27, 3, 15, 0, 0, time.UTC)}, nil
	case "boom":
		return core.OIDCExchangeResponse{}, errors.New("database is locked")
	}
	return core.OIDCExchangeResponse{}, &core.Error{Kind: core.Unauthorized, What: "identity token refused", Why: `policy 1: ref is "refs/heads/dev", want "refs/heads/main"`}
}

func (x *fakeExchanger) count() int { x.mu.Lock(); defer x.mu.Unlock(); return len(x.calls) }

func newExchangeServer(t *testing.T) (*httptest.Server, *fakeExchanger, *memory.Notes, *clock) {
	notes := &memory.Notes{}
	x := &fakeExchanger{}
	c := &clock{t: time.Date(2026, 11, 27, 3, 0, 0, 0, time.UTC)}
	s := New(&memory.Tokens{}, &memory.Deployments{}, notes).WithExchanger(x)
	s.now = c.now
	s.listen = "127.0.0.1:9922"
	h := httptest.NewServer(s.Handler())
	t.Cleanup(h.Close)
	return h, x, notes, c
}

func post(t *testing.T, h *httptest.Server, body string) (int, string) {
	t.Helper()
	r, err := h.Client().Post(h.URL+"/v1/oidc/token", "application/json", strings.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	defer r.Body.Close()
	b, _ := io.ReadAll(r.Body)
	return r.StatusCode, string(b)
}

func TestExchangeRoute(t *testing.T) {
	h, x, notes, _ := newExchangeServer(t)
	code, body := post(t, h, `{"token":"`+goodJWT+`"}`)
	if code != http.StatusOK {
		t.Fatalf("exchange = %d %s, want 200", code, body)
	}
	var got core.OIDCExchangeResponse
	if err := json.Unmarshal([]byte(body), &got); err != nil {
		t.Fatal(err)
	}
	want := core.OIDCExchangeResponse{Token: "haloy_minted", Name: "gh-acme.web-main-run1-abcdef", ExpiresAt: time.Date(2026, 11, 27, 3, 15, 0, 0, time.UTC)}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("exchange answer mismatch (-want +got):\n%s", diff)
	}
	if x.calls[0].Listen != "127.0.0.1:9922" {
		t.Errorf("exchange got listen %q, want the server's", x.calls[0].Listen)
	}
	if !strings.Contains(strings.Join(notes.Infos, "\n"), `minted token "gh-acme.web-main-run1-abcdef"`) {
		t.Errorf("log = %q, want the minted token's name", notes.Infos)
	}
}

// Every refusal is the same 401; the reason is logged, the JWT never.
func TestExchangeRefusals(t *testing.T) {
	forged := "eyJhbGciOiJSUzI1NiJ9.eyJldmlsIjp0cnVlfQ.Zm9yZ2VkLXNpZ25hdHVyZS1oZXJl"
	tests := []struct {
		name, body, reason string
		reachesExchange    bool
	}{
		{name: "policy_refusal", body: `{"token":"` + forged + `"}`, reason: `policy 1: ref is "refs/heads/dev"`, reachesExchange: true},
		{name: "oversized", body: `{"token":"` + strings.Repeat("A", core.MaxOIDCTokenBytes+1024) + `"}`, reason: "over the limit of 17408; it was not parsed"},
		{name: "not_json", body: `token=` + forged, reason: "invalid JSON at byte"},
		{name: "unknown_field", body: `{"jwt":"` + forged + `"}`, reason: "unknown field"},
		{name: "no_token", body: `{}`, reason: "the body has no token"},
		{name: "two_objects", body: `{"token":"a"}{"token":"b"}`, reason: "data after the JSON object"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			h, x, notes, _ := newExchangeServer(t)
			code, body := post(t, h, tt.body)
			if code != http.StatusUnauthorized || body != `{"error":"`+exchangeRefusedMsg+`"}`+"\n" {
				t.Errorf("exchange = %d %q, want 401 with the one refusal message", code, body)
			}
			log := strings.Join(notes.Infos, "\n")
			if !strings.Contains(log, "oidc exchange refused: ") || !strings.Contains(log, tt.reason) {
				t.Errorf("log = %q, want the refusal with %q", log, tt.reason)
			}
			if strings.Contains(log, "Zm9yZ2VkLXNpZ25hdHVyZS1oZXJl") || strings.Contains(log, "AAAAAAAAAAAA") {
				t.Errorf("log %q quotes the identity token", log)
			}
			if got := x.count() > 0; got != tt.reachesExchange {
				t.Errorf("exchange called = %v, want %v", got, tt.reachesExchange)
			}
		})
	}
}

// Refused exchanges spend the caller's failure budget, shared with bad
// bearer tokens: past it, 429 without running the exchange.
func TestExchangeCountsFailures(t *testing.T) {
	h, x, _, _ := newExchangeServer(t)
	for i := range FailureBurst {
		if code, _ := post(t, h, `{"token":"forged"}`); code != http.StatusUnauthorized {
			t.Fatalf("refusal %d = %d, want 401", i+1, code)
		}
	}
	if code, _ := post(t, h, `{"token":"`+goodJWT+`"}`); code != http.StatusTooManyRequests {
		t.Errorf("exchange after %d refusals = %d, want 429", FailureBurst, code)
	}
	if n := x.count(); n != FailureBurst {
		t.Errorf("exchanges run = %d, want %d (none once limited)", n, FailureBurst)
	}
	// a bad bearer token on another route is refused by the same budget
	r, err := h.Client().Get(h.URL + "/v1/version")
	if err != nil {
		t.Fatal(err)
	}
	r.Body.Close()
	if r.StatusCode != http.StatusTooManyRequests {
		t.Errorf("GET /v1/version after exchange refusals = %d, want 429", r.StatusCode)
	}
}

func TestExchangeInternalError(t *testing.T) {
	h, _, _, _ := newExchangeServer(t)
	if code, _ := post(t, h, `{"token":"boom"}`); code != http.StatusInternalServerError {
		t.Errorf("exchange with a failing store = %d, want 500", code)
	}
}

// Without an exchanger the path is an ordinary /v1/ path: a token is needed.
func TestExchangeAbsentWithoutExchanger(t *testing.T) {
	s := New(&memory.Tokens{}, &memory.Deployments{}, &memory.Notes{})
	h := httptest.NewServer(s.Handler())
	defer h.Close()
	if code, _ := post(t, h, `{"token":"`+goodJWT+`"}`); code != http.StatusUnauthorized {
		t.Errorf("exchange without an exchanger = %d, want 401", code)
	}
}
