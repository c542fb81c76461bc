package main

import (
	"bytes"
	"context"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	"go.uber.org/fx"

	"github.com/haloy-auth/haloy/adapters/configfile"
	"github.com/haloy-auth/haloy/adapters/memory"
	"github.com/haloy-auth/haloy/app"
	"github.com/haloy-auth/haloy/core"
	"github.com/haloy-auth/haloy/ports"
)

// configWorld is the memory state a config command runs against.
type configWorld struct {
	configs memory.AppConfigs
	files   memory.EnvFiles
	client  core.ClientState
	env     memory.Env
	items   map[string]map[string]core.Secret
}

func (w configWorld) wiring() *app.Wiring {
	return &app.Wiring{Adapters: fx.Options(
		fx.Supply(fx.Annotate(w.configs, fx.As(new(ports.AppConfigs)))),
		fx.Supply(fx.Annotate(w.files, fx.As(new(ports.EnvFiles)))),
		fx.Supply(fx.Annotate(memory.NewClientStore(w.client), fx.As(new(ports.ClientStore)))),
		fx.Supply(fx.Annotate(w.env, fx.As(new(ports.Env)))),
		fx.Supply(ports.SecretSources{"onepassword": memory.NewSecrets(w.items)}),
	)}
}

// Secret values of the worlds below: no output may contain them unless the
// user asked with --show-resolved-config.
var cliSecrets = []string{"tok-1p-haloy-api", "tok-env-staging", "tok-literal-value", "tok-store-prod", "tok-prod-env", "db-password-1p"}

var multiTarget = configWorld{
	configs: memory.AppConfigs{"haloy.yaml": {
		TargetConfig:    core.TargetConfig{Name: "my-app", Image: &core.Image{Repository: "my-org/my-app", Tag: "latest"}},
		SecretProviders: core.SecretProviders{"onepassword": {"prod-tokens": {"vault": "Production", "item": "API Tokens"}}},
		Targets: map[string]core.TargetConfig{
			"production": {Server: "prod.haloy.com", APIToken: &core.APITokenConfig{From: &core.ValueFrom{Secret: "onepassword:prod-tokens.haloy-api"}},
				Domains: []core.Domain{{Domain: "my-app.com"}},
				Env:     []core.EnvVar{{Name: "DB_PASSWORD", From: &core.ValueFrom{Secret: "onepassword:prod-tokens:db"}}}},
			"staging": {Server: "staging.haloy.com", APIToken: &core.APITokenConfig{From: &core.ValueFrom{Env: "STAGING_API_TOKEN"}},
				Domains: []core.Domain{{Domain: "staging.my-app.com"}}},
		},
		Lines: map[string]int{"targets.production.server": 14, "targets.production.api_token.from.secret": 17,
			"targets.staging.server": 22, "targets.staging.api_token.from.env": 25},
	}},
	files: memory.EnvFiles{".env.staging": {"STAGING_API_TOKEN": "tok-env-staging"}},
	items: map[string]map[string]core.Secret{"Production/API Tokens": {"haloy-api": "tok-1p-haloy-api", "db": "db-password-1p"}},
}

// cliImage is the image of the worlds whose subject is not the image.
var cliImage = &core.Image{Repository: "ghcr.io/acme/app", Tag: "v1"}

var literal = configWorld{
	configs: memory.AppConfigs{"haloy.yaml": {TargetConfig: core.TargetConfig{Name: "my-app", Server: "api.haloy.dev", Image: cliImage,
		APIToken: &core.APITokenConfig{Value: "tok-literal-value"}}, Lines: map[string]int{"server": 2, "api_token.value": 4}}},
}

