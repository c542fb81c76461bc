package app

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"

	"github.com/haloy-auth/haloy/adapters/memory"
	"github.com/haloy-auth/haloy/core"
)

// Tokens of these tests; no output or error may show them.
const (
	prodToken    = "haloy_PRODtoken00000000000000000000000000000000000"
	stagingToken = "haloy_STAGINGtoken000000000000000000000000000000000"
	fallbackTok  = "haloy_FALLBACKtoken00000000000000000000000000000000"
)

var allTokens = []string{prodToken, stagingToken, fallbackTok}

// twoServers is a client store with prod and staging, their tokens in the
// config directory's .env.
func twoServers() core.ClientState {
	return core.ClientState{
		Servers: map[string]core.ServerRef{
			"prod.haloy.com":    {TokenEnv: "HALOY_API_TOKEN_PROD_HALOY_COM"},
			"staging.haloy.com": {TokenEnv: "HALOY_API_TOKEN_STAGING_HALOY_COM", CACert: "/etc/haloy-ca.pem"},
		},
		Tokens: map[string]string{
			"HALOY_API_TOKEN_PROD_HALOY_COM":    prodToken,
			"HALOY_API_TOKEN_STAGING_HALOY_COM": stagingToken,
		},
	}
}

// twoAPIs is a server API with prod and staging, each accepting its own token.
func twoAPIs() *memory.ServerAPI {
	api := memory.NewServerAPI()
	api.Add("prod.haloy.com", &memory.Server{Version: "1.4.0", Tokens: map[string]string{prodToken: "prod-ci"}})
	api.Add("staging.haloy.com", &memory.Server{Version: "1.5.0-rc1", Tokens: map[string]string{stagingToken: "staging-ci"}})
	return api
}

// noTokenIn fails the test if any of the strings shows a token.
func noTokenIn(t *testing.T, ss ...string) {
	t.Helper()
	for _, s := range ss {
		for _, tok := range allTokens {
			if strings.Contains(s, tok) {
				t.Errorf("a token appears in %q", s)
			}
		}
	}
}

func errText(err error) string {
	var ce *core.Error
	if errors.As(err, &ce) {
		return fmt.Sprintf("%v|%s|%s", err, ce.Why, ce.Fix)
	}
	return fmt.Sprint(err)
}

var ignoreErr = cmpopts.IgnoreFields(core.Error{}, "Err")

