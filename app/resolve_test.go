package app

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"

	"github.com/haloy-auth/haloy/adapters/memory"
	"github.com/haloy-auth/haloy/core"
	"github.com/haloy-auth/haloy/ports"
)

// world is the memory state one resolution runs against.
type world struct {
	configs memory.AppConfigs
	files   memory.EnvFiles
	client  core.ClientState
	env     memory.Env
	items   map[string]map[string]core.Secret
}

type harness struct {
	uc      *Resolve
	notes   *memory.Notes
	secrets *memory.Secrets
}

func (w world) build() harness {
	// These scenarios are about servers, tokens and env values: a config
	// that names no image gets one, so that "no image to deploy" does not
	// show in each of them (TestResolveNoImage covers it).
	for p, c := range w.configs {
		if c.Image == nil && c.ImageKey == "" && c.Images == nil {
			c.Image = &core.Image{Repository: "ghcr.io/acme/app", Tag: "v1"}
			w.configs[p] = c
		}
	}
	notes := &memory.Notes{}
	secrets := memory.NewSecrets(w.items)
	uc := NewResolve(w.configs, w.files, memory.NewClientStore(w.client), w.env,
		ports.SecretSources{"onepassword": secrets}, notes)
	return harness{uc: uc, notes: notes, secrets: secrets}
}

// summary is what a test compares: everything but the merged config.
type summary struct {
	App, Target, Server, ServerWhy string
	ServerAuto                     bool
	Token                          string
	TokenSource                    string
	Env                            map[string]string
	Errs                           []string
}

func summarize(r Resolution) []summary {
	var out []summary
	for _, t := range r.Targets {
		s := summary{App: t.App, Target: t.Target, Server: t.Server, ServerWhy: t.ServerWhy, ServerAuto: t.ServerAuto,
			Token: t.Token.Reveal(), TokenSource: t.TokenSource}
		for _, e := range t.Env {
			if s.Env == nil {
				s.Env = map[string]string{}
			}
			s.Env[e.Name] = e.Value.Reveal() + " <- " + e.Source
		}
		for _, e := range t.Errs {
			s.Errs = append(s.Errs, resolveErrText(e))
		}
		out = append(out, s)
	}
	return out
}

// resolveErrText renders an error as the CLI does, on one line.
func resolveErrText(err error) string {
	var ce *core.Error
	if errors.As(err, &ce) {
		return fmt.Sprintf("%s | %s | %s", ce.What, ce.Why, ce.Fix)
	}
	return err.Error()
}

func fromEnv(v string) *core.APITokenConfig {
	return &core.APITokenConfig{From: &core.ValueFrom{Env: v}}
}

func fromSecret(v string) *core.APITokenConfig {
	return &core.APITokenConfig{From: &core.ValueFrom{Secret: v}}
}

var (
	prodServer  = core.ServerRef{TokenEnv: "HALOY_API_TOKEN_PROD_HALOY_COM"}
	stageServer = core.ServerRef{TokenEnv: "HALOY_API_TOKEN_STAGING_HALOY_COM"}
	guideItems  = map[string]map[string]core.Secret{
		"Infrastructure/Haloy API Tokens": {"production": "tok-1p-production", "staging": "tok-1p-staging"},
		"Production/API Tokens":           {"haloy-api": "tok-1p-haloy-api"},
	}
	guideProviders = core.SecretProviders{"onepassword": {
		"api-tokens":  {"vault": "Infrastructure", "item": "Haloy API Tokens"},
		"prod-tokens": {"vault": "Production", "item": "API Tokens"},
	}}
)

