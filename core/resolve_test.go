package core_test

import (
	"errors"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/haloy-auth/haloy/core"
)

func TestEnvLookup(t *testing.T) {
	env := core.Env{
		{Name: "", Lookup: core.MapLookup(map[string]string{"A": "process", "EMPTY": ""})},
		{Name: ".env.local", Lookup: core.MapLookup(map[string]string{"A": "local", "B": "local", "EMPTY": "local-empty"})},
		{Name: ".env", Lookup: nil},
		{Name: ".env", Lookup: core.MapLookup(map[string]string{"C": "dotenv"})},
	}
	tests := []struct {
		key, wantValue, wantLayer string
		wantOK                    bool
	}{
		{"A", "process", "", true},
		{"B", "local", ".env.local", true},
		{"C", "dotenv", ".env", true},
		// Empty in a higher layer does not hide a lower layer's value.
		{"EMPTY", "local-empty", ".env.local", true},
		{"D", "", "", false},
	}
	for _, tt := range tests {
		v, layer, ok := env.Lookup(tt.key)
		if v != tt.wantValue || layer != tt.wantLayer || ok != tt.wantOK {
			t.Errorf("Lookup(%q) = %q, %q, %v, want %q, %q, %v", tt.key, v, layer, ok, tt.wantValue, tt.wantLayer, tt.wantOK)
		}
	}
}

func TestSelectServer(t *testing.T) {
	tests := []struct {
		name       string
		fromConfig string
		configured []string
		want       core.ServerChoice
		wantErr    *core.Error
	}{
		{"config_wins_over_single", "Production.Haloy.com.", []string{"other.haloy.com"},
			core.ServerChoice{Server: "production.haloy.com", Why: "server: in haloy.yaml:3"}, nil},
		{"config_not_among_configured", "new.haloy.com", []string{"a.haloy.com", "b.haloy.com"},
			core.ServerChoice{Server: "new.haloy.com", Why: "server: in haloy.yaml:3"}, nil},
		{"single_configured", "", []string{"only.haloy.com"},
			core.ServerChoice{Server: "only.haloy.com", Why: "the only server configured (haloy server list); haloy.yaml sets no server:"}, nil},
		{"none_configured", "", nil, core.ServerChoice{}, &core.Error{Kind: core.Missing, What: "no server to deploy to",
			Why: "haloy.yaml sets no server: and no server is configured on this machine",
			Fix: "haloy server add <server> --token-stdin, or add a line to haloy.yaml: server: <server>"}},
		{"several_configured", "", []string{"production.haloy.com", "staging.haloy.com"}, core.ServerChoice{}, &core.Error{Kind: core.Missing,
			What: "several servers are configured and haloy.yaml names none",
			Why:  "configured: production.haloy.com, staging.haloy.com (haloy server list)",
			Fix:  "add a line to haloy.yaml: server: production.haloy.com"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := core.SelectServer(tt.fromConfig, "haloy.yaml:3", tt.configured)
			if tt.wantErr != nil {
				var ce *core.Error
				if !errors.As(err, &ce) {
					t.Fatalf("SelectServer(%q, %q) error = %v, want %v", tt.fromConfig, tt.configured, err, tt.wantErr)
				}
				if diff := cmp.Diff(tt.wantErr, ce); diff != "" {
					t.Errorf("SelectServer(%q, %q) error mismatch (-want +got):\n%s", tt.fromConfig, tt.configured, diff)
				}
				return
			}
			if err != nil {
				t.Fatalf("SelectServer(%q, %q) error: %v", tt.fromConfig, tt.configured, err)
			}
			if diff := cmp.Diff(tt.want, got); diff != "" {
				t.Errorf("SelectServer(%q, %q) mismatch (-want +got):\n%s", tt.fromConfig, tt.configured, diff)
			}
		})
	}
}

func TestSelectServerInvalidConfigServer(t *testing.T) {
	_, err := core.SelectServer("https://prod.haloy.com", "haloy.yaml:3", []string{"prod.haloy.com"})
	var ce *core.Error
	if !errors.As(err, &ce) || ce.Kind != core.Invalid {
		t.Fatalf(`SelectServer("https://prod.haloy.com") error = %v, want a *core.Error of Kind Invalid`, err)
	}
	if !strings.HasSuffix(ce.What, "(server: in haloy.yaml:3)") || ce.Fix != "write the bare host name in haloy.yaml:3, e.g. server: production.haloy.com" {
		t.Errorf("SelectServer error = {What: %q, Fix: %q}, want the config's position and a config fix", ce.What, ce.Fix)
	}
}