func TestServerVersion(t *testing.T) {
	soon := time.Date(2026, 1, 10, 0, 0, 0, 0, time.UTC)
	now := time.Date(2026, 1, 5, 0, 0, 0, 0, time.UTC)
	tests := []struct {
		name      string
		state     core.ClientState
		env       memory.Env
		setup     func(*memory.ServerAPI)
		server    string
		want      ServerVersionResult
		wantErr   *core.Error
		wantWarns []string
	}{
		{
			name: "named_server", state: twoServers(), server: "Staging.Haloy.com",
			want: ServerVersionResult{Server: "staging.haloy.com", Version: core.VersionResponse{Haloyd: "1.5.0-rc1", TokenName: "staging-ci"},
				TokenSource: "client store HALOY_API_TOKEN_STAGING_HALOY_COM (set in the config directory's .env)"},
		},
		{
			name: "only_server",
			state: core.ClientState{Servers: map[string]core.ServerRef{"prod.haloy.com": {TokenEnv: "HALOY_API_TOKEN_PROD_HALOY_COM"}},
				Tokens: map[string]string{}},
			env: memory.Env{"HALOY_API_TOKEN_PROD_HALOY_COM": prodToken},
			want: ServerVersionResult{Server: "prod.haloy.com", Version: core.VersionResponse{Haloyd: "1.4.0", TokenName: "prod-ci"},
				TokenSource: "client store HALOY_API_TOKEN_PROD_HALOY_COM"},
		},
		{
			name: "several_servers_none_named", state: twoServers(),
			wantErr: &core.Error{Kind: core.Missing, What: "several servers are configured; say which with --server",
				Why: "configured: prod.haloy.com, staging.haloy.com", Fix: "haloy server version --server prod.haloy.com"},
		},
		{
			name: "no_servers", state: core.ClientState{},
			wantErr: &core.Error{Kind: core.Missing, What: "no server is configured", Fix: "haloy server add <server> --token-stdin"},
		},
		{
			name: "unknown_server", state: twoServers(), server: "dev.haloy.com",
			wantErr: &core.Error{Kind: core.NotFound, What: `unknown server "dev.haloy.com"`,
				Why: "configured: prod.haloy.com, staging.haloy.com", Fix: "haloy server list"},
		},
		{
			name: "unconfigured_server_with_fallback", state: core.ClientState{}, server: "prod.haloy.com",
			env: memory.Env{"HALOY_API_TOKEN": prodToken},
			want: ServerVersionResult{Server: "prod.haloy.com", Version: core.VersionResponse{Haloyd: "1.4.0", TokenName: "prod-ci"},
				TokenSource: "fallback HALOY_API_TOKEN"},
		},
		{
			name: "revoked_token", state: twoServers(), server: "prod.haloy.com",
			setup: func(a *memory.ServerAPI) { a.Revoke("prod.haloy.com", prodToken) },
			wantErr: &core.Error{Kind: core.Unauthorized, What: `authentication failed for "prod.haloy.com"`,
				Why: "the token from client store HALOY_API_TOKEN_PROD_HALOY_COM (set in the config directory's .env) was rejected (invalid, revoked or expired)",
				Fix: "on the server: sudo haloyadm api token; then: haloy server add prod.haloy.com --force --token-stdin"},
		},
		{
			name: "rejected_fallback_token", state: core.ClientState{}, server: "prod.haloy.com",
			env: memory.Env{"HALOY_API_TOKEN": stagingToken},
			wantErr: &core.Error{Kind: core.Unauthorized, What: `authentication failed for "prod.haloy.com"`,
				Why: "the token from fallback HALOY_API_TOKEN was rejected (invalid, revoked or expired)",
				Fix: "on the server: sudo haloyadm api token; then: export HALOY_API_TOKEN=<new-token>, or haloy server add prod.haloy.com --token-stdin"},
		},
		{
			name: "token_unset", server: "prod.haloy.com",
			state: core.ClientState{Servers: map[string]core.ServerRef{"prod.haloy.com": {TokenEnv: "HALOY_API_TOKEN_PROD_HALOY_COM"}}},
			wantErr: &core.Error{Kind: core.Missing, What: `no API token for server "prod.haloy.com"`,
				Why: "client.yaml names HALOY_API_TOKEN_PROD_HALOY_COM for it, which is set neither in the environment nor in the config directory's .env",
				Fix: "haloy server add prod.haloy.com --force --token-stdin, or export HALOY_API_TOKEN_PROD_HALOY_COM=<token>"},
		},
		{
			name: "unreachable", state: twoServers(), server: "prod.haloy.com",
			setup: func(a *memory.ServerAPI) {
				a.Add("prod.haloy.com", &memory.Server{Err: &core.Error{Kind: core.Unavailable, What: "cannot reach", Why: "refused"}})
			},
			wantErr: &core.Error{Kind: core.Unavailable, What: "cannot reach", Why: "refused"},
		},
		{
			name: "expiring_token_warns", state: twoServers(), server: "prod.haloy.com",
			setup: func(a *memory.ServerAPI) {
				a.Add("prod.haloy.com", &memory.Server{Version: "1.4.0", Tokens: map[string]string{prodToken: "prod-ci"}, TokenExpiresAt: &soon})
			},
			want: ServerVersionResult{Server: "prod.haloy.com", Version: core.VersionResponse{Haloyd: "1.4.0", TokenName: "prod-ci", TokenExpiresAt: &soon},
				TokenSource: "client store HALOY_API_TOKEN_PROD_HALOY_COM (set in the config directory's .env)"},
			wantWarns: []string{`token "prod-ci" for prod.haloy.com expires in 5 days (2026-01-10); replace it: haloy server rotate prod.haloy.com`},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			api := twoAPIs()
			if tt.setup != nil {
				tt.setup(api)
			}
			env := tt.env
			if env == nil {
				env = memory.Env{}
			}
			notes := &memory.Notes{}
			uc := NewServerVersion(memory.NewClientStore(tt.state), env, api, notes)
			uc.now = func() time.Time { return now }
			got, err := uc.Run(context.Background(), tt.server)
			noTokenIn(t, errText(err), fmt.Sprintf("%+v", got))
			noTokenIn(t, notes.Warnings...)
			if tt.wantErr != nil {
				var ce *core.Error
				if !errors.As(err, &ce) {
					t.Fatalf("Run(%q) error = %v, want %v", tt.server, err, tt.wantErr)
				}
				if diff := cmp.Diff(tt.wantErr, ce, ignoreErr); diff != "" {
					t.Errorf("Run(%q) error mismatch (-want +got):\n%s", tt.server, diff)
				}
				return
			}
			if err != nil {
				t.Fatalf("Run(%q) error = %v, want nil", tt.server, err)
			}
			if diff := cmp.Diff(tt.want, got); diff != "" {
				t.Errorf("Run(%q) mismatch (-want +got):\n%s", tt.server, diff)
			}
			if diff := cmp.Diff(tt.wantWarns, notes.Warnings); diff != "" {
				t.Errorf("Run(%q) warnings mismatch (-want +got):\n%s", tt.server, diff)
			}
		})
	}
}

