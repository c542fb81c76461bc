package httpclient

// The ServerAPI contract run end to end against the real API server
// (adapters/httpserver over a real SQLite store), so that the client, its
// twin and the server agree on core/api.go. This is the one place an
// adapter's tests use another adapter: the point is the pair.

import (
	"context"
	"crypto/x509"
	"encoding/pem"
	"errors"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"

	"github.com/haloy-auth/haloy/adapters/httpserver"
	"github.com/haloy-auth/haloy/adapters/memory"
	"github.com/haloy-auth/haloy/adapters/porttest"
	"github.com/haloy-auth/haloy/adapters/sqlite"
	"github.com/haloy-auth/haloy/core"
)

// realServer starts haloyadm's API server on listen, over a fresh SQLite
// store holding tokens, and returns its address.
func realServer(t *testing.T, listen, version string, tokens map[string]string, opts core.ServeOptions) (addr string, notes *memory.Notes) {
	t.Helper()
	store := sqlite.New(memory.Env{core.ServerDataDirEnv: t.TempDir()})
	t.Cleanup(func() { store.Close() })
	now := time.Now()
	for tok, name := range tokens {
		rec := core.NewTokenRecord{Name: name, Hash: core.HashAPIToken(tok), CreatedAt: now, ExpiresAt: now.Add(time.Hour)}
		if _, err := store.Create(context.Background(), rec); err != nil {
			t.Fatalf("create token %s: %v", name, err)
		}
	}
	notes = &memory.Notes{}
	srv := httpserver.New(store, store, notes)
	ctx, cancel := context.WithCancel(context.Background())
	ready := make(chan string, 1)
	done := make(chan error, 1)
	opts.Listen, opts.Version = listen, version
	go func() { done <- srv.Serve(ctx, opts, func(a string) { ready <- a }) }()
	t.Cleanup(func() {
		cancel()
		if err := <-done; err != nil {
			t.Errorf("Serve() = %v", err)
		}
	})
	select {
	case a := <-ready:
		_, addr, _ = strings.Cut(a, "://")
		return addr, notes
	case err := <-done:
		t.Fatalf("Serve() = %v before it was ready", err)
	}
	return "", nil
}

func TestContractRealServerPlainHTTP(t *testing.T) {
	porttest.ServerAPI(t, func(t *testing.T, version string, tokens map[string]string) porttest.ServerAPIHarness {
		addr, _ := realServer(t, "127.0.0.1:0", version, tokens, core.ServeOptions{})
		return porttest.ServerAPIHarness{API: client(t), Server: addr}
	})
}

// Over TLS with a test CA on 127.0.0.2, so that the client takes the HTTPS path.
func TestContractRealServerTLS(t *testing.T) {
	ca := newTestCA(t)
	certFile, keyFile := writeLeaf(t, ca, "127.0.0.2")
	porttest.ServerAPI(t, func(t *testing.T, version string, tokens map[string]string) porttest.ServerAPIHarness {
		addr, _ := realServer(t, "127.0.0.2:0", version, tokens, core.ServeOptions{TLSCert: certFile, TLSKey: keyFile})
		return porttest.ServerAPIHarness{API: client(t), Server: addr, CACert: ca.file}
	})
}

// client returns a Client whose spare connections close before the server
// shuts down: a server waits up to 5 seconds for a connection that never
// sent a request.
func client(t *testing.T) *Client {
	c := New(&memory.Notes{})
	t.Cleanup(c.CloseIdleConnections)
	return c
}

// writeLeaf writes a server certificate for ip and its key as PEM files.
func writeLeaf(t *testing.T, ca *testCA, ip string) (certFile, keyFile string) {
	t.Helper()
	leaf := ca.leaf(t, ip)
	key, err := x509.MarshalPKCS8PrivateKey(leaf.PrivateKey)
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	certFile, keyFile = filepath.Join(dir, "cert.pem"), filepath.Join(dir, "key.pem")
	if err := os.WriteFile(certFile, pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: leaf.Certificate[0]}), 0o600); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(keyFile, pem.EncodeToMemory(&pem.Block{Type: "PRIVATE KEY", Bytes: key}), 0o600); err != nil {
		t.Fatal(err)
	}
	return certFile, keyFile
}