var singleServer = configWorld{
	configs: memory.AppConfigs{
		"production.haloy.yaml": {TargetConfig: core.TargetConfig{Name: "my-app", Server: "production.haloy.com", Image: cliImage,
			APIToken: &core.APITokenConfig{From: &core.ValueFrom{Env: "PROD_TOKEN"}}}},
		"app1.haloy.yaml": {TargetConfig: core.TargetConfig{Name: "app1", Image: cliImage}},
	},
	client: core.ClientState{Servers: map[string]core.ServerRef{"shared.haloy.com": {TokenEnv: "HALOY_API_TOKEN_SHARED_HALOY_COM"}},
		Tokens: map[string]string{"HALOY_API_TOKEN_SHARED_HALOY_COM": "tok-store-prod"}},
	env: memory.Env{"PROD_TOKEN": "tok-prod-env"},
}

var broken = configWorld{
	configs: memory.AppConfigs{"haloy.yaml": {
		TargetConfig: core.TargetConfig{Server: "prod.haloy.com:443"},
		Targets: map[string]core.TargetConfig{
			"production": {},
			"staging":    {Server: "staging.haloy.com", APIToken: &core.APITokenConfig{From: &core.ValueFrom{Env: "STAGING_API_TOKEN"}}},
		},
	}},
}

