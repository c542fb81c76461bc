package app

import (
	"context"
	"errors"
	"testing"

	"github.com/google/go-cmp/cmp"
	"go.uber.org/fx"

	"github.com/haloy-auth/haloy/adapters/memory"
	"github.com/haloy-auth/haloy/core"
	"github.com/haloy-auth/haloy/ports"
)

func prodState() core.ClientState {
	return core.ClientState{
		Servers: map[string]core.ServerRef{
			"production.haloy.com": {TokenEnv: "HALOY_API_TOKEN_PRODUCTION_HALOY_COM"},
			"a-b.example.com":      {TokenEnv: "HALOY_API_TOKEN_A_B_EXAMPLE_COM"},
		},
		Tokens: map[string]string{
			"HALOY_API_TOKEN_PRODUCTION_HALOY_COM": "prod-token",
			"HALOY_API_TOKEN_A_B_EXAMPLE_COM":      "ab-token",
			"FOREIGN":                              "kept",
		},
	}
}

func TestAddServer(t *testing.T) {
	certs := memory.CACerts{"ca.pem": "/work/ca.pem", "empty.pem": ""}
	tests := []struct {
		name       string
		in         core.AddServer
		want       core.Added
		wantErr    core.Kind
		wantWrites int
		check      func(t *testing.T, st core.ClientState)
	}{
		{
			name:       "new_server",
			in:         core.AddServer{Server: "Staging.Haloy.com.", Token: "stage-token"},
			want:       core.Added{Server: "staging.haloy.com", TokenEnv: "HALOY_API_TOKEN_STAGING_HALOY_COM", HaloyTokenEnv: "HALOY_API_TOKEN_STAGING_HALOY_COM"},
			wantWrites: 1,
			check: func(t *testing.T, st core.ClientState) {
				if st.Tokens["HALOY_API_TOKEN_STAGING_HALOY_COM"] != "stage-token" || st.Tokens["FOREIGN"] != "kept" {
					t.Errorf("tokens after add = %v", keys(st.Tokens))
				}
			},
		},
		{
			name: "collision",
			in:   core.AddServer{Server: "a.b.example.com", Token: "other-token"},
			want: core.Added{Server: "a.b.example.com", TokenEnv: "HALOY_API_TOKEN_A_B_EXAMPLE_COM_532E2DC4",
				HaloyTokenEnv: "HALOY_API_TOKEN_A_B_EXAMPLE_COM", CollidedWith: "a-b.example.com"},
			wantWrites: 1,
			check: func(t *testing.T, st core.ClientState) {
				// the first server's token must survive the second add
				if got := st.Tokens["HALOY_API_TOKEN_A_B_EXAMPLE_COM"]; got != "ab-token" {
					t.Errorf("a-b.example.com's token changed after adding a.b.example.com")
				}
			},
		},
		{
			name:       "ca_cert_made_absolute",
			in:         core.AddServer{Server: "internal.example", Token: "t", CACert: "ca.pem"},
			want:       core.Added{Server: "internal.example", TokenEnv: "HALOY_API_TOKEN_INTERNAL_EXAMPLE", HaloyTokenEnv: "HALOY_API_TOKEN_INTERNAL_EXAMPLE"},
			wantWrites: 1,
			check: func(t *testing.T, st core.ClientState) {
				if got := st.Servers["internal.example"].CACert; got != "/work/ca.pem" {
					t.Errorf("CACert = %q, want %q", got, "/work/ca.pem")
				}
			},
		},
		{name: "existing_without_force", in: core.AddServer{Server: "production.haloy.com", Token: "new"}, wantErr: core.Conflict},
		{name: "bad_server", in: core.AddServer{Server: "https://x.example.com", Token: "t"}, wantErr: core.Invalid},
		{name: "placeholder_token", in: core.AddServer{Server: "x.example.com", Token: "<token>"}, wantErr: core.Invalid},
		{name: "missing_ca", in: core.AddServer{Server: "x.example.com", Token: "t", CACert: "nope.pem"}, wantErr: core.NotFound},
		{name: "ca_not_pem", in: core.AddServer{Server: "x.example.com", Token: "t", CACert: "empty.pem"}, wantErr: core.Invalid},
		{
			name:       "force_replaces",
			in:         core.AddServer{Server: "production.haloy.com", Token: "rotated", Force: true},
			want:       core.Added{Server: "production.haloy.com", TokenEnv: "HALOY_API_TOKEN_PRODUCTION_HALOY_COM", HaloyTokenEnv: "HALOY_API_TOKEN_PRODUCTION_HALOY_COM", Replaced: true},
			wantWrites: 1,
			check: func(t *testing.T, st core.ClientState) {
				if st.Tokens["HALOY_API_TOKEN_PRODUCTION_HALOY_COM"] != "rotated" {
					t.Error("token not replaced")
				}
			},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			store := memory.NewClientStore(prodState())
			got, err := NewAddServer(store, certs, memory.Env{}).Run(context.Background(), tt.in)
			var ce *core.Error
			if tt.wantErr != core.Internal {
				if !errors.As(err, &ce) || ce.Kind != tt.wantErr {
					t.Fatalf("Run(%q) = %v, want a *core.Error of Kind %v", tt.in.Server, err, tt.wantErr)
				}
			} else if err != nil {
				t.Fatalf("Run(%q) error: %v", tt.in.Server, err)
			}
			if diff := cmp.Diff(tt.want, got); diff != "" {
				t.Errorf("Run(%q) mismatch (-want +got):\n%s", tt.in.Server, diff)
			}
			// a rejected add writes nothing
			if got := store.Writes(); got != tt.wantWrites {
				t.Errorf("Run(%q) wrote %d times, want %d", tt.in.Server, got, tt.wantWrites)
			}
			if tt.wantErr != core.Internal {
				if diff := cmp.Diff(prodState(), store.State()); diff != "" {
					t.Errorf("state changed by a rejected add (-want +got):\n%s", diff)
				}
			}
			if tt.check != nil {
				tt.check(t, store.State())
			}
		})
	}
}

