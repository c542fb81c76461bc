package main

import (
	"bytes"
	"context"
	"encoding/json"
	"regexp"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	"go.uber.org/fx"

	"github.com/haloy-auth/haloy/adapters/memory"
	"github.com/haloy-auth/haloy/app"
	"github.com/haloy-auth/haloy/core"
	"github.com/haloy-auth/haloy/internal/leakscan"
	"github.com/haloy-auth/haloy/ports"
)

// secretsWorld is a config whose two targets reference two 1Password
// items (one of them twice) and a source that is not declared.
func secretsWorld(signedOut bool, items map[string]map[string]core.Secret) *app.Wiring {
	cfg := core.AppConfig{
		TargetConfig: core.TargetConfig{Name: "my-app",
			Env: []core.EnvVar{{Name: "DB_PASSWORD", From: &core.ValueFrom{Secret: "onepassword:app:db"}}}},
		SecretProviders: core.SecretProviders{"onepassword": {
			"prod-tokens": {"vault": "Production", "item": "API Tokens"},
			"app":         {"vault": "Production", "item": "App"},
		}},
		Targets: map[string]core.TargetConfig{
			"production": {Server: "prod.haloy.com", APIToken: &core.APITokenConfig{From: &core.ValueFrom{Secret: "onepassword:prod-tokens:haloy-api"}}},
			"staging":    {Server: "staging.haloy.com", APIToken: &core.APITokenConfig{From: &core.ValueFrom{Secret: "onepassword:prod-tokens:staging"}}},
		},
		Lines: map[string]int{"env.0": 5, "targets.production.api_token.from.secret": 14, "targets.staging.api_token.from.secret": 20},
	}
	s := memory.NewSecrets(items)
	s.SignedOut = signedOut
	return &app.Wiring{Adapters: fx.Options(
		fx.Supply(fx.Annotate(memory.AppConfigs{"haloy.yaml": cfg}, fx.As(new(ports.AppConfigs)))),
		fx.Supply(fx.Annotate(memory.Env{}, fx.As(new(ports.Env)))),
		fx.Supply(ports.SecretSources{"onepassword": s}),
	)}
}

var secretsItems = map[string]map[string]core.Secret{
	"Production/API Tokens": {"haloy-api": "tok-1p-haloy-api-0001", "staging": "tok-1p-staging-0002"},
	"Production/App":        {"db": "db-password-1p-0003", "empty": ""},
}

// durations vary; the tests compare everything else.
var durations = regexp.MustCompile(`\((\d+(\.\d+)?(ns|µs|ms|s)|0s)\)`)

