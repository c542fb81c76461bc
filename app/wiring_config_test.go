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

// Every secret backend is one entry in the production wiring.
func TestSecretBackendsWired(t *testing.T) {
	var got ports.SecretSources
	notes := fx.Supply(fx.Annotate(&memory.Notes{}, fx.As(new(ports.Notifier))))
	a := fx.New(fx.NopLogger, app.UseCases, app.Adapters, notes, fx.Populate(&got))
	if err := a.Err(); err != nil {
		t.Fatal(err)
	}
	for _, p := range []string{"onepassword", "pass", "bitwarden", "doppler", "aws", "gcp", "vault", "openbao", "age", "exec", "sops"} {
		if _, ok := got[p]; !ok {
			t.Errorf("SecretSources has no %q backend", p)
		}
	}
}