func TestResolveScenarios(t *testing.T) {
	lines := map[string]int{"server": 2, "api_token": 3, "api_token.from.env": 5, "api_token.from.secret": 5, "api_token.value": 4}
	tests := []struct {
		name string
		w    world
		in   ResolveInput
		want []summary
	}{
		{
			name: "single_server_chosen_automatically",
			w: world{
				configs: memory.AppConfigs{"haloy.yaml": {TargetConfig: core.TargetConfig{Name: "my-app"}}},
				client:  core.ClientState{Servers: map[string]core.ServerRef{"prod.haloy.com": prodServer}, Tokens: map[string]string{"HALOY_API_TOKEN_PROD_HALOY_COM": "tok-store-prod"}},
			},
			want: []summary{{App: "my-app", Server: "prod.haloy.com", ServerAuto: true,
				ServerWhy: "the only server configured (haloy server list); haloy.yaml sets no server:",
				Token:     "tok-store-prod", TokenSource: "client store HALOY_API_TOKEN_PROD_HALOY_COM (set in the config directory's .env)"}},
		},
		{
			name: "several_servers_without_server_line",
			w: world{
				configs: memory.AppConfigs{"haloy.yaml": {TargetConfig: core.TargetConfig{Name: "my-app"}}},
				client:  core.ClientState{Servers: map[string]core.ServerRef{"prod.haloy.com": prodServer, "staging.haloy.com": stageServer}},
			},
			want: []summary{{App: "my-app", Errs: []string{
				"several servers are configured and haloy.yaml names none | configured: prod.haloy.com, staging.haloy.com (haloy server list) | add a line to haloy.yaml: server: prod.haloy.com"}}},
		},
		{
			name: "several_servers_with_server_line",
			w: world{
				configs: memory.AppConfigs{"haloy.yaml": {TargetConfig: core.TargetConfig{Name: "my-app", Server: "Staging.Haloy.com"}, Lines: lines}},
				client: core.ClientState{Servers: map[string]core.ServerRef{"prod.haloy.com": prodServer, "staging.haloy.com": stageServer},
					Tokens: map[string]string{"HALOY_API_TOKEN_PROD_HALOY_COM": "tok-store-prod", "HALOY_API_TOKEN_STAGING_HALOY_COM": "tok-store-staging"}},
			},
			want: []summary{{App: "my-app", Server: "staging.haloy.com", ServerWhy: "server: in haloy.yaml:2",
				Token: "tok-store-staging", TokenSource: "client store HALOY_API_TOKEN_STAGING_HALOY_COM (set in the config directory's .env)"}},
		},
		{
			name: "no_server_anywhere",
			w:    world{configs: memory.AppConfigs{"haloy.yaml": {TargetConfig: core.TargetConfig{Name: "my-app"}}}},
			want: []summary{{App: "my-app", Errs: []string{
				"no server to deploy to | haloy.yaml sets no server: and no server is configured on this machine | haloy server add <server> --token-stdin, or add a line to haloy.yaml: server: <server>"}}},
		},
		{
			name: "from_env_in_process_environment",
			w: world{
				configs: memory.AppConfigs{"haloy.yaml": {TargetConfig: core.TargetConfig{Name: "my-app", Server: "api.haloy.dev", APIToken: fromEnv("PRODUCTION_DEPLOY_TOKEN")}, Lines: lines}},
				env:     memory.Env{"PRODUCTION_DEPLOY_TOKEN": "tok-env"},
			},
			want: []summary{{App: "my-app", Server: "api.haloy.dev", ServerWhy: "server: in haloy.yaml:2", Token: "tok-env", TokenSource: "from env PRODUCTION_DEPLOY_TOKEN"}},
		},
		{
			name: "from_env_in_dotenv_beside_config",
			w: world{
				configs: memory.AppConfigs{"haloy.yaml": {TargetConfig: core.TargetConfig{Name: "my-app", Server: "api.haloy.dev", APIToken: fromEnv("PRODUCTION_DEPLOY_TOKEN")}, Lines: lines}},
				files:   memory.EnvFiles{".env": {"PRODUCTION_DEPLOY_TOKEN": "tok-dotenv"}},
			},
			want: []summary{{App: "my-app", Server: "api.haloy.dev", ServerWhy: "server: in haloy.yaml:2", Token: "tok-dotenv", TokenSource: "from env PRODUCTION_DEPLOY_TOKEN (set in .env)"}},
		},
		{
			name: "from_env_unset",
			w: world{
				configs: memory.AppConfigs{"haloy.yaml": {TargetConfig: core.TargetConfig{Name: "my-app", Server: "api.haloy.dev", APIToken: fromEnv("PRODUCTION_DEPLOY_TOKEN")}, Lines: lines}},
				env:     memory.Env{"PRODUCTION_DEPLOY_TOKEN": ""},
			},
			want: []summary{{App: "my-app", Server: "api.haloy.dev", ServerWhy: "server: in haloy.yaml:2", Errs: []string{
				`no API token for server "api.haloy.dev" | api_token.from.env names PRODUCTION_DEPLOY_TOKEN (haloy.yaml:5), which is not set: it is unset or empty in the environment and in every .env file haloy reads | export PRODUCTION_DEPLOY_TOKEN=<value>, or add PRODUCTION_DEPLOY_TOKEN=<value> to .env beside haloy.yaml`}}},
		},
		{
			name: "from_secret_guide_dot_form",
			w: world{
				configs: memory.AppConfigs{"haloy.yaml": {TargetConfig: core.TargetConfig{Name: "my-app", Server: "api.haloy.dev", APIToken: fromSecret("onepassword:api-tokens.production")}, SecretProviders: guideProviders}},
				items:   guideItems,
			},
			want: []summary{{App: "my-app", Server: "api.haloy.dev", ServerWhy: "server: in haloy.yaml", Token: "tok-1p-production", TokenSource: "1Password Infrastructure/Haloy API Tokens field production"}},
		},
		{
			name: "from_secret_colon_form",
			w: world{
				configs: memory.AppConfigs{"haloy.yaml": {TargetConfig: core.TargetConfig{Name: "my-app", Server: "api.haloy.dev", APIToken: fromSecret("onepassword:api-tokens:production")}, SecretProviders: guideProviders}},
				items:   guideItems,
			},
			want: []summary{{App: "my-app", Server: "api.haloy.dev", ServerWhy: "server: in haloy.yaml", Token: "tok-1p-production", TokenSource: "1Password Infrastructure/Haloy API Tokens field production"}},
		},
		{
			name: "from_secret_field_not_found_lists_labels",
			w: world{
				configs: memory.AppConfigs{"haloy.yaml": {TargetConfig: core.TargetConfig{Name: "my-app", Server: "api.haloy.dev", APIToken: fromSecret("onepassword:api-tokens:prodution")}, SecretProviders: guideProviders, Lines: lines}},
				items:   guideItems,
			},
			want: []summary{{App: "my-app", Server: "api.haloy.dev", ServerWhy: "server: in haloy.yaml:2", Errs: []string{
				`no API token for server "api.haloy.dev" | field "prodution" not found in 1Password Infrastructure/Haloy API Tokens (haloy.yaml:5): its field labels: production, staging | did you mean "onepassword:api-tokens:production"?`}}},
		},
		{
			name: "value_is_used_with_warning",
			w: world{
				configs: memory.AppConfigs{"haloy.yaml": {TargetConfig: core.TargetConfig{Name: "my-app", Server: "api.haloy.dev", APIToken: &core.APITokenConfig{Value: "tok-literal"}}, Lines: lines}},
			},
			want: []summary{{App: "my-app", Server: "api.haloy.dev", ServerWhy: "server: in haloy.yaml:2", Token: "tok-literal", TokenSource: "literal value in haloy.yaml:4"}},
		},
		{
			name: "haloy_api_token_fallback",
			w: world{
				configs: memory.AppConfigs{"haloy.yaml": {TargetConfig: core.TargetConfig{Name: "my-app", Server: "other.haloy.com"}}},
				env:     memory.Env{"HALOY_API_TOKEN": "tok-fallback"},
			},
			want: []summary{{App: "my-app", Server: "other.haloy.com", ServerWhy: "server: in haloy.yaml", Token: "tok-fallback", TokenSource: "fallback HALOY_API_TOKEN"}},
		},
		{
			name: "server_not_in_client_config",
			w:    world{configs: memory.AppConfigs{"haloy.yaml": {TargetConfig: core.TargetConfig{Name: "my-app", Server: "other.haloy.com"}}}},
			want: []summary{{App: "my-app", Server: "other.haloy.com", ServerWhy: "server: in haloy.yaml", Errs: []string{
				`no API token for server "other.haloy.com" | the server is not in the client config, haloy.yaml sets no api_token:, and HALOY_API_TOKEN is not set | haloy server list; haloy server add other.haloy.com --token-stdin`}}},
		},
		{
			name: "server_in_client_config_variable_unset",
			w: world{
				configs: memory.AppConfigs{"haloy.yaml": {TargetConfig: core.TargetConfig{Name: "my-app", Server: "prod.haloy.com"}}},
				client:  core.ClientState{Servers: map[string]core.ServerRef{"prod.haloy.com": prodServer}},
			},
			want: []summary{{App: "my-app", Server: "prod.haloy.com", ServerWhy: "server: in haloy.yaml", Errs: []string{
				`no API token for server "prod.haloy.com" | client.yaml names HALOY_API_TOKEN_PROD_HALOY_COM for it, which is set neither in the environment nor in the config directory's .env | haloy server add prod.haloy.com --force --token-stdin, or export HALOY_API_TOKEN_PROD_HALOY_COM=<token>`}}},
		},
		{
			name: "targets_with_different_servers_and_tokens",
			w: world{
				configs: memory.AppConfigs{"haloy.yaml": {
					TargetConfig:    core.TargetConfig{Name: "my-app", Image: &core.Image{Repository: "my-org/my-app", Tag: "latest"}},
					SecretProviders: guideProviders,
					Targets: map[string]core.TargetConfig{
						"production": {Server: "prod.haloy.com", APIToken: fromSecret("onepassword:prod-tokens.haloy-api"), Domains: []core.Domain{{Domain: "my-app.com"}}},
						"staging":    {Server: "staging.haloy.com", APIToken: fromEnv("STAGING_API_TOKEN"), Domains: []core.Domain{{Domain: "staging.my-app.com"}}},
					},
				}},
				files: memory.EnvFiles{".env.staging": {"STAGING_API_TOKEN": "tok-env-staging"}},
				items: guideItems,
			},
			want: []summary{
				// as in Haloy, a target without name: is named after its key
				{App: "production", Target: "production", Server: "prod.haloy.com", ServerWhy: "server: in haloy.yaml", Token: "tok-1p-haloy-api", TokenSource: "1Password Production/API Tokens field haloy-api"},
				{App: "staging", Target: "staging", Server: "staging.haloy.com", ServerWhy: "server: in haloy.yaml", Token: "tok-env-staging", TokenSource: "from env STAGING_API_TOKEN (set in .env.staging)"},
			},
		},
		{
			name: "config_flag_names_a_file",
			w: world{
				configs: memory.AppConfigs{
					"production.haloy.yaml": {TargetConfig: core.TargetConfig{Name: "my-app", Server: "production.haloy.com", APIToken: fromEnv("PROD_TOKEN")}},
					"staging.haloy.yaml":    {TargetConfig: core.TargetConfig{Name: "my-app", Server: "staging.haloy.com", APIToken: fromEnv("STAGING_TOKEN")}},
				},
				env: memory.Env{"PROD_TOKEN": "tok-prod", "STAGING_TOKEN": "tok-staging"},
			},
			in:   ResolveInput{Config: "production.haloy.yaml"},
			want: []summary{{App: "my-app", Server: "production.haloy.com", ServerWhy: "server: in production.haloy.yaml", Token: "tok-prod", TokenSource: "from env PROD_TOKEN"}},
		},
		{
			name: "every_error_not_just_the_first",
			w: world{
				configs: memory.AppConfigs{"haloy.yaml": {TargetConfig: core.TargetConfig{Server: "https://x.haloy.com", Env: []core.EnvVar{
					{Name: "DB", From: &core.ValueFrom{Env: "DATABASE_URL"}},
					{Name: "KEY", From: &core.ValueFrom{Secret: "onepassword"}},
				}}}},
			},
			want: []summary{{Errs: []string{
				"no app name | haloy.yaml sets no name: | add a line to haloy.yaml: name: my-app",
				`invalid server "https://x.haloy.com" (server: in haloy.yaml)`,
				"env entry DB: from.env names DATABASE_URL (haloy.yaml), which is not set | it is unset or empty in the environment and in every .env file haloy reads | export DATABASE_URL=<value>, or add DATABASE_URL=<value> to .env beside haloy.yaml",
				`env entry KEY: malformed secret reference "onepassword" (haloy.yaml) | it has no provider prefix such as onepassword: | write it as <provider>:<source>:<key>, e.g. onepassword:api-tokens:production`,
			}}},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			h := tt.w.build()
			got, err := h.uc.Run(context.Background(), tt.in)
			if err != nil {
				t.Fatalf("Run(%+v) error: %v", tt.in, err)
			}
			if diff := cmp.Diff(tt.want, summarize(got), cmpopts.EquateEmpty(),
				cmp.FilterPath(func(p cmp.Path) bool { return p.Last().String() == ".Errs" && strings.Contains(tt.name, "every_error") }, cmp.Comparer(prefixesEqual))); diff != "" {
				t.Errorf("Run(%+v) mismatch (-want +got):\n%s", tt.in, diff)
			}
		})
	}
}

