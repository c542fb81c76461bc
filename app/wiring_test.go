package app

import (
	"testing"

	"go.uber.org/fx"

	"github.com/haloy-auth/haloy/adapters/memory"
	"github.com/haloy-auth/haloy/ports"
)

// validate checks that the production graph of use case UC (each command
// builds one with app.Invoke and a Wiring without Adapters) builds UC and,
// with probe, whatever else the test asks of it.
func validate[UC any](probe any) error {
	var uc UC
	notes := fx.Supply(fx.Annotate(&memory.Notes{}, fx.As(new(ports.Notifier))))
	opts := append(graph(any(uc), &Wiring{}), notes, fx.Invoke(func(UC) {}))
	if probe != nil {
		opts = append(opts, fx.Invoke(probe))
	}
	return fx.ValidateApp(opts...)
}

// Every use case builds from the production adapters of its own areas
// alone: a use case whose areas miss a port fails here, not in a user's
// shell.
func TestCommandGraphs(t *testing.T) {
	tests := []struct {
		name string
		err  error
	}{
		{"add_server", validate[*AddServer](nil)},
		{"list_servers", validate[*ListServers](nil)},
		{"delete_server", validate[*DeleteServer](nil)},
		{"init_server", validate[*InitServer](nil)},
		{"create_token", validate[*CreateToken](nil)},
		{"list_tokens", validate[*ListTokens](nil)},
		{"revoke_token", validate[*RevokeToken](nil)},
		{"prune_tokens", validate[*PruneTokens](nil)},
		{"serve", validate[*Serve](nil)},
		{"resolve", validate[*Resolve](nil)},
		{"validate_config", validate[*ValidateConfig](nil)},
		{"check_secrets", validate[*CheckSecrets](nil)},
		{"server_version", validate[*ServerVersion](nil)},
		{"check_servers", validate[*CheckServers](nil)},
		{"verify_server", validate[*VerifyServer](nil)},
		{"deploy", validate[*Deploy](nil)},
		{"status", validate[*Status](nil)},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if tt.err != nil {
				t.Errorf("fx.ValidateApp(graph) = %v, want nil", tt.err)
			}
		})
	}
}

// A command's graph holds only what its use case needs: the client's
// commands do not register the server's token database or HTTP server,
// and haloyadm's do not register the client's store.
func TestCommandGraphsAreSmall(t *testing.T) {
	tests := []struct {
		name string
		err  error
	}{
		{"list_servers_without_token_store", validate[*ListServers](func(ports.TokenStore) {})},
		{"list_servers_without_app_configs", validate[*ListServers](func(ports.AppConfigs) {})},
		{"list_servers_without_server_api", validate[*ListServers](func(ports.ServerAPI) {})},
		{"validate_config_without_server_api", validate[*ValidateConfig](func(ports.ServerAPI) {})},
		{"validate_config_without_api_server", validate[*ValidateConfig](func(ports.APIServer) {})},
		{"check_secrets_without_client_store", validate[*CheckSecrets](func(ports.ClientStore) {})},
		{"create_token_without_client_store", validate[*CreateToken](func(ports.ClientStore) {})},
		{"prune_tokens_without_client_store", validate[*PruneTokens](func(ports.ClientStore) {})},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if tt.err == nil {
				t.Errorf("fx.ValidateApp(graph) = nil, want an error for a port outside the command's areas")
			}
		})
	}
}

// A use case that areasOf does not know gets every area, so that it still
// builds (only more slowly).
func TestUnknownUseCaseGetsEveryArea(t *testing.T) {
	type unknown struct{}
	if got, want := len(areasOf((*unknown)(nil))), len(allAreas); got != want {
		t.Errorf("len(areasOf(unknown)) = %d, want %d", got, want)
	}
}
