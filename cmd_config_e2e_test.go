package main

import (
	"bytes"
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/haloy-auth/haloy/adapters/porttest"
	"github.com/haloy-auth/haloy/app"
)

// validate-config with the production adapters: real files, .env files,
// the client config directory and a fake op on PATH. Nothing it prints may
// contain a secret.
func TestValidateConfigRealAdapters(t *testing.T) {
	secrets := []string{"tok-op-haloy-api-5555", "tok-dotenv-staging-6666", "tok-client-store-7777", "db-op-8888"}
	op := porttest.NewFakeOp(t, porttest.SecretItems{"Production/API Tokens": {"haloy-api": secrets[0], "db": secrets[3]}})
	project := t.TempDir()
	configDir := t.TempDir()
	write := func(dir, name, body string) {
		t.Helper()
		if err := os.WriteFile(filepath.Join(dir, name), []byte(body), 0o600); err != nil {
			t.Fatal(err)
		}
	}
	write(project, "haloy.yaml", `name: "my-app"
image:
  repository: "my-org/my-app"
  tag: "latest"

secretProviders:
  onepassword:
    prod-tokens:
      vault: "Production"
      item: "API Tokens"

targets:
  production:
    server: prod.haloy.com
    api_token:
      from:
        secret: "onepassword:prod-tokens.haloy-api"
    env:
      - name: DB_PASSWORD
        from:
          secret: "onepassword:prod-tokens:db"
  staging:
    server: staging.haloy.com
    api_token:
      from:
        env: "STAGING_API_TOKEN"
  shared:
    server: shared.haloy.com
`)
	write(project, ".env.staging", "STAGING_API_TOKEN="+secrets[1]+"\n")
	write(configDir, "client.yaml", "servers:\n  \"shared.haloy.com\":\n    token_env: \"HALOY_API_TOKEN_SHARED_HALOY_COM\"\n")
	write(configDir, ".env", "HALOY_API_TOKEN_SHARED_HALOY_COM="+secrets[2]+"\n")
	t.Setenv("HALOY_CONFIG_DIR", configDir)
	t.Setenv("PATH", filepath.Dir(op.Bin)+string(os.PathListSeparator)+os.Getenv("PATH"))
	t.Setenv("STAGING_API_TOKEN", "")
	t.Chdir(project)

	var stdout, stderr bytes.Buffer
	args := []string{"haloy", "validate-config", "--all"}
	code := run(context.Background(), args, strings.NewReader(""), &stdout, &stderr, &app.Wiring{Adapters: app.Adapters})
	if code != 0 {
		t.Fatalf("run(%q) = %d, want 0\nstderr:\n%s", args, code, stderr.String())
	}
	want := `target production (app production)
  server  prod.haloy.com (server: in haloy.yaml:14)
  token   1Password Production/API Tokens field haloy-api
  env     DB_PASSWORD: 1Password Production/API Tokens field db
target shared (app shared)
  server  shared.haloy.com (server: in haloy.yaml:28)
  token   client store HALOY_API_TOKEN_SHARED_HALOY_COM (set in the config directory's .env)
target staging (app staging)
  server  staging.haloy.com (server: in haloy.yaml:23)
  token   from env STAGING_API_TOKEN (set in .env.staging)
haloy.yaml is valid
`
	if diff := cmp.Diff(want, stdout.String()); diff != "" {
		t.Errorf("run(%q) stdout mismatch (-want +got):\n%s", args, diff)
	}
	if stderr.Len() != 0 {
		t.Errorf("run(%q) stderr = %q, want empty", args, stderr.String())
	}
	if n := len(op.Calls(t)); n != 1 {
		t.Errorf("op ran %d times, want once for the one item", n)
	}
	for _, s := range secrets {
		if strings.Contains(stdout.String()+stderr.String(), s) {
			t.Errorf("run(%q) output reveals %q", args, s)
		}
		for _, c := range op.Calls(t) {
			if strings.Contains(strings.Join(c, " "), s) {
				t.Errorf("op argv %q holds a secret", c)
			}
		}
	}
	if v, ok := os.LookupEnv("HALOY_API_TOKEN_SHARED_HALOY_COM"); ok {
		t.Errorf("validate-config put a .env variable into the process environment (%d bytes)", len(v))
	}
}