// prefixesEqual compares error lists by prefix where a test gives only the
// start of an error that another package words.
func prefixesEqual(a, b []string) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if !strings.HasPrefix(a[i], b[i]) && !strings.HasPrefix(b[i], a[i]) {
			return false
		}
	}
	return true
}

func TestResolveWarnsAboutLiteralTokenEveryTime(t *testing.T) {
	h := world{configs: memory.AppConfigs{"haloy.yaml": {TargetConfig: core.TargetConfig{Name: "my-app", Server: "api.haloy.dev",
		APIToken: &core.APITokenConfig{Value: "tok-literal"}}, Lines: map[string]int{"api_token.value": 4}}}}.build()
	for range 2 {
		if _, err := h.uc.Run(context.Background(), ResolveInput{}); err != nil {
			t.Fatal(err)
		}
	}
	want := "api_token.value in haloy.yaml:4 is a token written into a config file, which is unsafe: " +
		"anyone who can read the file or its repository can deploy with it; " +
		"use api_token.from.env (the token in the environment or a .env file) or api_token.from.secret (a secret provider such as 1Password) instead"
	if diff := cmp.Diff([]string{want, want}, h.notes.Warnings); diff != "" {
		t.Errorf("warnings mismatch (-want +got):\n%s", diff)
	}
}

