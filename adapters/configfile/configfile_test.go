package configfile_test

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"

	"github.com/haloy-auth/haloy/adapters/configfile"
	"github.com/haloy-auth/haloy/adapters/porttest"
	"github.com/haloy-auth/haloy/core"
	"github.com/haloy-auth/haloy/ports"
)

// Every YAML example of Haloy's authentication guide, kept under
// docs/testdata/guide, must load.
func TestGuideExamplesLoad(t *testing.T) {
	root := filepath.Join("..", "..", "docs", "testdata", "guide")
	var files []string
	err := filepath.WalkDir(root, func(p string, d os.DirEntry, err error) error {
		if err == nil && !d.IsDir() {
			files = append(files, p)
		}
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	if len(files) < 12 {
		t.Fatalf("found %d guide fixtures, want at least 12", len(files))
	}
	for _, f := range files {
		t.Run(strings.TrimPrefix(f, root+"/"), func(t *testing.T) {
			cfg, err := configfile.New().Load(context.Background(), f)
			if err != nil {
				t.Fatalf("Load(%q) error: %v", f, err)
			}
			if cfg.Server == "" && len(cfg.Targets) == 0 {
				t.Errorf("Load(%q) gave no server and no targets", f)
			}
		})
	}
}

func guide(name string) string { return filepath.Join("..", "..", "docs", "testdata", "guide", name) }

func TestLoadDecodes(t *testing.T) {
	ignore := cmpopts.IgnoreFields(core.AppConfig{}, "Lines", "Format")
	tests := []struct {
		name string
		path string
		want core.AppConfig
	}{
		{"from_env", guide("from-env.haloy.yaml"), core.AppConfig{
			TargetConfig: core.TargetConfig{Name: "my-app", Server: "api.haloy.dev",
				APIToken: &core.APITokenConfig{From: &core.ValueFrom{Env: "PRODUCTION_DEPLOY_TOKEN"}},
				Image:    &core.Image{Repository: "my-app", Tag: "latest"}},
			File: guide("from-env.haloy.yaml"),
		}},
		{"camel_case_providers", guide("from-secret.haloy.yaml"), core.AppConfig{
			TargetConfig: core.TargetConfig{Name: "my-app", Server: "api.haloy.dev",
				APIToken: &core.APITokenConfig{From: &core.ValueFrom{Secret: "onepassword:api-tokens.production"}},
				Image:    &core.Image{Repository: "my-app", Tag: "latest"}},
			SecretProviders: core.SecretProviders{"onepassword": {"api-tokens": {"vault": "Infrastructure", "item": "Haloy API Tokens"}}},
			File:            guide("from-secret.haloy.yaml"),
		}},
		{"literal_value", guide("value.haloy.yaml"), core.AppConfig{
			TargetConfig: core.TargetConfig{Name: "my-app", Server: "api.haloy.dev",
				APIToken: &core.APITokenConfig{Value: "your_token_here"},
				Image:    &core.Image{Repository: "my-app", Tag: "latest"}},
			File: guide("value.haloy.yaml"),
		}},
		{"targets", guide("multi-target.haloy.yaml"), core.AppConfig{
			TargetConfig: core.TargetConfig{Name: "my-app", Image: &core.Image{Repository: "my-org/my-app", Tag: "latest"}},
			Targets: map[string]core.TargetConfig{
				"production": {Server: "prod.haloy.com",
					APIToken: &core.APITokenConfig{From: &core.ValueFrom{Secret: "onepassword:prod-tokens.haloy-api"}},
					Domains:  []core.Domain{{Domain: "my-app.com"}}},
				"staging": {Server: "staging.haloy.com",
					APIToken: &core.APITokenConfig{From: &core.ValueFrom{Env: "STAGING_API_TOKEN"}},
					Domains:  []core.Domain{{Domain: "staging.my-app.com"}}},
			},
			SecretProviders: core.SecretProviders{"onepassword": {"prod-tokens": {"vault": "Production", "item": "API Tokens"}}},
			File:            guide("multi-target.haloy.yaml"),
		}},
		{"directory_finds_haloy_yaml", guide("project-b"), core.AppConfig{
			TargetConfig: core.TargetConfig{Server: "project-b.haloy.com",
				APIToken: &core.APITokenConfig{From: &core.ValueFrom{Env: "PROJECT_B_TOKEN"}}},
			File: filepath.Join(guide("project-b"), "haloy.yaml"),
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := configfile.New().Load(context.Background(), tt.path)
			if err != nil {
				t.Fatalf("Load(%q) error: %v", tt.path, err)
			}
			if diff := cmp.Diff(tt.want, got, ignore); diff != "" {
				t.Errorf("Load(%q) mismatch (-want +got):\n%s", tt.path, diff)
			}
		})
	}
}

func TestLoadRecordsLines(t *testing.T) {
	cfg, err := configfile.New().Load(context.Background(), guide("multi-target.haloy.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	for path, want := range map[string]int{
		"name": 1, "secret_providers": 6, "targets.production.api_token": 15,
		"targets.production.api_token.from.secret": 17, "targets.staging.api_token.from.env": 25,
		"targets.staging.domains.0": 27,
	} {
		if got := cfg.Lines[path]; got != want {
			t.Errorf("Lines[%q] = %d, want %d", path, got, want)
		}
	}
	if got, want := cfg.Where("targets.staging.api_token.from.env"), guide("multi-target.haloy.yaml")+":25"; got != want {
		t.Errorf("Where(...) = %q, want %q", got, want)
	}
}

func write(t *testing.T, dir, name, body string) string {
	t.Helper()
	p := filepath.Join(dir, name)
	if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(p, []byte(body), 0o600); err != nil {
		t.Fatal(err)
	}
	return p
}

func TestLoadFindsFile(t *testing.T) {
	tests := []struct {
		name  string
		files []string
		want  string
	}{
		{"yaml", []string{"haloy.yaml"}, "haloy.yaml"},
		{"yml", []string{"haloy.yml"}, "haloy.yml"},
		{"json", []string{"haloy.json"}, "haloy.json"},
		{"toml", []string{"haloy.toml"}, "haloy.toml"},
		// Haloy's order: json, yaml, yml, toml
		{"json_first", []string{"haloy.json", "haloy.yml", "haloy.yaml", "haloy.toml"}, "haloy.json"},
		{"yaml_before_yml", []string{"haloy.yml", "haloy.yaml", "haloy.toml"}, "haloy.yaml"},
		{"yml_before_toml", []string{"haloy.yml", "haloy.toml"}, "haloy.yml"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			dir := t.TempDir()
			for _, f := range tt.files {
				body := "name: " + strings.ReplaceAll(f, ".", "-") + "\n"
				if strings.HasSuffix(f, ".json") {
					body = `{"name": "` + strings.ReplaceAll(f, ".", "-") + `", "server": "a.example.com"}`
				}
				if strings.HasSuffix(f, ".toml") {
					body = `name = "` + strings.ReplaceAll(f, ".", "-") + `"` + "\n"
				}
				write(t, dir, f, body)
			}
			got, err := configfile.New().Load(context.Background(), dir)
			if err != nil {
				t.Fatalf("Load(%q) error: %v", dir, err)
			}
			if want := filepath.Join(dir, tt.want); got.File != want {
				t.Errorf("Load(dir).File = %q, want %q", got.File, want)
			}
			if want := strings.ReplaceAll(tt.want, ".", "-"); got.Name != want {
				t.Errorf("Load(dir).Name = %q, want %q", got.Name, want)
			}
		})
	}
}

func TestLoadCurrentDirectory(t *testing.T) {
	dir := t.TempDir()
	write(t, dir, "haloy.yaml", "name: here\n")
	t.Chdir(dir)
	got, err := configfile.New().Load(context.Background(), "")
	if err != nil {
		t.Fatal(err)
	}
	if got.File != "haloy.yaml" || got.Name != "here" {
		t.Errorf(`Load("") = {File: %q, Name: %q}, want {File: "haloy.yaml", Name: "here"}`, got.File, got.Name)
	}
}

func TestLoadErrors(t *testing.T) {
	const secret = "s3cr3t-token-value-0042"
	tests := []struct {
		name string
		file string // written as haloy.yaml unless it names another file
		body string
		want *core.Error
	}{
		{"unknown_top_key", "haloy.yaml", "name: a\nserver: b.example.com\napi_tokn:\n  value: x\n", &core.Error{Kind: core.Invalid,
			What: "haloy.yaml:3:1: unknown key \"api_tokn\"",
			Why:  "the keys here are: name, preset, image, image_key, server, api_token, deployment_strategy, naming_strategy, protected, domains, env, health_check_path, min_ready_seconds, port, replicas, volumes, network, pre_deploy, post_deploy, images, targets, secret_providers, global_pre_deploy, global_post_deploy",
			Fix:  `did you mean "api_token"?`}},
		{"unknown_key_in_target", "haloy.yaml", "name: a\ntargets:\n  prod:\n    sever: b.example.com\n", &core.Error{Kind: core.Invalid,
			What: "haloy.yaml:4:5: unknown key \"sever\"",
			Why:  "the keys in targets.prod are: name, preset, image, image_key, server, api_token, deployment_strategy, naming_strategy, protected, domains, env, health_check_path, min_ready_seconds, port, replicas, volumes, network, pre_deploy, post_deploy",
			Fix:  `did you mean "server"?`}},
		{"unknown_key_in_from", "haloy.yaml", "name: a\napi_token:\n  from:\n    enb: X\n", &core.Error{Kind: core.Invalid,
			What: "haloy.yaml:4:5: unknown key \"enb\"",
			Why:  "the keys in api_token.from are: env, secret, oidc",
			Fix:  `did you mean "env"?`}},
		{"unknown_key_in_env_entry", "haloy.yaml", "name: a\nenv:\n  - name: A\n    vaule: b\n", &core.Error{Kind: core.Invalid,
			What: "haloy.yaml:4:5: unknown key \"vaule\"",
			Why:  "the keys in env[0] are: name, value, from, build_arg",
			Fix:  `did you mean "value"?`}},
		{"unknown_key_no_close_match", "haloy.yaml", "name: a\nimage:\n  repository: x\n  zzzzzzzz: y\n", &core.Error{Kind: core.Invalid,
			What: "haloy.yaml:4:3: unknown key \"zzzzzzzz\"",
			Why:  "the keys in image are: repository, tag, pull_policy, history, registry, build, build_config",
			Fix:  "remove it, or use one of the keys listed"}},
		{"unknown_key_json", "haloy.json", `{"name": "a", "serverr": "b"}`, &core.Error{Kind: core.Invalid,
			What: "haloy.json:1:15: unknown key \"serverr\"",
			Why:  "the keys here are: name, preset, image, imageKey, server, apiToken, deploymentStrategy, namingStrategy, protected, domains, env, healthCheckPath, minReadySeconds, port, replicas, volumes, network, preDeploy, postDeploy, images, targets, secretProviders, globalPreDeploy, globalPostDeploy",
			Fix:  `did you mean "server"?`}},
		{"both_provider_spellings", "haloy.yaml", "name: a\nsecret_providers:\n  onepassword: {}\nsecretProviders:\n  onepassword: {}\n", &core.Error{Kind: core.Invalid,
			What: "haloy.yaml:4:1: both secret_providers and secretProviders are set",
			Why:  "they are two spellings of one setting", Fix: "merge them under secret_providers"}},
		{"wrong_type_never_quotes_value", "haloy.yaml", "name: a\napi_token: " + secret + "\n", &core.Error{Kind: core.Invalid,
			What: "haloy.yaml:2:12: api_token is a string, but it must be a mapping",
			Why:  "api_token takes the keys: value, from",
			Fix:  "e.g. api_token: {from: {env: PROD_API_TOKEN}} (or from: {secret: onepassword:tokens:prod}, or value: ...)"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			dir := t.TempDir()
			write(t, dir, tt.file, tt.body)
			t.Chdir(dir)
			_, err := configfile.New().Load(context.Background(), "")
			var got *core.Error
			if !errors.As(err, &got) {
				t.Fatalf("Load() error = %v, want *core.Error", err)
			}
			if diff := cmp.Diff(tt.want, got, cmpopts.IgnoreFields(core.Error{}, "Err")); diff != "" {
				t.Errorf("Load() error mismatch (-want +got):\n%s", diff)
			}
			if strings.Contains(got.What+got.Why+got.Fix, secret) {
				t.Errorf("Load() error %q reveals the file's secret", got)
			}
		})
	}
}

func TestLoadNotFound(t *testing.T) {
	dir := t.TempDir()
	tests := []struct {
		name, path string
		want       *core.Error
	}{
		{"empty_dir", dir, &core.Error{Kind: core.NotFound, What: "no app config in " + `"` + dir + `"`,
			Why: "looked for haloy.json, haloy.yaml, haloy.yml, haloy.toml",
			Fix: "create haloy.yaml there, or pass --config <file> (e.g. --config production.haloy.yaml)"}},
		{"missing_file", filepath.Join(dir, "production.haloy.yaml"), &core.Error{Kind: core.NotFound,
			What: `app config "` + filepath.Join(dir, "production.haloy.yaml") + `" not found`,
			Why:  "there is no such file or directory", Fix: "pass --config with the path of your haloy.yaml"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := configfile.New().Load(context.Background(), tt.path)
			var got *core.Error
			if !errors.As(err, &got) {
				t.Fatalf("Load(%q) error = %v, want *core.Error", tt.path, err)
			}
			if diff := cmp.Diff(tt.want, got, cmpopts.IgnoreFields(core.Error{}, "Err")); diff != "" {
				t.Errorf("Load(%q) error mismatch (-want +got):\n%s", tt.path, diff)
			}
		})
	}
}

func TestLoadTakesAnyFileName(t *testing.T) {
	dir := t.TempDir()
	p := write(t, dir, "production.haloy.yaml", "name: a\nserver: production.haloy.com\nenv:\n  - name: PORT\n    value: 8080\n")
	got, err := configfile.New().Load(context.Background(), p)
	if err != nil {
		t.Fatal(err)
	}
	want := []core.EnvVar{{Name: "PORT", Value: "8080"}}
	if diff := cmp.Diff(want, got.Env); diff != "" {
		t.Errorf("Load(%q).Env mismatch (-want +got):\n%s", p, diff)
	}
}

func TestContract(t *testing.T) {
	porttest.AppConfigs(t, func(t *testing.T, dir string, apps map[string]string) ports.AppConfigs {
		for p, name := range apps {
			body := "name: " + name + "\n"
			if strings.HasSuffix(p, ".json") {
				body = `{"name": "` + name + `"}`
			}
			if strings.HasSuffix(p, ".toml") {
				body = `name = "` + name + `"` + "\n"
			}
			write(t, dir, p, body)
		}
		return configfile.New()
	})
}

// An alias inside the anchor it names expands without end: the error says
// where the alias is and what to do (found by FuzzDecode: it named no line).
func TestSelfReferencingAlias(t *testing.T) {
	_, err := configfile.Decode("haloy.yaml", []byte("&0\n*0"))
	want := &core.Error{Kind: core.Invalid, What: "haloy.yaml:2:1: an alias expands without end, or too deeply",
		Why: "an alias (*name) stands for its anchor's value (&name), and this one is inside that value, or aliases nest too deeply",
		Fix: "write the value out in place of the alias at haloy.yaml:2:1"}
	var got *core.Error
	if !errors.As(err, &got) {
		t.Fatalf("Decode() error = %v, want %v", err, want)
	}
	if diff := cmp.Diff(want, got, cmpopts.IgnoreFields(core.Error{}, "Err")); diff != "" {
		t.Errorf("Decode() error mismatch (-want +got):\n%s", diff)
	}
}
