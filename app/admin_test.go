package app

import (
	"context"
	"errors"
	"strconv"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"go.uber.org/fx"

	"github.com/haloy-auth/haloy/adapters/memory"
	"github.com/haloy-auth/haloy/core"
	"github.com/haloy-auth/haloy/ports"
)

var adminT0 = time.Date(2026, 11, 27, 3, 0, 0, 0, time.UTC)

// adminWorld is one server's state, shared by the haloyadm use cases as
// separate processes share the config file and the database.
type adminWorld struct {
	config *memory.ServerConfig
	tokens *memory.Tokens
	notes  *memory.Notes
	api    *memory.APIServer
	env    memory.Env
	now    time.Time
}

func newAdminWorld(initialized bool) *adminWorld {
	w := &adminWorld{config: &memory.ServerConfig{}, tokens: &memory.Tokens{}, notes: &memory.Notes{},
		api: &memory.APIServer{Addr: "http://127.0.0.1:9922", Up: make(chan string, 1)}, now: adminT0,
		env: memory.Env{"USER": "root", "SUDO_USER": "alice"}}
	if initialized {
		w.config.Settings = &core.ServerSettings{APIDomain: "api.example.com"}
	}
	return w
}

func (w *adminWorld) clock() time.Time { return w.now }

func (w *adminWorld) initServer() *InitServer {
	uc := NewInitServer(w.config, w.tokens, w.env)
	uc.now = w.clock
	return uc
}

func (w *adminWorld) createToken() *CreateToken {
	uc := NewCreateToken(w.config, w.tokens, w.notes, w.env)
	uc.now = w.clock
	return uc
}

func (w *adminWorld) listTokens() *ListTokens {
	uc := NewListTokens(w.config, w.tokens)
	uc.now = w.clock
	return uc
}

func (w *adminWorld) revokeToken() *RevokeToken {
	uc := NewRevokeToken(w.config, w.tokens, w.env)
	uc.now = w.clock
	return uc
}

func (w *adminWorld) names(t *testing.T) []string {
	t.Helper()
	list, _ := w.tokens.List(context.Background())
	var out []string
	for _, r := range list {
		out = append(out, r.Name)
	}
	return out
}

func adminKind(err error) core.Kind {
	var ce *core.Error
	if errors.As(err, &ce) {
		return ce.Kind
	}
	return -1
}

func TestInitServer(t *testing.T) {
	ctx := context.Background()
	w := newAdminWorld(false)
	got, err := w.initServer().Run(ctx, "API.Example.com")
	if err != nil {
		t.Fatal(err)
	}
	if got.APIDomain != "api.example.com" || got.Tokens != 0 || !core.LooksLikeAPIToken(got.First.Token) || got.First.APIDomain != "api.example.com" {
		t.Errorf("first init = %+v, want the normalized domain and a first token", got)
	}
	if h, ok, _ := w.tokens.Lookup(ctx, core.HashAPIToken(got.First.Token)); !ok || !h.ExpiresAt.Equal(adminT0.Add(90*24*time.Hour)) {
		t.Errorf("first token in the store = %+v, %v, want it, expiring in 90 days", h, ok)
	}
	// safe to run twice: no second token
	again, err := w.initServer().Run(ctx, "")
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff(Initialized{APIDomain: "api.example.com", Tokens: 1}, again); diff != "" {
		t.Errorf("second init mismatch (-want +got):\n%s", diff)
	}
	if _, err := w.initServer().Run(ctx, "haloy.example.org"); err != nil {
		t.Fatal(err)
	}
	if w.config.Settings.APIDomain != "haloy.example.org" {
		t.Errorf("api domain after init --api-domain = %q, want %q", w.config.Settings.APIDomain, "haloy.example.org")
	}
	if n := len(w.names(t)); n != 1 {
		t.Errorf("tokens after three inits = %d, want 1", n)
	}
}