// Two targets, an api_token and an env entry all point into one item: op
// must run once for it.
func TestResolveFetchesEachItemOnce(t *testing.T) {
	h := world{
		configs: memory.AppConfigs{"haloy.yaml": {
			TargetConfig: core.TargetConfig{Name: "my-app", Env: []core.EnvVar{{Name: "STAGING_KEY", From: &core.ValueFrom{Secret: "onepassword:api-tokens:staging"}}}},
			SecretProviders: core.SecretProviders{"onepassword": {
				"api-tokens": {"vault": "Infrastructure", "item": "Haloy API Tokens"},
				// Another name for the same item: still one call.
				"same-item":   {"vault": "Infrastructure", "item": "Haloy API Tokens"},
				"prod-tokens": {"vault": "Production", "item": "API Tokens"},
			}},
			Targets: map[string]core.TargetConfig{
				"production": {Server: "prod.haloy.com", APIToken: fromSecret("onepassword:api-tokens.production")},
				"staging":    {Server: "staging.haloy.com", APIToken: fromSecret("onepassword:same-item:staging")},
				"other":      {Server: "other.haloy.com", APIToken: fromSecret("onepassword:prod-tokens:haloy-api")},
			},
		}},
		items: guideItems,
	}.build()
	res, err := h.uc.Run(context.Background(), ResolveInput{All: true})
	if err != nil {
		t.Fatal(err)
	}
	if err := res.Err(); err != nil {
		t.Fatalf("Run().Err() = %v, want nil", err)
	}
	want := map[string]int{"Infrastructure/Haloy API Tokens": 1, "Production/API Tokens": 1}
	if diff := cmp.Diff(want, h.secrets.Calls()); diff != "" {
		t.Errorf("calls per item mismatch (-want +got):\n%s", diff)
	}
	if got := res.Targets[2].Env[0].Value.Reveal(); got != "tok-1p-staging" {
		t.Errorf("env STAGING_KEY = %q, want the item's staging field", got)
	}
}

