package app

import (
	"context"
	"errors"
	"slices"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/haloy-auth/haloy/adapters/memory"
	"github.com/haloy-auth/haloy/core"
)

// staleToken is a token the server no longer accepts.
const staleToken = "haloy_STALEtoken0000000000000000000000000000000000"

// The config directory's .env.local, which Haloy's client reads over its
// .env, is read here too: below the process environment and above .env,
// for the server's variable, HALOY_API_TOKEN and from.env alike. Haloy
// never writes it, so rotation refuses a token kept there, and adding a
// token it hides says so.
func TestConfigDirEnvLocal(t *testing.T) {
	withLocal := func(local map[string]string) core.ClientState {
		st := twoServers()
		st.Tokens["HALOY_API_TOKEN_STAGING_HALOY_COM"] = staleToken
		st.Local = local
		return st
	}
	ctx := context.Background()

	t.Run("over_env", func(t *testing.T) {
		st := withLocal(map[string]string{"HALOY_API_TOKEN_STAGING_HALOY_COM": stagingToken})
		got, err := NewServerVersion(memory.NewClientStore(st), memory.Env{}, twoAPIs(), &memory.Notes{}).Run(ctx, "staging.haloy.com")
		if err != nil {
			t.Fatalf("Run() error = %v", err)
		}
		if want := "client store HALOY_API_TOKEN_STAGING_HALOY_COM (set in the config directory's .env.local)"; got.TokenSource != want {
			t.Errorf("token source = %q, want %q", got.TokenSource, want)
		}
	})
	t.Run("rejected", func(t *testing.T) {
		// the fix replaces the token where it is: .env.local, not .env
		st := withLocal(map[string]string{"HALOY_API_TOKEN_STAGING_HALOY_COM": staleToken})
		_, err := NewServerVersion(memory.NewClientStore(st), memory.Env{}, twoAPIs(), &memory.Notes{}).Run(ctx, "staging.haloy.com")
		var ce *core.Error
		if !errors.As(err, &ce) || !strings.Contains(ce.Fix, "put HALOY_API_TOKEN_STAGING_HALOY_COM=<new-token> in .env.local in haloy's config directory") {
			t.Errorf("Run() error = %v, want a fix that replaces the token in .env.local", err)
		}
		w := newDeployWorld()
		cfg := w.configs["haloy.yaml"]
		cfg.Targets["staging"] = core.TargetConfig{Server: "staging.haloy.com"}
		w.client = withLocal(map[string]string{"HALOY_API_TOKEN_STAGING_HALOY_COM": staleToken})
		uc, _ := w.deploy()
		_, err = uc.Run(ctx, DeployInput{Targets: []string{"staging"}})
		if !errors.As(err, &ce) || !strings.Contains(ce.Fix, "put HALOY_API_TOKEN_STAGING_HALOY_COM=<new-token> in .env.local in haloy's config directory") {
			t.Errorf("deploy error = %v, want a fix that replaces the token in .env.local", err)
		}
	})
	t.Run("under_environment", func(t *testing.T) {
		st := withLocal(map[string]string{"HALOY_API_TOKEN_STAGING_HALOY_COM": staleToken})
		env := memory.Env{"HALOY_API_TOKEN_STAGING_HALOY_COM": stagingToken}
		got, err := NewServerVersion(memory.NewClientStore(st), env, twoAPIs(), &memory.Notes{}).Run(ctx, "staging.haloy.com")
		if err != nil || got.TokenSource != "client store HALOY_API_TOKEN_STAGING_HALOY_COM" {
			t.Errorf("Run() = %q, %v; want the exported token", got.TokenSource, err)
		}
	})
	t.Run("fallback", func(t *testing.T) {
		st := core.ClientState{Local: map[string]string{core.HaloyAPITokenEnv: prodToken}}
		got, err := NewServerVersion(memory.NewClientStore(st), memory.Env{}, twoAPIs(), &memory.Notes{}).Run(ctx, "prod.haloy.com")
		if err != nil || got.TokenSource != "fallback HALOY_API_TOKEN (set in the config directory's .env.local)" {
			t.Errorf("Run() = %q, %v; want HALOY_API_TOKEN from .env.local", got.TokenSource, err)
		}
	})
	t.Run("from_env_when_deploying", func(t *testing.T) {
		w := newDeployWorld()
		w.env = memory.Env{}
		w.client = core.ClientState{Local: map[string]string{"STAGING_API_TOKEN": stagingToken}}
		uc, _ := w.deploy()
		got, err := uc.Run(ctx, DeployInput{Targets: []string{"staging"}})
		if err != nil || len(got.Targets) != 1 || got.Targets[0].State != Deployed {
			t.Fatalf("Run() = %+v, %v; want staging deployed with .env.local's token", got, err)
		}
	})
	t.Run("list", func(t *testing.T) {
		st := withLocal(map[string]string{"HALOY_API_TOKEN_STAGING_HALOY_COM": stagingToken, "HALOY_API_TOKEN_PROD_HALOY_COM": ""})
		got, err := NewListServers(memory.NewClientStore(st), memory.Env{}).Run(ctx)
		if err != nil {
			t.Fatal(err)
		}
		var sources []string
		for _, e := range got {
			sources = append(sources, e.Server+": "+e.TokenSource)
		}
		// an empty value is unset: prod's token is .env's
		want := []string{"prod.haloy.com: " + TokenInConfigEnv, "staging.haloy.com: " + TokenInConfigLocal}
		if diff := cmp.Diff(want, sources); diff != "" {
			t.Errorf("token sources mismatch (-want +got):\n%s", diff)
		}
	})
	t.Run("rotate_refused", func(t *testing.T) {
		st := withLocal(map[string]string{"HALOY_API_TOKEN_STAGING_HALOY_COM": stagingToken})
		store := memory.NewClientStore(st)
		api := twoAPIs()
		_, err := NewRotateServer(store, memory.Env{}, api, api).Run(ctx, []string{"staging.haloy.com"}, false)
		want := &core.Error{Kind: core.Invalid, What: `cannot rotate the token of "staging.haloy.com"`,
			Why: "HALOY_API_TOKEN_STAGING_HALOY_COM is set in the config directory's .env.local, which haloy reads (as Haloy does) but never writes, and which overrides .env, where haloy keeps tokens",
			Fix: "move the line HALOY_API_TOKEN_STAGING_HALOY_COM=... from .env.local to .env in haloy's config directory ($HALOY_CONFIG_DIR, else ~/.config/haloy), then run the command again"}
		var got *core.Error
		if !errors.As(err, &got) {
			t.Fatalf("Run() error = %v, want %v", err, want)
		}
		if diff := cmp.Diff(want, got); diff != "" {
			t.Errorf("Run() error mismatch (-want +got):\n%s", diff)
		}
		if store.Writes() != 0 || slices.ContainsFunc(api.Calls("staging.haloy.com"), func(c memory.Call) bool { return c.Method != "Version" }) {
			t.Errorf("a refused rotation wrote %d times and called %v", store.Writes(), api.Calls("staging.haloy.com"))
		}
	})
	t.Run("add_shadowed", func(t *testing.T) {
		for _, tt := range []struct {
			name   string
			local  map[string]string
			env    memory.Env
			shadow string
		}{
			{"by_env_local", map[string]string{"HALOY_API_TOKEN_STAGING_HALOY_COM": staleToken}, memory.Env{}, "the config directory's .env.local"},
			{"by_environment", nil, memory.Env{"HALOY_API_TOKEN_STAGING_HALOY_COM": staleToken}, "the environment"},
			{"same_token", map[string]string{"HALOY_API_TOKEN_STAGING_HALOY_COM": stagingToken}, memory.Env{}, ""},
			{"empty_is_unset", map[string]string{"HALOY_API_TOKEN_STAGING_HALOY_COM": ""}, memory.Env{"HALOY_API_TOKEN_STAGING_HALOY_COM": ""}, ""},
		} {
			st := withLocal(tt.local)
			got, err := NewAddServer(memory.NewClientStore(st), memory.CACerts{}, tt.env).Run(ctx,
				core.AddServer{Server: "staging.haloy.com", Token: stagingToken, Force: true})
			if err != nil || got.ShadowedBy != tt.shadow {
				t.Errorf("%s: Run() = %+v, %v; want ShadowedBy %q", tt.name, got, err, tt.shadow)
			}
		}
	})
}