func TestSecretsCheckCLI(t *testing.T) {
	missingKey := map[string]map[string]core.Secret{
		"Production/API Tokens": {"haloy-api": "tok-1p-haloy-api-0001", "stagin": "tok-1p-staging-0002"},
		"Production/App":        secretsItems["Production/App"],
	}
	noItem := map[string]map[string]core.Secret{"Production/API Tokens": secretsItems["Production/API Tokens"]}
	tests := []struct {
		name       string
		w          *app.Wiring
		args       []string
		wantCode   int
		wantStdout string
		wantStderr string
	}{
		{"all_resolve", secretsWorld(false, secretsItems), []string{"secrets", "check"}, 0,
			`onepassword:app  1Password Production/App  ok (D)
  resolves  db (haloy.yaml:5)
onepassword:prod-tokens  1Password Production/API Tokens  ok (D)
  resolves  haloy-api (haloy.yaml:14)
  resolves  staging (haloy.yaml:20)
`, ""},
		{"one_target", secretsWorld(false, secretsItems), []string{"secrets", "check", "-t", "staging"}, 0,
			`onepassword:app  1Password Production/App  ok (D)
  resolves  db (haloy.yaml:5)
onepassword:prod-tokens  1Password Production/API Tokens  ok (D)
  resolves  staging (haloy.yaml:20)
`, ""},
		{"key_missing", secretsWorld(false, missingKey), []string{"secrets", "check"}, 2,
			`onepassword:app  1Password Production/App  ok (D)
  resolves  db (haloy.yaml:5)
onepassword:prod-tokens  1Password Production/API Tokens  ok (D)
  resolves  haloy-api (haloy.yaml:14)
  missing   staging (haloy.yaml:20)
`, `haloy: error: 1 secret reference in haloy.yaml does not resolve: onepassword:prod-tokens:staging
haloy: error: key "staging" not found in 1Password Production/API Tokens (haloy.yaml:20)
haloy: its keys: haloy-api, stagin
haloy: hint: did you mean "onepassword:prod-tokens:stagin"?
`},
		{"item_missing", secretsWorld(false, noItem), []string{"secrets", "check", "-t", "production"}, 2,
			`onepassword:app  1Password Production/App  not found (D)
  missing   db (haloy.yaml:5)
onepassword:prod-tokens  1Password Production/API Tokens  ok (D)
  resolves  haloy-api (haloy.yaml:14)
`, `haloy: error: 1 secret reference in haloy.yaml does not resolve: onepassword:app:db
haloy: error: 1Password item "App" not found in vault "Production"
haloy: "App" isn't an item in the "Production" vault.
haloy: hint: op item list --vault "Production" shows the item names; fix item: in secret_providers
`},
		{"signed_out", secretsWorld(true, secretsItems), []string{"secrets", "check", "-t", "production"}, 1,
			`onepassword:app  1Password Production/App  unreachable (D)
  unknown   db (haloy.yaml:5)
onepassword:prod-tokens  1Password Production/API Tokens  unreachable (D)
  unknown   haloy-api (haloy.yaml:14)
`, `haloy: error: 2 secret sources cannot be read: onepassword:app, onepassword:prod-tokens
haloy: error: cannot read 1Password Production/App
haloy: you are not signed in to 1Password (You are not currently signed in.)
haloy: hint: run 'eval $(op signin)' (or set OP_SERVICE_ACCOUNT_TOKEN in CI), then run the command again
haloy: error: cannot read 1Password Production/API Tokens
haloy: you are not signed in to 1Password (You are not currently signed in.)
haloy: hint: run 'eval $(op signin)' (or set OP_SERVICE_ACCOUNT_TOKEN in CI), then run the command again
`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			scan := leakscan.New(t)
			for _, fields := range secretsItems {
				for k, v := range fields {
					scan.Secret(k, v.Reveal())
				}
			}
			var stdout, stderr bytes.Buffer
			code := run(context.Background(), append([]string{"haloy"}, tt.args...), strings.NewReader(""), &stdout, &stderr, tt.w)
			scan.Output("stdout", stdout.Bytes())
			scan.Output("stderr", stderr.Bytes())
			if code != tt.wantCode {
				t.Errorf("haloy %v exit code = %d, want %d\nstderr:\n%s", tt.args, code, tt.wantCode, stderr.String())
			}
			if diff := cmp.Diff(tt.wantStdout, durations.ReplaceAllString(stdout.String(), "(D)")); diff != "" {
				t.Errorf("haloy %v stdout mismatch (-want +got):\n%s", tt.args, diff)
			}
			if diff := cmp.Diff(tt.wantStderr, stderr.String()); diff != "" {
				t.Errorf("haloy %v stderr mismatch (-want +got):\n%s", tt.args, diff)
			}
		})
	}
}

func TestSecretsCheckJSON(t *testing.T) {
	var stdout, stderr bytes.Buffer
	items := map[string]map[string]core.Secret{"Production/API Tokens": secretsItems["Production/API Tokens"]}
	code := run(context.Background(), []string{"haloy", "secrets", "check", "--json"}, strings.NewReader(""), &stdout, &stderr, secretsWorld(false, items))
	if code != 2 {
		t.Errorf("exit code = %d, want 2", code)
	}
	var got struct {
		File    string `json:"file"`
		OK      bool   `json:"ok"`
		Sources []struct {
			Reference string `json:"reference"`
			Status    string `json:"status"`
			Reachable bool   `json:"reachable"`
			Keys      []struct {
				Key      string   `json:"key"`
				Resolves bool     `json:"resolves"`
				Where    []string `json:"where"`
			} `json:"keys"`
			Error *struct{ What, Why, Fix string } `json:"error"`
		} `json:"sources"`
	}
	if err := json.Unmarshal(stdout.Bytes(), &got); err != nil {
		t.Fatalf("--json output is not JSON: %v\n%s", err, stdout.String())
	}
	if got.File != "haloy.yaml" || got.OK || len(got.Sources) != 2 {
		t.Fatalf("--json = %+v, want haloy.yaml, not ok, 2 sources", got)
	}
	app, tokens := got.Sources[0], got.Sources[1]
	if app.Reference != "onepassword:app" || app.Status != "not_found" || !app.Reachable || app.Error == nil || app.Keys[0].Resolves {
		t.Errorf("--json source 0 = %+v, want onepassword:app not_found, reachable, with its error", app)
	}
	if tokens.Reference != "onepassword:prod-tokens" || tokens.Status != "ok" || len(tokens.Keys) != 2 || !tokens.Keys[0].Resolves ||
		tokens.Keys[1].Where[0] != "haloy.yaml:20" {
		t.Errorf("--json source 1 = %+v, want onepassword:prod-tokens ok with 2 resolving keys", tokens)
	}
	for _, fields := range secretsItems {
		for _, v := range fields {
			if v != "" && strings.Contains(stdout.String()+stderr.String(), v.Reveal()) {
				t.Errorf("--json output reveals a secret value")
			}
		}
	}
}