func TestResolveSignedOutReportsEveryTarget(t *testing.T) {
	h := world{
		configs: memory.AppConfigs{"haloy.yaml": {
			TargetConfig:    core.TargetConfig{Name: "my-app"},
			SecretProviders: guideProviders,
			Targets: map[string]core.TargetConfig{
				"production": {Server: "prod.haloy.com", APIToken: fromSecret("onepassword:api-tokens:production")},
				"staging":    {Server: "staging.haloy.com", APIToken: fromSecret("onepassword:api-tokens:staging")},
			},
		}},
		items: guideItems,
	}.build()
	h.secrets.SignedOut = true
	res, err := h.uc.Run(context.Background(), ResolveInput{})
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, e := range flatten(res.Err()) {
		got = append(got, resolveErrText(e))
	}
	want := []string{
		`target "production": no API token for server "prod.haloy.com" | cannot read 1Password Infrastructure/Haloy API Tokens: you are not signed in to 1Password (You are not currently signed in.) | run 'eval $(op signin)' (or set OP_SERVICE_ACCOUNT_TOKEN in CI), then run the command again`,
		`target "staging": no API token for server "staging.haloy.com" | cannot read 1Password Infrastructure/Haloy API Tokens: you are not signed in to 1Password (You are not currently signed in.) | run 'eval $(op signin)' (or set OP_SERVICE_ACCOUNT_TOKEN in CI), then run the command again`,
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("Err() mismatch (-want +got):\n%s", diff)
	}
	if diff := cmp.Diff(map[string]int{"Infrastructure/Haloy API Tokens": 1}, h.secrets.Calls()); diff != "" {
		t.Errorf("calls mismatch (-want +got):\n%s", diff)
	}
}

func flatten(err error) []error {
	if err == nil {
		return nil
	}
	if j, ok := err.(interface{ Unwrap() []error }); ok {
		return j.Unwrap()
	}
	return []error{err}
}

