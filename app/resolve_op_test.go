package app

import (
	"context"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/haloy-auth/haloy/adapters/memory"
	"github.com/haloy-auth/haloy/adapters/onepassword"
	"github.com/haloy-auth/haloy/adapters/porttest"
	"github.com/haloy-auth/haloy/core"
	"github.com/haloy-auth/haloy/ports"
)

// With the real 1Password adapter and a fake op: three targets and an env
// entry point into two items, and op runs once per item, with no secret
// in its argv.
func TestResolveRunsOpOncePerItem(t *testing.T) {
	op := porttest.NewFakeOp(t, porttest.SecretItems{
		"Infrastructure/Haloy API Tokens": {"production": "tok-op-production", "staging": "tok-op-staging"},
		"Production/API Tokens":           {"haloy-api": "tok-op-haloy-api"},
	})
	configs := memory.AppConfigs{"haloy.yaml": {
		TargetConfig: core.TargetConfig{Name: "my-app", Image: &core.Image{Repository: "ghcr.io/acme/app"},
			Env: []core.EnvVar{{Name: "K", From: &core.ValueFrom{Secret: "onepassword:api-tokens:staging"}}}},
		SecretProviders: core.SecretProviders{"onepassword": {
			"api-tokens":  {"vault": "Infrastructure", "item": "Haloy API Tokens"},
			"prod-tokens": {"vault": "Production", "item": "API Tokens"},
		}},
		Targets: map[string]core.TargetConfig{
			"production": {Server: "prod.haloy.com", APIToken: fromSecret("onepassword:api-tokens.production")},
			"staging":    {Server: "staging.haloy.com", APIToken: fromSecret("onepassword:api-tokens:staging")},
			"other":      {Server: "other.haloy.com", APIToken: fromSecret("onepassword:prod-tokens:haloy-api")},
		},
	}}
	uc := NewResolve(configs, memory.EnvFiles{}, memory.NewClientStore(core.ClientState{}), memory.Env{},
		ports.SecretSources{"onepassword": onepassword.NewAt(op.Bin, 10*time.Second)}, &memory.Notes{})
	res, err := uc.Run(context.Background(), ResolveInput{All: true})
	if err != nil {
		t.Fatal(err)
	}
	if err := res.Err(); err != nil {
		t.Fatalf("Run().Err() = %v", err)
	}
	got := map[string]string{}
	for _, tg := range res.Targets {
		got[tg.Target] = tg.Token.Reveal()
	}
	want := map[string]string{"production": "tok-op-production", "staging": "tok-op-staging", "other": "tok-op-haloy-api"}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("tokens mismatch (-want +got):\n%s", diff)
	}
	calls := op.Calls(t)
	perItem := map[string]int{}
	for _, c := range calls {
		perItem[c[4]+"/"+c[2]]++
		for _, a := range c {
			if len(a) > 4 && a[:4] == "tok-" {
				t.Errorf("op argv %q holds a secret", c)
			}
		}
	}
	if diff := cmp.Diff(map[string]int{"Infrastructure/Haloy API Tokens": 1, "Production/API Tokens": 1}, perItem); diff != "" {
		t.Errorf("op calls per item mismatch (-want +got):\n%s", diff)
	}
}