func TestServerVersionSendsEachServerItsOwnToken(t *testing.T) {
	api := twoAPIs()
	uc := NewServerVersion(memory.NewClientStore(twoServers()), memory.Env{}, api, &memory.Notes{})
	for _, s := range []string{"prod.haloy.com", "staging.haloy.com"} {
		if _, err := uc.Run(context.Background(), s); err != nil {
			t.Fatalf("Run(%q) error = %v", s, err)
		}
	}
	if diff := cmp.Diff([]memory.Call{{Method: "Version", Token: prodToken}}, api.Calls("prod.haloy.com")); diff != "" {
		t.Errorf("prod calls mismatch (-want +got):\n%s", diff)
	}
	if diff := cmp.Diff([]memory.Call{{Method: "Version", Token: stagingToken}}, api.Calls("staging.haloy.com")); diff != "" {
		t.Errorf("staging calls mismatch (-want +got):\n%s", diff)
	}
}

func TestCheckServers(t *testing.T) {
	refused := &core.Error{Kind: core.Unavailable, What: `cannot reach "staging.haloy.com" at https://staging.haloy.com/health`,
		Why: "the connection was refused: nothing listens there", Fix: "start the API on the server (haloyadm serve), and check the port and firewall"}
	okProd := ServerCheck{Server: "prod.haloy.com", URL: "https://prod.haloy.com", Reachable: true, TokenAccepted: true,
		TokenSource: "client store HALOY_API_TOKEN_PROD_HALOY_COM (set in the config directory's .env)", TokenName: "prod-ci", Version: "1.4.0"}
	okStaging := ServerCheck{Server: "staging.haloy.com", URL: "https://staging.haloy.com", Reachable: true, TokenAccepted: true,
		TokenSource: "client store HALOY_API_TOKEN_STAGING_HALOY_COM (set in the config directory's .env)", TokenName: "staging-ci", Version: "1.5.0-rc1"}
	tests := []struct {
		name    string
		state   core.ClientState
		setup   func(*memory.ServerAPI)
		args    []string
		want    []ServerCheck
		wantErr *core.Error
	}{
		{name: "all_ok", state: twoServers(), want: []ServerCheck{okProd, okStaging}},
		{name: "named_one", state: twoServers(), args: []string{"STAGING.haloy.com."}, want: []ServerCheck{okStaging}},
		{name: "named_twice_checked_once", state: twoServers(), args: []string{"prod.haloy.com", "Prod.Haloy.Com"}, want: []ServerCheck{okProd}},
		{
			name: "unknown_named", state: twoServers(), args: []string{"dev.haloy.com"},
			wantErr: &core.Error{Kind: core.NotFound, What: `unknown server "dev.haloy.com"`, Why: "configured: prod.haloy.com, staging.haloy.com", Fix: "haloy server list"},
		},
		{name: "none_configured", state: core.ClientState{},
			wantErr: &core.Error{Kind: core.Missing, What: "no server is configured", Fix: "haloy server add <server> --token-stdin"}},
		{
			name: "one_unreachable", state: twoServers(),
			setup: func(a *memory.ServerAPI) { a.Add("staging.haloy.com", &memory.Server{Err: refused}) },
			want: []ServerCheck{okProd, {Server: "staging.haloy.com", URL: "https://staging.haloy.com",
				TokenSource: okStaging.TokenSource,
				Problem:     refused.Error() + " (hint: " + refused.Fix + ")"}},
			wantErr: &core.Error{Kind: core.Unavailable, What: "1 of 2 servers failed the check: staging.haloy.com", Fix: "see the problem of each server above"},
		},
		{
			name: "one_rejected", state: twoServers(),
			setup: func(a *memory.ServerAPI) { a.Revoke("prod.haloy.com", prodToken) },
			want: []ServerCheck{{Server: "prod.haloy.com", URL: "https://prod.haloy.com", Reachable: true, Version: "1.4.0", TokenSource: okProd.TokenSource,
				Problem: `authentication failed for "prod.haloy.com": the token from client store HALOY_API_TOKEN_PROD_HALOY_COM (set in the config directory's .env) was rejected (invalid, revoked or expired) (hint: on the server: sudo haloyadm api token; then: haloy server add prod.haloy.com --force --token-stdin)`},
				okStaging},
			wantErr: &core.Error{Kind: core.Unauthorized, What: "1 of 2 servers failed the check: prod.haloy.com", Fix: "see the problem of each server above"},
		},
		{
			name:  "no_token_but_reachable",
			state: core.ClientState{Servers: map[string]core.ServerRef{"prod.haloy.com": {TokenEnv: "HALOY_API_TOKEN_PROD_HALOY_COM"}}},
			want: []ServerCheck{{Server: "prod.haloy.com", URL: "https://prod.haloy.com", Reachable: true, Version: "1.4.0",
				Problem: `no API token for server "prod.haloy.com": client.yaml names HALOY_API_TOKEN_PROD_HALOY_COM for it, which is set neither in the environment nor in the config directory's .env (hint: haloy server add prod.haloy.com --force --token-stdin, or export HALOY_API_TOKEN_PROD_HALOY_COM=<token>)`}},
			wantErr: &core.Error{Kind: core.Unavailable, What: "1 of 1 servers failed the check: prod.haloy.com", Fix: "see the problem of each server above"},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			api := twoAPIs()
			if tt.setup != nil {
				tt.setup(api)
			}
			uc := NewCheckServers(memory.NewClientStore(tt.state), memory.Env{}, api)
			got, err := uc.Run(context.Background(), tt.args)
			noTokenIn(t, errText(err), fmt.Sprintf("%+v", got))
			if diff := cmp.Diff(tt.want, got, cmpopts.IgnoreUnexported(ServerCheck{})); diff != "" {
				t.Errorf("Run(%q) mismatch (-want +got):\n%s", tt.args, diff)
			}
			var ce *core.Error
			if tt.wantErr == nil {
				if err != nil {
					t.Errorf("Run(%q) error = %v, want nil", tt.args, err)
				}
				return
			}
			if !errors.As(err, &ce) {
				t.Fatalf("Run(%q) error = %v, want %v", tt.args, err, tt.wantErr)
			}
			if diff := cmp.Diff(tt.wantErr, ce, ignoreErr); diff != "" {
				t.Errorf("Run(%q) error mismatch (-want +got):\n%s", tt.args, diff)
			}
		})
	}
}

// The checks run at once: each server's health call waits for the other's.
func TestCheckServersConcurrent(t *testing.T) {
	api := twoAPIs()
	var arrived sync.WaitGroup
	arrived.Add(2)
	all := make(chan struct{})
	go func() { arrived.Wait(); close(all) }()
	barrier := func(context.Context) {
		arrived.Done()
		select {
		case <-all:
		case <-time.After(5 * time.Second):
		}
	}
	for _, s := range []string{"prod.haloy.com", "staging.haloy.com"} {
		api.Server(s).OnHealth = barrier
	}
	start := time.Now()
	if _, err := NewCheckServers(memory.NewClientStore(twoServers()), memory.Env{}, api).Run(context.Background(), nil); err != nil {
		t.Fatalf("Run() error = %v", err)
	}
	if d := time.Since(start); d > 4*time.Second {
		t.Errorf("Run() took %s: the servers were checked one after the other", d)
	}
}
