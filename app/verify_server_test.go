package app

import (
	"context"
	"errors"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/haloy-auth/haloy/adapters/memory"
	"github.com/haloy-auth/haloy/core"
)

func TestVerifyServer(t *testing.T) {
	refused := &core.Error{Kind: core.Unavailable, What: `cannot reach "prod.haloy.com" at https://prod.haloy.com/health`,
		Why: "the connection was refused: nothing listens there", Fix: "start the API on the server (haloyadm serve), and check the port and firewall"}
	tests := []struct {
		name      string
		state     core.ClientState
		setup     func(*memory.ServerAPI)
		in        core.AddServer
		want      core.VersionResponse
		wantErr   *core.Error
		wantCalls []memory.Call // on prod.haloy.com
		wantCA    string
	}{
		{
			name: "accepted", state: core.ClientState{}, in: core.AddServer{Server: "Prod.Haloy.com", Token: prodToken},
			want:      core.VersionResponse{Haloyd: "1.4.0", TokenName: "prod-ci"},
			wantCalls: []memory.Call{{Method: "Health"}, {Method: "Version", Token: prodToken}},
		},
		{
			name: "rejected", state: core.ClientState{}, in: core.AddServer{Server: "prod.haloy.com", Token: stagingToken},
			wantErr: &core.Error{Kind: core.Unauthorized, What: `not added: authentication failed for "prod.haloy.com"`,
				Why: "the token from your input was rejected (invalid, revoked or expired)",
				Fix: "on the server: sudo haloyadm api token; then: haloy server add prod.haloy.com --verify --token-stdin"},
			wantCalls: []memory.Call{{Method: "Health"}, {Method: "Version", Token: stagingToken}},
		},
		{
			name: "unreachable", state: core.ClientState{}, in: core.AddServer{Server: "prod.haloy.com", Token: prodToken},
			setup:     func(a *memory.ServerAPI) { a.Server("prod.haloy.com").Err = refused },
			wantErr:   &core.Error{Kind: core.Unavailable, What: "not added: " + refused.What, Why: refused.Why, Fix: refused.Fix},
			wantCalls: []memory.Call{{Method: "Health"}},
		},
		{
			name: "exists_without_force_makes_no_call", state: twoServers(), in: core.AddServer{Server: "prod.haloy.com", Token: prodToken},
			wantErr: &core.Error{Kind: core.Conflict, What: `server "prod.haloy.com" is already configured`,
				Why: "its token is in HALOY_API_TOKEN_PROD_HALOY_COM; nothing was changed",
				Fix: "to replace its token: haloy server add prod.haloy.com --force --token-stdin"},
		},
		{
			name: "missing_ca_file_makes_no_call", state: core.ClientState{}, in: core.AddServer{Server: "prod.haloy.com", Token: prodToken, CACert: "nope.pem"},
			wantErr: &core.Error{Kind: core.NotFound, What: `no CA certificate file "nope.pem"`, Why: "nope.pem does not exist",
				Fix: "give the path of the PEM file that holds your server's CA certificate"},
		},
		{
			name: "placeholder_token_makes_no_call", state: core.ClientState{}, in: core.AddServer{Server: "prod.haloy.com", Token: "<token>"},
		},
		{
			name: "force_keeps_the_stored_ca", state: twoServers(), in: core.AddServer{Server: "staging.haloy.com", Token: stagingToken, Force: true},
			want:   core.VersionResponse{Haloyd: "1.5.0-rc1", TokenName: "staging-ci"},
			wantCA: "/etc/haloy-ca.pem",
		},
		{
			name: "new_ca_is_used", state: twoServers(), in: core.AddServer{Server: "staging.haloy.com", Token: stagingToken, Force: true, CACert: "new-ca.pem"},
			want:   core.VersionResponse{Haloyd: "1.5.0-rc1", TokenName: "staging-ci"},
			wantCA: "/tmp/new-ca.pem",
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			api := twoAPIs()
			if tt.setup != nil {
				tt.setup(api)
			}
			rec := &caRecorder{ServerAPI: api}
			store := memory.NewClientStore(tt.state)
			got, err := NewVerifyServer(store, memory.CACerts{"new-ca.pem": "/tmp/new-ca.pem"}, rec).Run(context.Background(), tt.in)
			noTokenIn(t, errText(err))
			switch {
			case tt.wantErr != nil:
				var ce *core.Error
				if !errors.As(err, &ce) {
					t.Fatalf("Run() error = %v, want %v", err, tt.wantErr)
				}
				if diff := cmp.Diff(tt.wantErr, ce, ignoreErr); diff != "" {
					t.Errorf("Run() error mismatch (-want +got):\n%s", diff)
				}
			case tt.want.Haloyd == "" && tt.want.TokenName == "":
				if err == nil {
					t.Errorf("Run() error = nil, want one")
				}
			default:
				if err != nil {
					t.Fatalf("Run() error = %v", err)
				}
				if diff := cmp.Diff(tt.want, got); diff != "" {
					t.Errorf("Run() mismatch (-want +got):\n%s", diff)
				}
			}
			if diff := cmp.Diff(tt.wantCalls, api.Calls("prod.haloy.com")); diff != "" {
				t.Errorf("prod calls mismatch (-want +got):\n%s", diff)
			}
			if tt.wantCA != "" && rec.ca != tt.wantCA {
				t.Errorf("CA used = %q, want %q", rec.ca, tt.wantCA)
			}
			// verifying never writes: the store is as it was
			after, _ := store.Load(context.Background())
			before := memory.NewClientStore(tt.state)
			want, _ := before.Load(context.Background())
			if diff := cmp.Diff(want, after); diff != "" {
				t.Errorf("store changed (-before +after):\n%s", diff)
			}
		})
	}
}

// caRecorder notes the CA file of the last version call.
type caRecorder struct {
	*memory.ServerAPI
	ca string
}

func (r *caRecorder) Version(ctx context.Context, ep core.Endpoint) (core.VersionResponse, error) {
	r.ca = ep.CACert
	return r.ServerAPI.Version(ctx, ep)
}
