package app_test

import (
	"testing"

	"go.uber.org/fx"

	"github.com/haloy-auth/haloy/adapters/memory"
	"github.com/haloy-auth/haloy/app"
	"github.com/haloy-auth/haloy/ports"
)

// The production graph builds every use case of the client's calls to servers.
func TestNetWiring(t *testing.T) {
	notes := fx.Supply(fx.Annotate(&memory.Notes{}, fx.As(new(ports.Notifier))))
	err := fx.ValidateApp(fx.NopLogger, app.UseCases, app.Adapters, notes,
		fx.Invoke(func(*app.ServerVersion, *app.CheckServers, *app.Deploy, *app.Status, *app.VerifyServer) {}))
	if err != nil {
		t.Errorf("fx.ValidateApp(...) = %v, want nil", err)
	}
}
