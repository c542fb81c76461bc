package httpclient

import (
	"context"
	"net/http"
	"strconv"
	"strings"
	"sync"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"

	"github.com/haloy-auth/haloy/adapters/memory"
	"github.com/haloy-auth/haloy/core"
)

// The tests in this file pin exact limits and the checks on what a server
// sends back, each on both sides: a mutation of one comparison makes one of
// them fail (docs/testing.md, "Mutation testing").

// A request says its body is JSON, and only a request with a body says
// so, as Haloy's own client does.
func TestContentTypeOnlyWithBody(t *testing.T) {
	var mu sync.Mutex
	got := map[string]string{}
	server := startPlain(t, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		mu.Lock()
		got[r.Method+" "+r.URL.Path] = r.Header.Get("Content-Type")
		mu.Unlock()
		writeJSON(w, http.StatusOK, map[string]string{})
	}))
	c, ep, ctx := New(&memory.Notes{}), endpoint(server), context.Background()
	if err := c.Deploy(ctx, ep, request("web")); err != nil {
		t.Fatalf("Deploy() error = %v", err)
	}
	if _, err := c.Version(ctx, ep); err != nil {
		t.Fatalf("Version() error = %v", err)
	}
	// a POST without a body has no Content-Type either
	if _, err := c.RotateToken(ctx, ep); err != nil {
		t.Fatalf("RotateToken() error = %v", err)
	}
	want := map[string]string{"POST /v1/deploy": "application/json", "GET /v1/version": "", "POST /v1/token/rotate": ""}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("Content-Type by request mismatch (-want +got):\n%s", diff)
	}
}

// Only a 2xx answer is a success: a 300 is an error, not an answer to
// decode (the client does not follow a 300, which names no single target).
func TestStatus300IsAnError(t *testing.T) {
	for _, code := range []int{299, 300} {
		server := startPlain(t, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			writeJSON(w, code, core.VersionResponse{Haloyd: "1.0"})
		}))
		got, err := New(&memory.Notes{}).Version(context.Background(), endpoint(server))
		if code == 299 {
			if err != nil || got.Haloyd != "1.0" {
				t.Errorf("Version() of a %d answer = %+v, %v; want the answer, nil", code, got, err)
			}
			continue
		}
		ce := errorOf(t, err)
		if want := "the server answered 300 Multiple Choices"; !strings.HasPrefix(ce.Why, want) {
			t.Errorf("Version() of a 300 answer: error Why = %q, want it to start with %q", ce.Why, want)
		}
	}
}

// The client follows at most maxRedirects redirects within the server.
func TestRedirectLimit(t *testing.T) {
	f := newFakeAPI("1.0", map[string]string{token.Reveal(): "ci"})
	mux := http.NewServeMux()
	// /v1/hop/N redirects to /v1/hop/N-1; /v1/hop/0 to the version answer
	mux.HandleFunc("/v1/hop/{n}", func(w http.ResponseWriter, r *http.Request) {
		n, _ := strconv.Atoi(r.PathValue("n"))
		next := "/v1/hop/" + strconv.Itoa(n-1)
		if n == 1 {
			next = "/v1/version"
		}
		http.Redirect(w, r, next, http.StatusTemporaryRedirect)
	})
	mux.Handle("/", f)
	server := startPlain(t, mux)
	c := New(&memory.Notes{})
	var out core.VersionResponse
	if err := c.call(context.Background(), endpoint(server), http.MethodGet, "/v1/hop/"+strconv.Itoa(maxRedirects-1), nil, &out, "version check"); err != nil || out.Haloyd != "1.0" {
		t.Errorf("call() through %d redirects = %+v, %v; want the version answer", maxRedirects-1, out, err)
	}
	err := c.call(context.Background(), endpoint(server), http.MethodGet, "/v1/hop/"+strconv.Itoa(maxRedirects), nil, &out, "version check")
	ce := errorOf(t, err)
	if want := server + " redirected " + strconv.Itoa(maxRedirects) + " times"; ce.Kind != core.Unavailable || ce.What != want {
		t.Errorf("call() through %d redirects: error = %+v, want Kind Unavailable, What %q", maxRedirects, ce, want)
	}
}

// The names in a 403 come from the server and are printed, the app and
// the scope inside a command to paste: each is shown only when it is a
// valid name, and dropped otherwise.
func TestForbiddenNamesFromServer(t *testing.T) {
	tests := []struct {
		name string
		body core.ErrorResponse
		want *core.Error
	}{
		{"valid_app", core.ErrorResponse{Error: "forbidden", Token: "ci", App: "shop"}, &core.Error{Kind: core.Unauthorized,
			What: `token "ci" is not for app "shop" on "%s"`, Why: "the token from env TEST_TOKEN was refused (HTTP 403)",
			Fix: "on the server: sudo haloyadm api token --name ci-shop --app shop; then: haloy server add %s --force --token-stdin"}},
		{"app_with_a_command", core.ErrorResponse{Error: "forbidden", Token: "ci", App: "shop; rm -rf ~"}, &core.Error{Kind: core.Unauthorized,
			What: `token "ci" may not do this on "%s"`, Why: "the token from env TEST_TOKEN was refused (HTTP 403)",
			Fix: "on the server: sudo haloyadm api token --name ci; then: haloy server add %s --force --token-stdin"}},
		{"valid_scope", core.ErrorResponse{Error: "forbidden", Token: "ci", MissingScope: core.ScopeDeploy}, &core.Error{Kind: core.Unauthorized,
			What: `token "ci" lacks the deploy scope on "%s"`, Why: "the token from env TEST_TOKEN was refused (HTTP 403)",
			Fix: "on the server: sudo haloyadm api token --name ci-deploy --scope deploy; then: haloy server add %s --force --token-stdin"}},
		{"scope_with_a_command", core.ErrorResponse{Error: "forbidden", Token: "ci", MissingScope: "deploy; rm -rf ~"}, &core.Error{Kind: core.Unauthorized,
			What: `token "ci" may not do this on "%s"`, Why: "the token from env TEST_TOKEN was refused (HTTP 403)",
			Fix: "on the server: sudo haloyadm api token --name ci; then: haloy server add %s --force --token-stdin"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			server := startPlain(t, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				writeJSON(w, http.StatusForbidden, tt.body)
			}))
			_, err := New(&memory.Notes{}).Version(context.Background(), endpoint(server))
			want := *tt.want
			want.What = strings.ReplaceAll(want.What, "%s", server)
			want.Fix = strings.ReplaceAll(want.Fix, "%s", server)
			if diff := cmp.Diff(&want, errorOf(t, err), cmpopts.IgnoreFields(core.Error{}, "Err")); diff != "" {
				t.Errorf("Version() error mismatch (-want +got):\n%s", diff)
			}
		})
	}
}