func TestInitServerBadDomain(t *testing.T) {
	w := newAdminWorld(false)
	_, err := w.initServer().Run(context.Background(), "https://api.example.com")
	if adminKind(err) != core.Invalid {
		t.Errorf("init --api-domain https://... = %v, want Kind Invalid", err)
	}
	if w.config.Settings != nil || len(w.names(t)) != 0 {
		t.Errorf("init with a bad domain wrote something")
	}
}

func TestCreateToken(t *testing.T) {
	ctx := context.Background()
	tests := []struct {
		name        string
		in          CreateTokenInput
		wantName    string
		wantExpires time.Time
		wantWarn    []string
	}{
		{"defaults", CreateTokenInput{}, "token-20261127-030000", adminT0.Add(90 * 24 * time.Hour), nil},
		{"named_hours", CreateTokenInput{Name: "ci", Expires: "12h"}, "ci", adminT0.Add(12 * time.Hour), nil},
		{"days", CreateTokenInput{Expires: "7d"}, "token-20261127-030000", adminT0.Add(7 * 24 * time.Hour), nil},
		{"never", CreateTokenInput{Name: "laptop", Expires: "never"}, "laptop", time.Time{},
			[]string{`token "laptop" never expires; revoke it when it is no longer needed: haloyadm api token revoke laptop`}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			w := newAdminWorld(true)
			got, err := w.createToken().Run(ctx, tt.in)
			if err != nil {
				t.Fatal(err)
			}
			want := IssuedToken{Token: got.Token, APIDomain: "api.example.com",
				Record: core.TokenRecord{ID: 1, Name: tt.wantName, CreatedAt: adminT0, ExpiresAt: tt.wantExpires, CreatedBy: "haloyadm (alice)"}}
			if diff := cmp.Diff(want, got); diff != "" {
				t.Errorf("Run(%+v) mismatch (-want +got):\n%s", tt.in, diff)
			}
			if !core.LooksLikeAPIToken(got.Token) {
				t.Errorf("token %q... does not look like a haloy token", got.Token[:8])
			}
			if rec, ok, _ := w.tokens.Lookup(ctx, core.HashAPIToken(got.Token)); !ok || rec.Name != tt.wantName {
				t.Errorf("store lookup of the new token = %v, %v, want %q", rec, ok, tt.wantName)
			}
			if diff := cmp.Diff(tt.wantWarn, w.notes.Warnings); diff != "" {
				t.Errorf("warnings mismatch (-want +got):\n%s", diff)
			}
		})
	}
}

func TestCreateTokenUnique(t *testing.T) {
	ctx := context.Background()
	w := newAdminWorld(true)
	seen := map[string]bool{}
	// three tokens in one second get distinct derived names
	for _, want := range []string{"token-20261127-030000", "token-20261127-030000-2", "token-20261127-030000-3"} {
		got, err := w.createToken().Run(ctx, CreateTokenInput{})
		if err != nil || got.Record.Name != want {
			t.Errorf("Run() = %q, %v, want %q", got.Record.Name, err, want)
		}
		if seen[got.Token] {
			t.Errorf("Run() gave the same token twice")
		}
		seen[got.Token] = true
	}
	_, err := w.createToken().Run(ctx, CreateTokenInput{Name: "token-20261127-030000"})
	if adminKind(err) != core.Conflict {
		t.Errorf("Run(taken name) = %v, want Kind Conflict", err)
	}
}

func TestCreateTokenErrors(t *testing.T) {
	tests := []struct {
		name        string
		initialized bool
		in          CreateTokenInput
		wantKind    core.Kind
		wantWhat    string
	}{
		{"not_initialized", false, CreateTokenInput{}, core.Missing, "haloyadm is not initialized on this server"},
		{"bad_name", true, CreateTokenInput{Name: "9lives"}, core.Invalid, `invalid token name "9lives"`},
		{"bad_expires", true, CreateTokenInput{Expires: "1y"}, core.Invalid, `invalid token lifetime "1y"`},
		// checked before the store: not initialized does not hide a typo
		{"bad_expires_not_initialized", false, CreateTokenInput{Expires: "0d"}, core.Invalid, `invalid token lifetime "0d"`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			w := newAdminWorld(tt.initialized)
			_, err := w.createToken().Run(context.Background(), tt.in)
			var ce *core.Error
			if !errors.As(err, &ce) || ce.Kind != tt.wantKind || ce.What != tt.wantWhat {
				t.Errorf("Run(%+v) = %v, want Kind %d %q", tt.in, err, tt.wantKind, tt.wantWhat)
			}
			if n := len(w.names(t)); n != 0 {
				t.Errorf("tokens after a refused create = %d, want 0", n)
			}
		})
	}
}