func TestResolveSecretProviderErrors(t *testing.T) {
	tests := []struct {
		name      string
		providers core.SecretProviders
		ref       string
		want      []string
	}{
		{"unknown_source", guideProviders, "onepassword:api-token:production", []string{
			`target "": no API token for server "api.haloy.dev" | unknown secret source "api-token" in "onepassword:api-token:production" (haloy.yaml): sources under secret_providers.onepassword: api-tokens, prod-tokens | did you mean "onepassword:api-tokens:production"?`}},
		{"provider_not_declared", guideProviders, "vault:api-tokens:production", []string{
			`target "": no API token for server "api.haloy.dev" | unknown secret provider "vault" in "vault:api-tokens:production" (haloy.yaml): declared providers: onepassword | `}},
		{"provider_declared_but_unsupported", core.SecretProviders{"onepasswrd": {"x": {"vault": "v", "item": "i"}}}, "onepasswrd:x:y", []string{
			`unknown secret provider "onepasswrd" (haloy.yaml) | haloy reads secrets from: onepassword | did you mean "onepassword"?`,
			`target "": no API token for server "api.haloy.dev" | secret source "onepasswrd.x" cannot be read: secret_providers.onepasswrd.x is misconfigured (see its own error) | fix secret_providers.onepasswrd.x`}},
		{"bad_source_setting", core.SecretProviders{"onepassword": {"x": {"vualt": "v", "item": "i"}}}, "onepassword:x:y", []string{
			`unknown setting "vualt" in secret_providers.onepassword.x | a 1Password source takes vault, item and optionally account | did you mean "vault"?`,
			`target "": no API token for server "api.haloy.dev" | secret source "onepassword.x" cannot be read: secret_providers.onepassword.x is misconfigured (see its own error) | fix secret_providers.onepassword.x`}},
		{"malformed_reference", guideProviders, "onepassword:api-tokens", []string{
			`target "": no API token for server "api.haloy.dev" | malformed secret reference "onepassword:api-tokens" (haloy.yaml): it names no key: expected <source>:<key> after "onepassword:" | write it as <provider>:<source>:<key>, e.g. onepassword:api-tokens:production`}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			h := world{configs: memory.AppConfigs{"haloy.yaml": {TargetConfig: core.TargetConfig{Name: "my-app", Server: "api.haloy.dev",
				APIToken: fromSecret(tt.ref)}, SecretProviders: tt.providers}}, items: guideItems}.build()
			res, err := h.uc.Run(context.Background(), ResolveInput{})
			if err != nil {
				t.Fatal(err)
			}
			var got []string
			for _, e := range res.Errs {
				got = append(got, resolveErrText(e))
			}
			for _, e := range res.Targets[0].Errs {
				got = append(got, `target "": `+resolveErrText(e))
			}
			if diff := cmp.Diff(tt.want, got, cmp.Comparer(prefixesEqual)); diff != "" {
				t.Errorf("errors mismatch (-want +got):\n%s", diff)
			}
		})
	}
}