// The real server's 429 after repeated failures reaches the user as a wait.
func TestRealServerRateLimitIsAWait(t *testing.T) {
	addr, _ := realServer(t, "127.0.0.1:0", "1.0", map[string]string{token.Reveal(): "ci"}, core.ServeOptions{})
	c := New(&memory.Notes{})
	c.MaxRetryWait = 0 // report the wait instead of sleeping through it
	bad := endpoint(addr)
	bad.Token = core.Secret("haloy_" + strings.Repeat("B", 43))
	for i := range 100 {
		_, err := c.Version(context.Background(), bad)
		var ce *core.Error
		if !errors.As(err, &ce) {
			t.Fatalf("Version() #%d error = %v, want a *core.Error", i, err)
		}
		if ce.Kind == core.Unavailable && strings.Contains(ce.Why, "HTTP 429") {
			if !strings.HasPrefix(ce.Fix, "wait ") {
				t.Errorf("Version() error Fix = %q, want how long to wait", ce.Fix)
			}
			return
		}
		if ce.Kind != core.Unauthorized {
			t.Fatalf("Version() #%d error = %+v, want Unauthorized until the limit", i, ce)
		}
	}
	t.Errorf("100 rejected calls and no 429")
}

// A token refused for its scope or app becomes an error that names the
// token, what it lacks, and the haloyadm command for one that can.
func TestForbiddenFromRealServer(t *testing.T) {
	store := sqlite.New(memory.Env{core.ServerDataDirEnv: t.TempDir()})
	t.Cleanup(func() { store.Close() })
	tok := core.FormatAPIToken([32]byte{42})
	now := time.Now()
	g := core.TokenGrant{Scopes: []core.Scope{core.ScopeDeploy}, Apps: []string{"my-app"}}
	if _, err := store.Create(context.Background(), core.NewTokenRecord{Name: "ci", Hash: core.HashAPIToken(tok), CreatedAt: now, Grant: g}); err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewServer(httpserver.New(store, store, &memory.Notes{}).Handler())
	t.Cleanup(srv.Close)
	server := strings.TrimPrefix(srv.URL, "http://")
	ep := core.Endpoint{Server: server, Token: core.Secret(tok), TokenSource: "client store HALOY_API_TOKEN_X"}
	c := client(t)
	_, err := c.Status(context.Background(), ep, "other-app")
	want := &core.Error{Kind: core.Unauthorized, What: `token "ci" is not for app "other-app" on "` + server + `"`,
		Why: "the token from client store HALOY_API_TOKEN_X was refused (HTTP 403); this call needs one of the scopes read, deploy, admin",
		Fix: "on the server: sudo haloyadm api token --name ci-other-app --scope read --app other-app; then: haloy server add " + server + " --force --token-stdin"}
	if diff := cmp.Diff(want, errorOf(t, err), cmpopts.IgnoreFields(core.Error{}, "Err")); diff != "" {
		t.Errorf("Status() of another app error mismatch (-want +got):\n%s", diff)
	}
	err = c.Deploy(context.Background(), ep, request("shop"))
	want = &core.Error{Kind: core.Unauthorized, What: `token "ci" is not for app "shop" on "` + server + `"`,
		Why: "the token from client store HALOY_API_TOKEN_X was refused (HTTP 403); this call needs one of the scopes deploy, admin",
		Fix: "on the server: sudo haloyadm api token --name ci-shop --scope deploy --app shop; then: haloy server add " + server + " --force --token-stdin"}
	if diff := cmp.Diff(want, errorOf(t, err), cmpopts.IgnoreFields(core.Error{}, "Err")); diff != "" {
		t.Errorf("Deploy() of another app error mismatch (-want +got):\n%s", diff)
	}
}

// The client keeps Haloy-Token-Expires of a status answer, for the
// expiry warning of haloy status.
func TestStatusKeepsTokenExpiry(t *testing.T) {
	tok := core.FormatAPIToken([32]byte{7})
	addr, _ := realServer(t, "127.0.0.1:0", "1.0.0", map[string]string{tok: "ci"}, core.ServeOptions{})
	ep := core.Endpoint{Server: addr, Token: core.Secret(tok)}
	c := client(t)
	if err := c.Deploy(context.Background(), ep, request("web")); err != nil {
		t.Fatal(err)
	}
	r, err := c.Status(context.Background(), ep, "web")
	if err != nil {
		t.Fatal(err)
	}
	if r.TokenExpiresAt == nil || time.Until(*r.TokenExpiresAt) < 50*time.Minute || time.Until(*r.TokenExpiresAt) > time.Hour {
		t.Errorf("Status() TokenExpiresAt = %v, want the token's expiry, in about an hour", r.TokenExpiresAt)
	}
}