func TestListTokens(t *testing.T) {
	ctx := context.Background()
	w := newAdminWorld(true)
	for _, in := range []CreateTokenInput{{Name: "a", Expires: "1h"}, {Name: "b", Expires: "never"}, {Name: "c"}} {
		if _, err := w.createToken().Run(ctx, in); err != nil {
			t.Fatal(err)
		}
	}
	w.now = adminT0.Add(2 * time.Hour)
	if _, err := w.revokeToken().Run(ctx, "c"); err != nil {
		t.Fatal(err)
	}
	got, err := w.listTokens().Run(ctx)
	if err != nil {
		t.Fatal(err)
	}
	var status []string
	for _, l := range got {
		status = append(status, l.Name+"="+string(l.Status))
	}
	if diff := cmp.Diff([]string{"a=expired", "b=active", "c=revoked"}, status); diff != "" {
		t.Errorf("statuses mismatch (-want +got):\n%s", diff)
	}
	if _, err := newAdminWorld(false).listTokens().Run(ctx); adminKind(err) != core.Missing {
		t.Errorf("list before init = %v, want Kind Missing", err)
	}
}

func TestRevokeToken(t *testing.T) {
	ctx := context.Background()
	w := newAdminWorld(true)
	a, _ := w.createToken().Run(ctx, CreateTokenInput{Name: "a"})
	w.createToken().Run(ctx, CreateTokenInput{Name: "b"})
	w.now = adminT0.Add(time.Minute)
	got, err := w.revokeToken().Run(ctx, strconv.FormatInt(a.Record.ID, 10))
	if err != nil || got.Already || got.Token.Name != "a" || !got.Token.RevokedAt.Equal(w.now) || got.Token.RevokedBy != "haloyadm (alice)" {
		t.Errorf("revoke by id = %+v, %v, want a revoked now by haloyadm (alice)", got, err)
	}
	w.now = adminT0.Add(time.Hour)
	got, err = w.revokeToken().Run(ctx, "a")
	if err != nil || !got.Already || !got.Token.RevokedAt.Equal(adminT0.Add(time.Minute)) {
		t.Errorf("revoke again = %+v, %v, want already revoked, first time kept", got, err)
	}
	_, err = w.revokeToken().Run(ctx, "c")
	var ce *core.Error
	if !errors.As(err, &ce) || ce.Kind != core.NotFound || ce.Why != "known tokens: a, b" {
		t.Errorf("revoke unknown = %#v, want NotFound listing a, b", err)
	}
	// revoked in one process, refused by the other's next lookup
	if rec, _, _ := w.tokens.Lookup(ctx, core.HashAPIToken(a.Token)); rec.Status(w.now) != core.TokenRevoked {
		t.Errorf("status of a after revoke = %q, want revoked", rec.Status(w.now))
	}
}

// TestLocalActor: a token made or revoked on the server records the OS
// user, the one behind sudo first; a name that is not a plain user name
// is left out rather than stored.
func TestLocalActor(t *testing.T) {
	tests := []struct {
		name string
		env  memory.Env
		want string
	}{
		{"sudo", memory.Env{"USER": "root", "SUDO_USER": "alice"}, "haloyadm (alice)"},
		{"root", memory.Env{"USER": "root"}, "haloyadm (root)"},
		{"logname", memory.Env{"LOGNAME": "ops"}, "haloyadm (ops)"},
		{"none", memory.Env{}, "haloyadm"},
		{"not_a_name", memory.Env{"USER": "x\x1b[31m; rm"}, "haloyadm"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := localActor(tt.env); got != tt.want {
				t.Errorf("localActor(%v) = %q, want %q", tt.env, got, tt.want)
			}
		})
	}
	w := newAdminWorld(false)
	got, err := w.initServer().Run(context.Background(), "")
	if err != nil || got.First.Record.CreatedBy != "haloyadm (alice)" {
		t.Errorf("init's first token = %+v, %v, want it created by haloyadm (alice)", got.First.Record, err)
	}
}