func TestResolveChoosesTargets(t *testing.T) {
	cfg := memory.AppConfigs{"haloy.yaml": {TargetConfig: core.TargetConfig{Name: "my-app", Server: "prod.haloy.com"},
		Targets: map[string]core.TargetConfig{"production": {}, "staging": {Server: "staging.haloy.com"}}}}
	tests := []struct {
		name    string
		in      ResolveInput
		want    []string
		wantErr string
	}{
		{"validate_checks_all", ResolveInput{}, []string{"production", "staging"}, ""},
		{"one_by_flag", ResolveInput{Targets: []string{"staging"}, RequireSingle: true}, []string{"staging"}, ""},
		{"comma_separated", ResolveInput{Targets: []string{"staging,production"}, RequireSingle: true}, []string{"staging", "production"}, ""},
		{"all", ResolveInput{All: true, RequireSingle: true}, []string{"production", "staging"}, ""},
		{"deploy_needs_a_choice", ResolveInput{RequireSingle: true}, nil,
			"haloy.yaml has 2 targets: production, staging | this command acts on servers and needs to know which targets to use | pass --target production (repeatable, or comma-separated), or --all for every target"},
		{"unknown_target", ResolveInput{Targets: []string{"prod"}}, nil,
			`unknown target "prod" | targets in haloy.yaml: production, staging | did you mean "production"? use --target production`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			h := world{configs: cfg, env: memory.Env{"HALOY_API_TOKEN": "tok"}}.build()
			res, err := h.uc.Run(context.Background(), tt.in)
			if tt.wantErr != "" {
				if err == nil || resolveErrText(err) != tt.wantErr {
					t.Fatalf("Run(%+v) error = %v, want %q", tt.in, err, tt.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			var got []string
			for _, tg := range res.Targets {
				got = append(got, tg.Target)
			}
			if diff := cmp.Diff(tt.want, got); diff != "" {
				t.Errorf("Run(%+v) targets mismatch (-want +got):\n%s", tt.in, diff)
			}
		})
	}
}

// The precedence of the issue, highest first: process, .env.<target>,
// .env.local, .env, the config directory's .env.
func TestResolveEnvPrecedence(t *testing.T) {
	layers := []struct {
		name string
		set  func(w *world, v string)
	}{
		{"process", func(w *world, v string) { w.env["TOK"] = v }},
		{".env.production", func(w *world, v string) { w.files["app/.env.production"]["TOK"] = v }},
		{".env.production in the current directory", func(w *world, v string) { w.files[".env.production"]["TOK"] = v }},
		{".env.local", func(w *world, v string) { w.files["app/.env.local"]["TOK"] = v }},
		{".env.local in the current directory", func(w *world, v string) { w.files[".env.local"]["TOK"] = v }},
		{".env", func(w *world, v string) { w.files["app/.env"]["TOK"] = v }},
		{".env in the current directory", func(w *world, v string) { w.files[".env"]["TOK"] = v }},
		{"the config directory's .env", func(w *world, v string) { w.client.Tokens["TOK"] = v }},
	}
	for top := range layers {
		t.Run(strings.ReplaceAll(layers[top].name, " ", "_"), func(t *testing.T) {
			w := world{
				configs: memory.AppConfigs{"app/haloy.yaml": {TargetConfig: core.TargetConfig{Name: "a", Server: "s.haloy.com", APIToken: fromEnv("TOK")},
					Targets: map[string]core.TargetConfig{"production": {}}}},
				files: memory.EnvFiles{"app/.env.production": {}, "app/.env.local": {}, "app/.env": {},
					".env.production": {}, ".env.local": {}, ".env": {}},
				env:    memory.Env{},
				client: core.ClientState{Tokens: map[string]string{}},
			}
			for i := top; i < len(layers); i++ {
				layers[i].set(&w, "tok-from-"+strings.ReplaceAll(layers[i].name, " ", "-"))
			}
			if top > 0 {
				// An empty value in a higher layer never hides a lower one.
				layers[top-1].set(&w, "")
			}
			res, err := w.build().uc.Run(context.Background(), ResolveInput{Config: "app"})
			if err != nil {
				t.Fatal(err)
			}
			if got, want := res.Targets[0].Token.Reveal(), "tok-from-"+strings.ReplaceAll(layers[top].name, " ", "-"); got != want {
				t.Errorf("token = %q, want %q", got, want)
			}
		})
	}
}

// The guide's "single server, multiple projects": two app configs name one
// server and share its token from haloy server add.
func TestResolveAppsSharingOneServer(t *testing.T) {
	w := world{
		configs: memory.AppConfigs{
			"app1.haloy.yaml": {TargetConfig: core.TargetConfig{Name: "app1", Server: "shared.haloy.com"}},
			"app2.haloy.yaml": {TargetConfig: core.TargetConfig{Name: "app2", Server: "shared.haloy.com"}},
		},
		client: core.ClientState{Servers: map[string]core.ServerRef{"shared.haloy.com": {TokenEnv: "HALOY_API_TOKEN_SHARED_HALOY_COM"}},
			Tokens: map[string]string{"HALOY_API_TOKEN_SHARED_HALOY_COM": "tok-shared"}},
	}
	var got []summary
	for _, c := range []string{"app1.haloy.yaml", "app2.haloy.yaml"} {
		res, err := w.build().uc.Run(context.Background(), ResolveInput{Config: c, RequireSingle: true})
		if err != nil {
			t.Fatal(err)
		}
		got = append(got, summarize(res)...)
	}
	src := "client store HALOY_API_TOKEN_SHARED_HALOY_COM (set in the config directory's .env)"
	want := []summary{
		{App: "app1", Server: "shared.haloy.com", ServerWhy: "server: in app1.haloy.yaml", Token: "tok-shared", TokenSource: src},
		{App: "app2", Server: "shared.haloy.com", ServerWhy: "server: in app2.haloy.yaml", Token: "tok-shared", TokenSource: src},
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("Run mismatch (-want +got):\n%s", diff)
	}
}

// Nothing a resolution reports (errors, warnings, sources) holds a token,
// whatever goes wrong.
func TestResolveReportsNoSecret(t *testing.T) {
	secrets := []string{"tok-1p-production", "tok-1p-staging", "tok-1p-haloy-api", "tok-env-x", "tok-store-y", "tok-literal-z"}
	w := world{
		configs: memory.AppConfigs{"haloy.yaml": {
			TargetConfig:    core.TargetConfig{Name: "my-app", Env: []core.EnvVar{{Name: "X", From: &core.ValueFrom{Secret: "onepassword:api-tokens:nope"}}}},
			SecretProviders: guideProviders,
			Targets: map[string]core.TargetConfig{
				"a": {Server: "a.haloy.com", APIToken: fromSecret("onepassword:api-tokens:missing")},
				"b": {Server: "b.haloy.com", APIToken: fromEnv("UNSET")},
				"c": {Server: "c.haloy.com", APIToken: &core.APITokenConfig{Value: "tok-literal-z"}},
				"d": {Server: "d.haloy.com"},
				"e": {Server: "e.haloy.com", APIToken: fromEnv("X_TOKEN")},
			},
		}},
		env:    memory.Env{"X_TOKEN": "tok-env-x"},
		client: core.ClientState{Servers: map[string]core.ServerRef{"d.haloy.com": {TokenEnv: "D"}}, Tokens: map[string]string{"D": "tok-store-y"}},
		items:  guideItems,
	}
	h := w.build()
	res, err := h.uc.Run(context.Background(), ResolveInput{})
	if err != nil {
		t.Fatal(err)
	}
	var out []string
	for _, e := range flatten(res.Err()) {
		out = append(out, resolveErrText(e), fmt.Sprintf("%v %+v %#v", e, e, e))
	}
	out = append(out, h.notes.Warnings...)
	out = append(out, h.notes.Infos...)
	for _, tg := range res.Targets {
		out = append(out, tg.TokenSource, tg.ServerWhy, fmt.Sprintf("%v %+v %#v", tg, tg, tg))
	}
	all := strings.Join(out, "\n")
	if len(flatten(res.Err())) < 3 {
		t.Fatalf("want several errors to inspect, got %v", res.Err())
	}
	for _, s := range secrets {
		if strings.Contains(all, s) {
			t.Errorf("resolution output reveals %q", s)
		}
	}
}

// A misconfigured source listed after a fetched one: the fetch goroutine
// and the loop both record results (run with -race).
func TestResolveMixedSourcesNoRace(t *testing.T) {
	h := world{
		configs: memory.AppConfigs{"haloy.yaml": {
			TargetConfig: core.TargetConfig{Name: "a", Env: []core.EnvVar{
				{Name: "X", From: &core.ValueFrom{Secret: "onepassword:api-tokens:production"}},
				{Name: "Y", From: &core.ValueFrom{Secret: "onepassword:broken:k"}},
				{Name: "Z", From: &core.ValueFrom{Secret: "other:src:k"}},
			}, Server: "s.haloy.com", APIToken: fromEnv("T")},
			SecretProviders: core.SecretProviders{
				"onepassword": {"api-tokens": guideProviders["onepassword"]["api-tokens"], "broken": {"vault": "V"}},
				"other":       {"src": {"x": "y"}},
			},
		}},
		env:   memory.Env{"T": "tok"},
		items: guideItems,
	}.build()
	res, err := h.uc.Run(context.Background(), ResolveInput{})
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, e := range flatten(res.Err()) {
		got = append(got, e.(*core.Error).What)
	}
	want := []string{
		"secret_providers.onepassword.broken has no item",
		`unknown secret provider "other" (haloy.yaml)`,
		`env entry Y: secret source "onepassword.broken" cannot be read`,
		`env entry Z: secret source "other.src" cannot be read`,
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("errors mismatch (-want +got):\n%s", diff)
	}
	if len(res.Targets[0].Env) != 1 || res.Targets[0].Env[0].Value.Reveal() != "tok-1p-production" {
		t.Errorf("env X did not resolve from the item")
	}
}

// With haloy.json and haloy.yaml side by side Haloy reads the JSON; the
// user who edits the YAML must be told it is not read.
func TestResolveSaysWhichFile(t *testing.T) {
	cfg := func(name string) core.AppConfig {
		return core.AppConfig{TargetConfig: core.TargetConfig{Name: name, Server: "api.haloy.dev"}}
	}
	w := world{configs: memory.AppConfigs{"haloy.json": cfg("from-json"), "haloy.yaml": cfg("from-yaml")},
		env: memory.Env{"HALOY_API_TOKEN": "tok"}}
	h := w.build()
	res, err := h.uc.Run(context.Background(), ResolveInput{})
	if err != nil {
		t.Fatal(err)
	}
	if res.File != "haloy.json" || res.Targets[0].App != "from-json" {
		t.Errorf("Run() read %s (app %q), want haloy.json (app from-json)", res.File, res.Targets[0].App)
	}
	want := []string{"using haloy.json; not read: haloy.yaml (the first of haloy.json, haloy.yaml, haloy.yml, haloy.toml is used; pass --config to choose)"}
	if diff := cmp.Diff(want, h.notes.Infos); diff != "" {
		t.Errorf("notes mismatch (-want +got):\n%s", diff)
	}
}