func TestValidateConfigCLI(t *testing.T) {
	tests := []struct {
		name       string
		w          configWorld
		args       []string
		wantCode   int
		wantStdout string
		wantStderr string
	}{
		{
			name: "valid_targets",
			w:    multiTarget,
			args: []string{"validate-config"},
			wantStdout: `target production (app production)
  server  prod.haloy.com (server: in haloy.yaml:14)
  token   1Password Production/API Tokens field haloy-api
  env     DB_PASSWORD: 1Password Production/API Tokens field db
target staging (app staging)
  server  staging.haloy.com (server: in haloy.yaml:22)
  token   from env STAGING_API_TOKEN (set in .env.staging)
haloy.yaml is valid
`,
		},
		{
			name: "one_target_by_flag",
			w:    multiTarget,
			args: []string{"validate-config", "-t", "staging"},
			wantStdout: `target staging (app staging)
  server  staging.haloy.com (server: in haloy.yaml:22)
  token   from env STAGING_API_TOKEN (set in .env.staging)
haloy.yaml is valid
`,
		},
		{
			name: "literal_token_warns",
			w:    literal,
			args: []string{"validate-config"},
			wantStdout: `app my-app
  server  api.haloy.dev (server: in haloy.yaml:2)
  token   literal value in haloy.yaml:4
haloy.yaml is valid
`,
			wantStderr: "haloy: warning: api_token.value in haloy.yaml:4 is a token written into a config file, which is unsafe: " +
				"anyone who can read the file or its repository can deploy with it; use api_token.from.env (the token in the environment or a .env file) " +
				"or api_token.from.secret (a secret provider such as 1Password) instead\n",
		},
		{
			name: "config_flag_file",
			w:    singleServer,
			args: []string{"validate-config", "--config", "production.haloy.yaml"},
			wantStdout: `app my-app
  server  production.haloy.com (server: in production.haloy.yaml)
  token   from env PROD_TOKEN
production.haloy.yaml is valid
`,
		},
		{
			name: "only_server_configured",
			w:    singleServer,
			args: []string{"validate-config", "-c", "app1.haloy.yaml"},
			wantStdout: `app app1
  server  shared.haloy.com (the only server configured (haloy server list); app1.haloy.yaml sets no server:)
  token   client store HALOY_API_TOKEN_SHARED_HALOY_COM (set in the config directory's .env)
app1.haloy.yaml is valid
`,
		},
		{
			name:     "every_problem_exit_2",
			w:        broken,
			args:     []string{"validate-config"},
			wantCode: 2,
			wantStdout: `target production (app production)
  2 problems (below)
target staging (app staging)
  server  staging.haloy.com (server: in haloy.yaml)
  2 problems (below)
`,
			wantStderr: `haloy: error: haloy.yaml is not valid: 4 problems
haloy: error: target "production": no image to deploy for app "production"
haloy: haloy.yaml sets no image.repository
haloy: hint: add to haloy.yaml: image: {repository: ghcr.io/you/production, tag: latest}
haloy: error: target "production": invalid server "prod.haloy.com:443" (server: in haloy.yaml)
haloy: a port is accepted only on a loopback host (localhost, 127.0.0.1, [::1]); haloy reaches a remote server on https's port 443
haloy: hint: write the bare host name in haloy.yaml, e.g. server: production.haloy.com
haloy: error: target "staging": no image to deploy for app "staging"
haloy: haloy.yaml sets no image.repository
haloy: hint: add to haloy.yaml: image: {repository: ghcr.io/you/staging, tag: latest}
haloy: error: target "staging": no API token for server "staging.haloy.com"
haloy: api_token.from.env names STAGING_API_TOKEN (haloy.yaml), which is not set: it is unset or empty in the environment and in every .env file haloy reads
haloy: hint: export STAGING_API_TOKEN=<value>, or add STAGING_API_TOKEN=<value> to .env beside haloy.yaml
`,
		},
		{
			name:     "unknown_target",
			w:        multiTarget,
			args:     []string{"validate-config", "-t", "prod"},
			wantCode: 2,
			wantStderr: `haloy: error: unknown target "prod"
haloy: targets in haloy.yaml: production, staging
haloy: hint: did you mean "production"? use --target production
`,
		},
		{
			name:     "no_config",
			w:        configWorld{configs: memory.AppConfigs{}},
			args:     []string{"validate-config"},
			wantCode: 2,
			wantStderr: `haloy: error: no app config in the current directory
haloy: looked for haloy.json, haloy.yaml, haloy.yml, haloy.toml
haloy: hint: create haloy.yaml there, or pass --config <file> (e.g. --config production.haloy.yaml)
`,
		},
		{
			name:     "target_and_all",
			w:        multiTarget,
			args:     []string{"validate-config", "-t", "staging", "-a"},
			wantCode: 2,
			wantStderr: `haloy: error: --target and --all can't be used together
haloy: hint: run 'haloy validate-config --help' for usage
`,
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var stdout, stderr bytes.Buffer
			code := run(context.Background(), append([]string{"haloy"}, tt.args...), strings.NewReader(""), &stdout, &stderr, tt.w.wiring())
			if code != tt.wantCode {
				t.Errorf("run(%q) = %d, want %d (stderr: %s)", tt.args, code, tt.wantCode, stderr.String())
			}
			if diff := cmp.Diff(tt.wantStdout, stdout.String()); diff != "" {
				t.Errorf("run(%q) stdout mismatch (-want +got):\n%s", tt.args, diff)
			}
			if diff := cmp.Diff(tt.wantStderr, stderr.String()); diff != "" {
				t.Errorf("run(%q) stderr mismatch (-want +got):\n%s", tt.args, diff)
			}
			assertNoSecret(t, tt.args, stdout.String()+stderr.String())
		})
	}
}

func assertNoSecret(t *testing.T, args []string, out string) {
	t.Helper()
	for _, s := range cliSecrets {
		if strings.Contains(out, s) {
			t.Errorf("run(%q) output reveals the secret %q", args, s)
		}
	}
}

