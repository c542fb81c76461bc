package app

import (
	"context"
	"testing"

	"github.com/google/go-cmp/cmp"
	"go.uber.org/fx"

	"github.com/haloy-auth/haloy/adapters/memory"
	"github.com/haloy-auth/haloy/core"
	"github.com/haloy-auth/haloy/ports"
)

// The wiring makes every server call say what it waits for, so that the
// spinner shows it (issue 16), without the use cases knowing.
func TestWiringWaitsOnServerCalls(t *testing.T) {
	notes := &memory.Notes{}
	w := &Wiring{Adapters: fx.Options(
		fx.Supply(fx.Annotate(memory.NewClientStore(twoServers()), fx.As(new(ports.ClientStore)))),
		fx.Supply(fx.Annotate(memory.Env{}, fx.As(new(ports.Env)))),
		fx.Supply(fx.Annotate(twoAPIs(), fx.As(new(ports.ServerAPI)))),
	)}
	extra := fx.Supply(fx.Annotate(notes, fx.As(new(ports.Notifier))))
	err := Invoke(context.Background(), w, extra, func(ctx context.Context, uc *CheckServers) error {
		_, err := uc.Run(ctx, []string{"prod.haloy.com"})
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	want := []string{"waiting for prod.haloy.com", "waiting for prod.haloy.com"} // /health, then /v1/version
	if diff := cmp.Diff(want, notes.Waits); diff != "" || notes.Pending != 0 {
		t.Errorf("waits mismatch (-want +got):\n%s\npending %d, want 0", diff, notes.Pending)
	}
}

// Secret fetches say which item they ask for.
func TestWiringWaitsOnSecrets(t *testing.T) {
	notes := &memory.Notes{}
	src := memory.NewSecrets(map[string]map[string]core.Secret{"Production/API Tokens": {"haloy-api": "tok-1p"}})
	extra := fx.Options(
		fx.Supply(fx.Annotate(notes, fx.As(new(ports.Notifier)))),
		fx.Supply(ports.SecretSources{"onepassword": src}),
		fx.Invoke(func(s ports.SecretSources) error {
			_, err := s["onepassword"].Fields(context.Background(), core.SecretSourceRef{Provider: "onepassword", Name: "prod",
				Settings: map[string]string{"vault": "Production", "item": "API Tokens"}})
			return err
		}),
	)
	app := fx.New(append(graph((*ValidateConfig)(nil), &Wiring{Adapters: fx.Options(
		fx.Supply(fx.Annotate(memory.AppConfigs{}, fx.As(new(ports.AppConfigs)))),
		fx.Supply(fx.Annotate(memory.EnvFiles{}, fx.As(new(ports.EnvFiles)))),
		fx.Supply(fx.Annotate(memory.NewClientStore(core.ClientState{}), fx.As(new(ports.ClientStore)))),
		fx.Supply(fx.Annotate(memory.Env{}, fx.As(new(ports.Env)))),
	)}), extra)...)
	if err := app.Err(); err != nil {
		t.Fatal(err)
	}
	if len(notes.Waits) != 1 || notes.Waits[0][:7] != "asking " || notes.Pending != 0 {
		t.Errorf("waits = %q (pending %d), want one \"asking ...\"", notes.Waits, notes.Pending)
	}
}