// result is a Resolved with the value revealed, for comparison.
type result struct{ Value, Source, Warning string }

func reveal(r core.Resolved) result { return result{r.Value.Reveal(), r.Source, r.Warning} }

func TestResolveToken(t *testing.T) {
	const server = "prod.haloy.com"
	providers := core.SecretProviders{"onepassword": {"api-tokens": {"vault": "Infrastructure", "item": "Haloy API Tokens"}}}
	item := core.SecretSourceRef{Provider: "onepassword", Name: "api-tokens", Settings: map[string]string{"vault": "Infrastructure", "item": "Haloy API Tokens"}}
	fetched := map[string]core.FetchedSource{item.Key(): {Label: "1Password Infrastructure/Haloy API Tokens",
		Fields: map[string]core.Secret{"production": "tok-1p", "staging": "tok-1p-s", "blank": ""}}}
	failed := map[string]core.FetchedSource{item.Key(): {Err: &core.Error{Kind: core.Missing, What: "cannot read 1Password Infrastructure/Haloy API Tokens", Why: "not signed in"}}}
	stored := map[string]core.ServerRef{server: {TokenEnv: "HALOY_API_TOKEN_PROD_HALOY_COM"}}
	env := func(m map[string]string) core.Env {
		return core.Env{{Name: "", Lookup: core.MapLookup(m)}, {Name: ".env", Lookup: core.MapLookup(map[string]string{"DOTENV_TOKEN": "tok-dotenv"})}}
	}
	fromEnv := func(v string) *core.APITokenConfig { return &core.APITokenConfig{From: &core.ValueFrom{Env: v}} }
	fromSecret := func(v string) *core.APITokenConfig { return &core.APITokenConfig{From: &core.ValueFrom{Secret: v}} }
	tests := []struct {
		name    string
		in      core.TokenInput
		want    result
		wantErr string // What | Why | Fix
	}{
		{"from_env_process", core.TokenInput{APIToken: fromEnv("PROD_TOKEN"), Env: env(map[string]string{"PROD_TOKEN": "tok-env"})},
			result{"tok-env", "from env PROD_TOKEN", ""}, ""},
		{"from_env_dotenv", core.TokenInput{APIToken: fromEnv("DOTENV_TOKEN"), Env: env(nil)},
			result{"tok-dotenv", "from env DOTENV_TOKEN (set in .env)", ""}, ""},
		{"from_env_wins_over_client_store", core.TokenInput{APIToken: fromEnv("PROD_TOKEN"), Servers: stored,
			Env: env(map[string]string{"PROD_TOKEN": "tok-env", "HALOY_API_TOKEN_PROD_HALOY_COM": "tok-store"})},
			result{"tok-env", "from env PROD_TOKEN", ""}, ""},
		{"from_env_unset_does_not_fall_back", core.TokenInput{APIToken: fromEnv("PROD_TOKEN"), Servers: stored,
			Env: env(map[string]string{"HALOY_API_TOKEN_PROD_HALOY_COM": "tok-store", "HALOY_API_TOKEN": "tok-fallback"})}, result{},
			`no API token for server "prod.haloy.com" | api_token.from.env names PROD_TOKEN (haloy.yaml:5), which is not set: it is unset or empty in the environment and in every .env file haloy reads | export PROD_TOKEN=<value>, or add PROD_TOKEN=<value> to .env beside haloy.yaml`},
		{"from_env_empty", core.TokenInput{APIToken: fromEnv("PROD_TOKEN"), Env: env(map[string]string{"PROD_TOKEN": ""})}, result{},
			`no API token for server "prod.haloy.com" | api_token.from.env names PROD_TOKEN (haloy.yaml:5), which is not set: it is unset or empty in the environment and in every .env file haloy reads | export PROD_TOKEN=<value>, or add PROD_TOKEN=<value> to .env beside haloy.yaml`},
		{"from_secret_colon", core.TokenInput{APIToken: fromSecret("onepassword:api-tokens:production"), Secrets: core.SecretInputs{Providers: providers, Fetched: fetched}},
			result{"tok-1p", "1Password Infrastructure/Haloy API Tokens field production", ""}, ""},
		{"from_secret_dot", core.TokenInput{APIToken: fromSecret("onepassword:api-tokens.staging"), Secrets: core.SecretInputs{Providers: providers, Fetched: fetched}},
			result{"tok-1p-s", "1Password Infrastructure/Haloy API Tokens field staging", ""}, ""},
		{"from_secret_field_not_found", core.TokenInput{APIToken: fromSecret("onepassword:api-tokens:prod"), Secrets: core.SecretInputs{Providers: providers, Fetched: fetched}}, result{},
			`no API token for server "prod.haloy.com" | field "prod" not found in 1Password Infrastructure/Haloy API Tokens (haloy.yaml:5): its field labels: blank, production, staging | did you mean "onepassword:api-tokens:production"?`},
		{"from_secret_field_empty", core.TokenInput{APIToken: fromSecret("onepassword:api-tokens:blank"), Secrets: core.SecretInputs{Providers: providers, Fetched: fetched}}, result{},
			`no API token for server "prod.haloy.com" | field "blank" of 1Password Infrastructure/Haloy API Tokens is empty (haloy.yaml:5): an empty value cannot be used | fill in the field in 1Password Infrastructure/Haloy API Tokens`},
		{"from_secret_fetch_failed", core.TokenInput{APIToken: fromSecret("onepassword:api-tokens:production"), Secrets: core.SecretInputs{Providers: providers, Fetched: failed}}, result{},
			`no API token for server "prod.haloy.com" | cannot read 1Password Infrastructure/Haloy API Tokens: not signed in | `},
		{"from_secret_malformed", core.TokenInput{APIToken: fromSecret("op://Infra/Item/field"), Secrets: core.SecretInputs{Providers: providers, Fetched: fetched}}, result{},
			`no API token for server "prod.haloy.com" | malformed secret reference "op://Infra/Item/field" (haloy.yaml:5): it looks like a URL or an op:// reference; haloy names a source from secret_providers instead | write it as <provider>:<source>:<key>, e.g. onepassword:api-tokens:production`},
		{"from_secret_unknown_source", core.TokenInput{APIToken: fromSecret("onepassword:tokens:production"), Secrets: core.SecretInputs{Providers: providers, Fetched: fetched}}, result{},
			`no API token for server "prod.haloy.com" | unknown secret source "tokens" in "onepassword:tokens:production" (haloy.yaml:5): sources under secret_providers.onepassword: api-tokens | declare it: secret_providers: {onepassword: {tokens: {vault: <vault>, item: <item>}}}`},
		{"from_secret_not_fetched_is_a_bug", core.TokenInput{APIToken: fromSecret("onepassword:api-tokens:production"), Secrets: core.SecretInputs{Providers: providers}}, result{},
			`no API token for server "prod.haloy.com" | secret source "api-tokens" was not fetched before resolution | `},
		{"literal_value_warns", core.TokenInput{APIToken: &core.APITokenConfig{Value: "tok-literal"}},
			result{"tok-literal", "literal value in haloy.yaml:5", "api_token.value in haloy.yaml:5 is a token written into a config file, which is unsafe: " +
				"anyone who can read the file or its repository can deploy with it; " +
				"use api_token.from.env (the token in the environment or a .env file) or api_token.from.secret (a secret provider such as 1Password) instead"}, ""},
		// an empty from: block beside the value does not make it any less written into the file
		{"literal_value_with_empty_from_warns", core.TokenInput{APIToken: &core.APITokenConfig{Value: "tok-literal", From: &core.ValueFrom{}}},
			result{"tok-literal", "literal value in haloy.yaml:5", "api_token.value in haloy.yaml:5 is a token written into a config file, which is unsafe: " +
				"anyone who can read the file or its repository can deploy with it; " +
				"use api_token.from.env (the token in the environment or a .env file) or api_token.from.secret (a secret provider such as 1Password) instead"}, ""},
		{"several_values", core.TokenInput{APIToken: &core.APITokenConfig{Value: "tok-literal", From: &core.ValueFrom{Env: "PROD_TOKEN"}}}, result{},
			`no API token for server "prod.haloy.com" | api_token sets several values (haloy.yaml:5): from.env, from.secret and value exclude each other | keep exactly one of them`},
		{"no_value", core.TokenInput{APIToken: &core.APITokenConfig{From: &core.ValueFrom{}}}, result{},
			`no API token for server "prod.haloy.com" | api_token sets no value (haloy.yaml:5): it needs one of from.env, from.secret or value | set from.env: VARIABLE_NAME`},
		// a project's haloy.yaml must not send server A's token to server B
		{"from_env_of_another_server", core.TokenInput{APIToken: fromEnv("HALOY_API_TOKEN_A_HALOY_COM"),
			Servers: map[string]core.ServerRef{server: {TokenEnv: "HALOY_API_TOKEN_PROD_HALOY_COM"}, "a.haloy.com": {TokenEnv: "HALOY_API_TOKEN_A_HALOY_COM"}},
			Env:     env(map[string]string{"HALOY_API_TOKEN_A_HALOY_COM": "tok-a"})}, result{},
			`no API token for server "prod.haloy.com" | api_token.from.env (haloy.yaml:5) names HALOY_API_TOKEN_A_HALOY_COM, which holds the token of server "a.haloy.com" (client.yaml); a token is valid only on the server that issued it, and sending it to prod.haloy.com would hand it to that server | give prod.haloy.com its own token: haloy server add prod.haloy.com --token-stdin, then remove api_token from haloy.yaml (or point from.env at a variable that holds prod.haloy.com's token)`},
		{"from_env_of_its_own_store_variable", core.TokenInput{APIToken: fromEnv("HALOY_API_TOKEN_PROD_HALOY_COM"), Servers: stored,
			Env: env(map[string]string{"HALOY_API_TOKEN_PROD_HALOY_COM": "tok-store"})},
			result{"tok-store", "from env HALOY_API_TOKEN_PROD_HALOY_COM", ""}, ""},
		{"client_store", core.TokenInput{Servers: stored, Env: env(map[string]string{"HALOY_API_TOKEN_PROD_HALOY_COM": "tok-store", "HALOY_API_TOKEN": "tok-fallback"})},
			result{"tok-store", "client store HALOY_API_TOKEN_PROD_HALOY_COM", ""}, ""},
		{"client_store_variable_unset_falls_back", core.TokenInput{Servers: stored, Env: env(map[string]string{"HALOY_API_TOKEN": "tok-fallback"})},
			result{"tok-fallback", "fallback HALOY_API_TOKEN", ""}, ""},
		{"not_in_store_falls_back", core.TokenInput{Env: env(map[string]string{"HALOY_API_TOKEN": "tok-fallback"})},
			result{"tok-fallback", "fallback HALOY_API_TOKEN", ""}, ""},
		{"store_variable_unset", core.TokenInput{Servers: stored, Env: env(nil)}, result{},
			`no API token for server "prod.haloy.com" | client.yaml names HALOY_API_TOKEN_PROD_HALOY_COM for it, which is set neither in the environment nor in the config directory's .env | haloy server add prod.haloy.com --force --token-stdin, or export HALOY_API_TOKEN_PROD_HALOY_COM=<token>`},
		{"not_in_store", core.TokenInput{Env: env(nil)}, result{},
			`no API token for server "prod.haloy.com" | the server is not in the client config, haloy.yaml sets no api_token:, and HALOY_API_TOKEN is not set | haloy server list; haloy server add prod.haloy.com --token-stdin`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			in := tt.in
			in.Server, in.Where, in.File = server, "haloy.yaml:5", "haloy.yaml"
			got, err := core.ResolveToken(in)
			if tt.wantErr != "" {
				var ce *core.Error
				if !errors.As(err, &ce) {
					t.Fatalf("ResolveToken() error = %v, want %q", err, tt.wantErr)
				}
				if g := ce.What + " | " + ce.Why + " | " + ce.Fix; g != tt.wantErr {
					t.Errorf("ResolveToken() error =\n%q, want\n%q", g, tt.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatalf("ResolveToken() error: %v", err)
			}
			if diff := cmp.Diff(tt.want, reveal(got)); diff != "" {
				t.Errorf("ResolveToken() mismatch (-want +got):\n%s", diff)
			}
		})
	}
}

func TestResolveEnv(t *testing.T) {
	entries := []core.EnvVar{
		{Name: "PLAIN", Value: "8080"},
		{Name: "FROM_ENV", From: &core.ValueFrom{Env: "DB_URL"}},
		{Name: "MISSING", From: &core.ValueFrom{Env: "NOPE"}},
		{Name: "BAD_REF", From: &core.ValueFrom{Secret: "nope"}},
	}
	env := core.Env{{Lookup: core.MapLookup(map[string]string{"DB_URL": "postgres://db"})}}
	got, errs := core.ResolveEnv(entries, func(i int) string { return "haloy.yaml:" + string(rune('1'+i)) }, "haloy.yaml", env, core.SecretInputs{})
	var gotVars []string
	for _, v := range got {
		gotVars = append(gotVars, v.Name+"="+v.Value.Reveal()+" <- "+v.Source)
	}
	wantVars := []string{"PLAIN=8080 <- literal value in haloy.yaml:1", "FROM_ENV=postgres://db <- from env DB_URL"}
	if diff := cmp.Diff(wantVars, gotVars); diff != "" {
		t.Errorf("ResolveEnv() values mismatch (-want +got):\n%s", diff)
	}
	var gotErrs []string
	for _, e := range errs {
		gotErrs = append(gotErrs, e.(*core.Error).What)
	}
	wantErrs := []string{
		"env entry MISSING: from.env names NOPE (haloy.yaml:3), which is not set",
		`env entry BAD_REF: malformed secret reference "nope" (haloy.yaml:4)`,
	}
	if diff := cmp.Diff(wantErrs, gotErrs); diff != "" {
		t.Errorf("ResolveEnv() errors mismatch (-want +got):\n%s", diff)
	}
}

// TestSecretSourcesRegistry: registry credentials from a secret are fetched
// too, and an image without a registry block needs none.
func TestSecretSourcesRegistry(t *testing.T) {
	providers := core.SecretProviders{"onepassword": {"registry": {"vault": "V", "item": "R"}}}
	names := func(tc core.TargetConfig) []string {
		var got []string
		for _, s := range core.SecretSources(tc, providers, "") {
			got = append(got, s.Name)
		}
		return got
	}
	withRegistry := core.TargetConfig{Image: &core.Image{Repository: "ghcr.io/acme/web", Registry: &core.RegistryAuth{
		Username: core.ValueSource{Value: "acme"}, Password: core.ValueSource{From: &core.ValueFrom{Secret: "onepassword:registry:password"}}}}}
	if diff := cmp.Diff([]string{"registry"}, names(withRegistry)); diff != "" {
		t.Errorf("SecretSources(registry password from a secret) mismatch (-want +got):\n%s", diff)
	}
	if got := names(core.TargetConfig{Image: &core.Image{Repository: "ghcr.io/acme/web"}}); len(got) != 0 {
		t.Errorf("SecretSources(image without registry) = %q, want none", got)
	}
}

func TestSecretSources(t *testing.T) {
	providers := core.SecretProviders{"onepassword": {
		"a":    {"vault": "V", "item": "I"},
		"same": {"vault": "V", "item": "I"},
		"b":    {"vault": "V", "item": "J"},
	}}
	tc := core.TargetConfig{
		APIToken: &core.APITokenConfig{From: &core.ValueFrom{Secret: "onepassword:b:x"}},
		Env: []core.EnvVar{
			{Name: "1", From: &core.ValueFrom{Secret: "onepassword:a.x"}},
			{Name: "2", From: &core.ValueFrom{Secret: "onepassword:same:y"}},
			{Name: "3", From: &core.ValueFrom{Secret: "onepassword:b:z"}},
			{Name: "4", From: &core.ValueFrom{Secret: "malformed"}},
			{Name: "5", From: &core.ValueFrom{Secret: "onepassword:undeclared:k"}},
			{Name: "6", From: &core.ValueFrom{Env: "E"}},
		},
	}
	var got []string
	for _, s := range core.SecretSources(tc, providers, "") {
		got = append(got, s.Name)
	}
	if diff := cmp.Diff([]string{"b", "a"}, got); diff != "" {
		t.Errorf("SecretSources() mismatch (-want +got):\n%s", diff)
	}
}