func TestValidateConfigShowResolvedConfig(t *testing.T) {
	var stdout, stderr bytes.Buffer
	args := []string{"haloy", "validate-config", "-t", "production", "--show-resolved-config"}
	if code := run(context.Background(), args, strings.NewReader(""), &stdout, &stderr, multiTarget.wiring()); code != 0 {
		t.Fatalf("run(%q) = %d, want 0 (stderr: %s)", args, code, stderr.String())
	}
	wantStdout := `target production (app production)
  server  prod.haloy.com (server: in haloy.yaml:14)
  token   1Password Production/API Tokens field haloy-api
  env     DB_PASSWORD: 1Password Production/API Tokens field db
---
# target production of haloy.yaml; secret values shown
name: production
image:
  repository: my-org/my-app
  tag: latest
  history:
    strategy: local
    count: 6
server: prod.haloy.com
api_token:
  value: tok-1p-haloy-api # 1Password Production/API Tokens field haloy-api
deployment_strategy: rolling
domains:
  - domain: my-app.com
env:
  - name: DB_PASSWORD
    value: db-password-1p # 1Password Production/API Tokens field db
health_check_path: /
min_ready_seconds: 0
port: "8080"
replicas: 1
haloy.yaml is valid
`
	if diff := cmp.Diff(wantStdout, stdout.String()); diff != "" {
		t.Errorf("run(%q) stdout mismatch (-want +got):\n%s", args, diff)
	}
	// the output is itself a config: sources are comments, not keys
	doc := stdout.String()[strings.Index(stdout.String(), "---\n"):strings.LastIndex(stdout.String(), "haloy.yaml is valid")]
	reused, err := configfile.Decode("resolved.yaml", []byte(doc))
	if err != nil {
		t.Fatalf("the resolved config does not load: %v", err)
	}
	if errs := reused.Check(""); len(errs) > 0 || reused.Env[0].Value.Reveal() != "db-password-1p" || reused.APIToken.Value.Reveal() != "tok-1p-haloy-api" {
		t.Errorf("the resolved config reloads as %+v with problems %v", reused.TargetConfig, errs)
	}
	wantStderr := "haloy: warning: --show-resolved-config prints secret values: keep this output out of logs, tickets and chat\n"
	if diff := cmp.Diff(wantStderr, stderr.String()); diff != "" {
		t.Errorf("run(%q) stderr mismatch (-want +got):\n%s", args, diff)
	}
}

func TestConfigFlagsInput(t *testing.T) {
	f := ConfigFlags{Config: "production.haloy.yaml", Target: []string{"a", "b"}, All: false}
	want := app.ResolveInput{Config: "production.haloy.yaml", Targets: []string{"a", "b"}, RequireSingle: true}
	if diff := cmp.Diff(want, f.Input(true)); diff != "" {
		t.Errorf("Input(true) mismatch (-want +got):\n%s", diff)
	}
}

// api_token.from.oidc is shown as its source; validate-config asks neither
// the CI nor the server (its graph has no ServerAPI or CIIdentity), so it
// works outside CI too.
func TestValidateConfigOIDC(t *testing.T) {
	w := configWorld{configs: memory.AppConfigs{"haloy.yaml": {
		TargetConfig: core.TargetConfig{Name: "my-app", Server: "prod.haloy.com", Image: &core.Image{Repository: "my-org/my-app"},
			APIToken: &core.APITokenConfig{From: &core.ValueFrom{OIDC: &core.OIDCSource{Provider: "github"}}}},
		Targets: map[string]core.TargetConfig{
			"gitlab": {APIToken: &core.APITokenConfig{From: &core.ValueFrom{OIDC: &core.OIDCSource{Env: "HALOY_ID_TOKEN"}}}},
			"github": {},
		},
		Lines: map[string]int{"server": 2},
	}}}
	var stdout, stderr bytes.Buffer
	args := []string{"haloy", "validate-config", "-a"}
	code := run(context.Background(), args, strings.NewReader(""), &stdout, &stderr, w.wiring())
	want := `target github (app github)
  server  prod.haloy.com (server: in haloy.yaml:2)
  token   OIDC (GitHub Actions)
target gitlab (app gitlab)
  server  prod.haloy.com (server: in haloy.yaml:2)
  token   OIDC (env HALOY_ID_TOKEN)
haloy.yaml is valid
`
	if code != 0 || stdout.String() != want {
		t.Errorf("run(%q) = %d\n%s\nstderr %s; want 0 and\n%s", args, code, stdout.String(), stderr.String(), want)
	}
}