// The new user's findings, through the CLI with the production adapters:
// haloy.json is read before haloy.yaml (and haloy says so), camelCase keys
// in JSON, a TOML project by directory, and a shape error that shows the
// shape, with exit code 2.
func TestValidateConfigFormatsRealAdapters(t *testing.T) {
	dir := t.TempDir()
	write := func(name, body string) {
		t.Helper()
		if err := os.MkdirAll(filepath.Dir(filepath.Join(dir, name)), 0o700); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(filepath.Join(dir, name), []byte(body), 0o600); err != nil {
			t.Fatal(err)
		}
	}
	write("both/haloy.json", `{"name": "from-json", "server": "prod.haloy.com", "image": "nginx:1.27", "apiToken": {"from": {"env": "PROD_TOKEN"}}}`)
	write("both/haloy.yaml", "name: from-yaml\n")
	write("toml/haloy.toml", "name = \"from-toml\"\nserver = \"prod.haloy.com\"\nimage = \"nginx:1.27\"\nport = 80\n\n[api_token.from]\nenv = \"PROD_TOKEN\"\n")
	write("shape/haloy.yaml", "name: a\nserver: prod.haloy.com\napi_token: \"mytoken\"\n")
	t.Setenv("HALOY_CONFIG_DIR", filepath.Join(dir, "client"))
	t.Setenv("PROD_TOKEN", "tok-prod-9999")
	t.Chdir(dir)
	tests := []struct {
		name, config     string
		wantCode         int
		wantOut, wantErr string
	}{
		{"json_first", "both", 0, "app from-json\n  server  prod.haloy.com (server: in " + filepath.Join("both", "haloy.json") + ":1)\n  token   from env PROD_TOKEN\n" + filepath.Join("both", "haloy.json") + " is valid\n",
			"haloy: using " + filepath.Join("both", "haloy.json") + "; not read: " + filepath.Join("both", "haloy.yaml") + " (the first of haloy.json, haloy.yaml, haloy.yml, haloy.toml is used; pass --config to choose)\n"},
		{"toml_by_directory", "toml", 0, "app from-toml\n  server  prod.haloy.com (server: in " + filepath.Join("toml", "haloy.toml") + ":2)\n  token   from env PROD_TOKEN\n" + filepath.Join("toml", "haloy.toml") + " is valid\n", ""},
		{"shape_error", "shape", 2, "", "haloy: error: " + filepath.Join("shape", "haloy.yaml") + ":3:12: api_token is a string, but it must be a mapping\n" +
			"haloy: api_token takes the keys: value, from\n" +
			"haloy: hint: e.g. api_token: {from: {env: PROD_API_TOKEN}} (or from: {secret: onepassword:tokens:prod}, or value: ...)\n"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var stdout, stderr bytes.Buffer
			args := []string{"haloy", "validate-config", "-c", tt.config}
			code := run(context.Background(), args, strings.NewReader(""), &stdout, &stderr, &app.Wiring{Adapters: app.Adapters})
			if code != tt.wantCode {
				t.Errorf("run(%q) = %d, want %d", args, code, tt.wantCode)
			}
			if diff := cmp.Diff(tt.wantOut, stdout.String()); diff != "" {
				t.Errorf("run(%q) stdout mismatch (-want +got):\n%s", args, diff)
			}
			if diff := cmp.Diff(tt.wantErr, stderr.String()); diff != "" {
				t.Errorf("run(%q) stderr mismatch (-want +got):\n%s", args, diff)
			}
			if strings.Contains(stdout.String()+stderr.String(), "tok-prod-9999") {
				t.Errorf("run(%q) output reveals the token", args)
			}
		})
	}
}
