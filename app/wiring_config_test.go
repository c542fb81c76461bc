package app_test

import (
	"testing"

	"go.uber.org/fx"

	"github.com/haloy-auth/haloy/adapters/memory"
	"github.com/haloy-auth/haloy/app"
	"github.com/haloy-auth/haloy/ports"
)

func TestConfigWiring(t *testing.T) {
	notes := fx.Supply(fx.Annotate(&memory.Notes{}, fx.As(new(ports.Notifier))))
	if err := fx.ValidateApp(fx.NopLogger, app.UseCases, app.Adapters, notes,
		fx.Invoke(func(*app.Resolve, *app.ValidateConfig) {})); err != nil {
		t.Errorf("fx.ValidateApp(...) = %v, want nil", err)
	}
}