func TestServe(t *testing.T) {
	tests := []struct {
		name      string
		init      bool
		tokens    []string
		opts      core.ServeOptions
		wantKind  core.Kind // -1: serves
		wantWarns []string
	}{
		{"loopback", true, []string{"ci"}, core.ServeOptions{Listen: "127.0.0.1:9922"}, -1, nil},
		{"no_token", true, nil, core.ServeOptions{Listen: "127.0.0.1:9922"}, -1,
			[]string{"no active API token: every call will be refused; create one with: haloyadm api token"}},
		{"public_plain_http", true, []string{"ci"}, core.ServeOptions{Listen: ":9922"}, -1,
			[]string{"serving plain HTTP on :9922: tokens would cross the network in clear text; use --tls-cert and --tls-key, or listen on 127.0.0.1 behind a TLS reverse proxy"}},
		{"public_tls", true, []string{"ci"}, core.ServeOptions{Listen: ":443", TLSCert: "c.pem", TLSKey: "k.pem"}, -1, nil},
		{"cert_without_key", true, []string{"ci"}, core.ServeOptions{Listen: ":443", TLSCert: "c.pem"}, core.Invalid, nil},
		{"bad_listen", true, []string{"ci"}, core.ServeOptions{Listen: "9922"}, core.Invalid, nil},
		{"not_initialized", false, nil, core.ServeOptions{Listen: "127.0.0.1:9922"}, core.Missing, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			w := newAdminWorld(tt.init)
			for _, n := range tt.tokens {
				w.createToken().Run(context.Background(), CreateTokenInput{Name: n})
			}
			uc := NewServe(w.config, w.tokens, w.api, w.notes)
			uc.now = w.clock
			ctx, cancel := context.WithCancel(context.Background())
			done := make(chan error, 1)
			go func() { done <- uc.Run(ctx, tt.opts) }()
			if tt.wantKind != -1 {
				err := <-done
				cancel()
				if adminKind(err) != tt.wantKind {
					t.Errorf("Run(%+v) = %v, want Kind %d", tt.opts, err, tt.wantKind)
				}
				if len(w.api.Served) != 0 {
					t.Errorf("Run(%+v) served after an error", tt.opts)
				}
				return
			}
			select {
			case <-w.api.Up:
			case err := <-done:
				t.Fatalf("Run() = %v before serving", err)
			}
			cancel()
			if err := <-done; err != nil {
				t.Fatalf("Run() = %v", err)
			}
			if diff := cmp.Diff([]string{"serving on http://127.0.0.1:9922", "stopped"}, w.notes.Infos); diff != "" {
				t.Errorf("notes mismatch (-want +got):\n%s", diff)
			}
			if diff := cmp.Diff(tt.wantWarns, w.notes.Warnings); diff != "" {
				t.Errorf("warnings mismatch (-want +got):\n%s", diff)
			}
			if diff := cmp.Diff([]core.ServeOptions{tt.opts}, w.api.Served); diff != "" {
				t.Errorf("served options mismatch (-want +got):\n%s", diff)
			}
		})
	}
}

func TestAdminWiring(t *testing.T) {
	notes := fx.Supply(fx.Annotate(&memory.Notes{}, fx.As(new(ports.Notifier))))
	err := fx.ValidateApp(fx.NopLogger, UseCases, Adapters, notes,
		fx.Invoke(func(*InitServer, *CreateToken, *ListTokens, *RevokeToken, *Serve) {}))
	if err != nil {
		t.Errorf("fx.ValidateApp: %v", err)
	}
}