func keys(m map[string]string) []string {
	var out []string
	for k := range m {
		out = append(out, k)
	}
	return out
}

func TestDeleteServer(t *testing.T) {
	store := memory.NewClientStore(prodState())
	got, err := NewDeleteServer(store).Run(context.Background(), "Production.Haloy.com")
	if err != nil {
		t.Fatal(err)
	}
	want := core.Deleted{Server: "production.haloy.com", TokenEnv: "HALOY_API_TOKEN_PRODUCTION_HALOY_COM", TokenRemoved: true}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("Run mismatch (-want +got):\n%s", diff)
	}
	wantState := core.ClientState{
		Servers: map[string]core.ServerRef{"a-b.example.com": {TokenEnv: "HALOY_API_TOKEN_A_B_EXAMPLE_COM"}},
		Tokens:  map[string]string{"HALOY_API_TOKEN_A_B_EXAMPLE_COM": "ab-token", "FOREIGN": "kept"},
	}
	if diff := cmp.Diff(wantState, store.State()); diff != "" {
		t.Errorf("state after delete (-want +got):\n%s", diff)
	}

	_, err = NewDeleteServer(store).Run(context.Background(), "prod2.haloy.com")
	wantErr := &core.Error{Kind: core.NotFound, What: `unknown server "prod2.haloy.com"`, Why: "configured: a-b.example.com", Fix: "haloy server list"}
	if diff := cmp.Diff(wantErr, err); diff != "" {
		t.Errorf("delete of an unknown server (-want +got):\n%s", diff)
	}
	_, err = NewDeleteServer(store).Run(context.Background(), "https://a-b.example.com")
	var ce *core.Error
	if !errors.As(err, &ce) || ce.Kind != core.Invalid {
		t.Errorf("delete of %q = %v, want a *core.Error of Kind Invalid", "https://a-b.example.com", err)
	}
	if store.Writes() != 1 {
		t.Errorf("writes = %d, want 1 (the failed deletes write nothing)", store.Writes())
	}
}

func TestListServers(t *testing.T) {
	st := prodState()
	st.Servers["nowhere.example.com"] = core.ServerRef{TokenEnv: "HALOY_API_TOKEN_NOWHERE_EXAMPLE_COM", CACert: "/ca.pem"}
	st.Servers["empty.example.com"] = core.ServerRef{TokenEnv: "EMPTY"}
	st.Tokens["EMPTY"] = ""
	env := memory.Env{"HALOY_API_TOKEN_A_B_EXAMPLE_COM": "from-env", "EMPTY": ""}
	got, err := NewListServers(memory.NewClientStore(st), env).Run(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	want := []ServerEntry{
		{Server: "a-b.example.com", TokenEnv: "HALOY_API_TOKEN_A_B_EXAMPLE_COM", TokenAvailable: true, TokenSource: TokenInEnvironment},
		// set but empty counts as missing, as when deploying
		{Server: "empty.example.com", TokenEnv: "EMPTY"},
		{Server: "nowhere.example.com", TokenEnv: "HALOY_API_TOKEN_NOWHERE_EXAMPLE_COM", CACert: "/ca.pem"},
		{Server: "production.haloy.com", TokenEnv: "HALOY_API_TOKEN_PRODUCTION_HALOY_COM", TokenAvailable: true, TokenSource: TokenInConfigEnv},
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("Run mismatch (-want +got):\n%s", diff)
	}

	empty, err := NewListServers(memory.NewClientStore(core.ClientState{}), memory.Env{}).Run(context.Background())
	if err != nil || empty == nil || len(empty) != 0 {
		t.Errorf("Run on no servers = %#v, %v; want an empty, non-nil slice", empty, err)
	}

	store := memory.NewClientStore(st)
	store.Err = &core.Error{Kind: core.Unsafe, What: "x"}
	if _, err := NewListServers(store, env).Run(context.Background()); !errors.Is(err, store.Err) {
		t.Errorf("Run with a failing store = %v, want the store's error", err)
	}
}

func TestServerUseCasesWiring(t *testing.T) {
	notes := fx.Supply(fx.Annotate(&memory.Notes{}, fx.As(new(ports.Notifier))))
	err := fx.ValidateApp(fx.NopLogger, UseCases, Adapters, notes,
		fx.Invoke(func(*AddServer, *ListServers, *DeleteServer) {}))
	if err != nil {
		t.Errorf("fx.ValidateApp: %v", err)
	}
}
