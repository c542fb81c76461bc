package configfile_test

import (
	"errors"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"

	"github.com/haloy-auth/haloy/adapters/configfile"
	"github.com/haloy-auth/haloy/core"
)

func intp(n int) *int    { return &n }
func boolp(b bool) *bool { return &b }

// The issue's example: an ordinary Haloy project, in each format.
var issueExample = core.AppConfig{
	TargetConfig: core.TargetConfig{Name: "my-app", Server: "production.haloy.com",
		Image:           &core.Image{Repository: "ghcr.io/you/my-app", Tag: "latest"},
		APIToken:        &core.APITokenConfig{From: &core.ValueFrom{Env: "PROD_TOKEN"}},
		Domains:         []core.Domain{{Domain: "my-app.com", Aliases: []string{"www.my-app.com"}}},
		Port:            "8080",
		Replicas:        intp(2),
		HealthCheckPath: "/health",
		Env:             []core.EnvVar{{Name: "DATABASE_URL", Value: "postgres://x"}, {Name: "VERSION", Value: "1", BuildArg: true}},
		Volumes:         []string{"data:/app/data"},
		Protected:       boolp(true),
	},
	SecretProviders: core.SecretProviders{"sops": {"prod": {"file": "secrets.enc.yaml", "format": "yaml"}}},
}

func TestDecodeFormats(t *testing.T) {
	tests := []struct {
		name, file, body string
	}{
		{"yaml", "haloy.yaml", `name: my-app
server: production.haloy.com
image: { repository: ghcr.io/you/my-app, tag: latest }
api_token: {from: {env: PROD_TOKEN}}
domains: [{ domain: my-app.com, aliases: [www.my-app.com] }]
port: 8080
replicas: 2
health_check_path: /health
env: [{ name: DATABASE_URL, value: postgres://x }, {name: VERSION, value: "1", build_arg: true}]
volumes: ["data:/app/data"]
protected: true
secret_providers: {sops: {prod: {file: secrets.enc.yaml, format: yaml}}}
`},
		{"json_camel_case", "haloy.json", `{"name": "my-app", "server": "production.haloy.com",
 "image": {"repository": "ghcr.io/you/my-app", "tag": "latest"},
 "apiToken": {"from": {"env": "PROD_TOKEN"}},
 "domains": [{"domain": "my-app.com", "aliases": ["www.my-app.com"]}],
 "port": "8080", "replicas": 2, "healthCheckPath": "/health",
 "env": [{"name": "DATABASE_URL", "value": "postgres://x"}, {"name": "VERSION", "value": "1", "buildArg": true}],
 "volumes": ["data:/app/data"], "protected": true,
 "secretProviders": {"sops": {"prod": {"file": "secrets.enc.yaml", "format": "yaml"}}}}`},
		{"toml", "haloy.toml", `name = "my-app"
server = "production.haloy.com"
port = 8080
replicas = 2
health_check_path = "/health"
volumes = ["data:/app/data"]
protected = true

[image]
repository = "ghcr.io/you/my-app"
tag = "latest"

[api_token.from]
env = "PROD_TOKEN"

[[domains]]
domain = "my-app.com"
aliases = ["www.my-app.com"]

[[env]]
name = "DATABASE_URL"
value = "postgres://x"

[[env]]
name = "VERSION"
value = "1"
build_arg = true

[secret_providers.sops.prod]
file = "secrets.enc.yaml"
format = "yaml"
`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := configfile.Decode(tt.file, []byte(tt.body))
			if err != nil {
				t.Fatalf("Decode(%s) error: %v", tt.file, err)
			}
			if diff := cmp.Diff(issueExample, got, cmpopts.IgnoreFields(core.AppConfig{}, "Lines", "File", "Format")); diff != "" {
				t.Errorf("Decode(%s) mismatch (-want +got):\n%s", tt.file, diff)
			}
		})
	}
}

func TestDecodeShortImage(t *testing.T) {
	tests := []struct {
		body string
		want core.Image
	}{
		{"image: nginx:latest\n", core.Image{Repository: "nginx", Tag: "latest", Short: true}},
		{"image: nginx\n", core.Image{Repository: "nginx", Short: true}},
		{"image: localhost:5000/team/app\n", core.Image{Repository: "localhost:5000/team/app", Short: true}},
		{"image: localhost:5000/team/app:v2\n", core.Image{Repository: "localhost:5000/team/app", Tag: "v2", Short: true}},
		{"image: nginx@sha256:0123\n", core.Image{Repository: "nginx@sha256:0123", Short: true}},
	}
	for _, tt := range tests {
		got, err := configfile.Decode("haloy.yaml", []byte(tt.body))
		if err != nil {
			t.Fatalf("Decode(%q) error: %v", tt.body, err)
		}
		if diff := cmp.Diff(&tt.want, got.Image); diff != "" {
			t.Errorf("Decode(%q).Image mismatch (-want +got):\n%s", tt.body, diff)
		}
	}
}

func TestDecodeFormatErrors(t *testing.T) {
	tests := []struct {
		name, file, body string
		want             *core.Error
	}{
		// upstream refuses the snake_case spelling in haloy.json
		{"json_snake_case", "haloy.json", `{"name": "a", "api_token": {"value": "x"}}`, &core.Error{Kind: core.Invalid,
			What: `haloy.json:1:15: unknown key "api_token"`,
			Why:  "the keys here are: name, preset, image, imageKey, server, apiToken, deploymentStrategy, namingStrategy, protected, domains, env, healthCheckPath, minReadySeconds, port, replicas, volumes, network, preDeploy, postDeploy, images, targets, secretProviders, globalPreDeploy, globalPostDeploy",
			Fix:  `did you mean "apiToken"?`}},
		{"json_nested_unknown", "haloy.json", "{\"name\": \"a\",\n \"env\": [{\"name\": \"A\", \"valu\": \"b\"}]}", &core.Error{Kind: core.Invalid,
			What: `haloy.json:2:24: unknown key "valu"`,
			Why:  "the keys in env[0] are: name, value, from, buildArg",
			Fix:  `did you mean "value"?`}},
		{"toml_unknown_key", "haloy.toml", "name = \"a\"\n\n[targets.prod]\nsever = \"x\"\n", &core.Error{Kind: core.Invalid,
			What: `haloy.toml:4:1: unknown key "sever"`,
			Why:  "the keys in targets.prod are: name, preset, image, image_key, server, api_token, deployment_strategy, naming_strategy, protected, domains, env, health_check_path, min_ready_seconds, port, replicas, volumes, network, pre_deploy, post_deploy",
			Fix:  `did you mean "server"?`}},
		{"toml_unknown_key_in_array_table", "haloy.toml", "name = \"a\"\n\n[[env]]\nname = \"A\"\n\n[[env]]\nname = \"B\"\nvalu = \"x\"\n", &core.Error{Kind: core.Invalid,
			What: `haloy.toml:8:1: unknown key "valu"`,
			Why:  "the keys in env[1] are: name, value, from, build_arg",
			Fix:  `did you mean "value"?`}},
		{"toml_shape", "haloy.toml", "name = \"a\"\napi_token = \"mytoken\"\n", &core.Error{Kind: core.Invalid,
			What: `haloy.toml:2:1: api_token is a string, but it must be a mapping`,
			Why:  "api_token takes the keys: value, from",
			Fix:  "e.g. api_token: {from: {env: PROD_API_TOKEN}} (or from: {secret: onepassword:tokens:prod}, or value: ...)"}},
		{"toml_syntax", "haloy.toml", "name = \"a\"\nserver\n", &core.Error{Kind: core.Invalid,
			What: `haloy.toml:2:7: expected '=' after key`,
			Why:  "the file is not valid TOML", Fix: "check the file's syntax"}},
		{"replicas_not_a_number", "haloy.yaml", "name: a\nreplicas: two\n", &core.Error{Kind: core.Invalid,
			What: `haloy.yaml:2:11: replicas is a string, but it must be a whole number`,
			Why:  "it counts something", Fix: "write a number without quotes, e.g. replicas: 2"}},
		{"env_not_a_list", "haloy.yaml", "name: a\nenv: {name: A}\n", &core.Error{Kind: core.Invalid,
			What: `haloy.yaml:2:6: env is a mapping, but it must be a list`,
			Why:  "even a single entry is written as a list", Fix: "write each entry on a line starting with '- '"}},
		{"unknown_extension", "haloy.conf", "name: a\n", &core.Error{Kind: core.Invalid,
			What: `cannot tell the format of app config "haloy.conf"`,
			Why:  "an app config's name ends in .json, .yaml, .yml or .toml", Fix: "rename it, e.g. to haloy.yaml"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := configfile.Decode(tt.file, []byte(tt.body))
			var got *core.Error
			if !errors.As(err, &got) {
				t.Fatalf("Decode() error = %v, want *core.Error", err)
			}
			if diff := cmp.Diff(tt.want, got, cmpopts.IgnoreFields(core.Error{}, "Err")); diff != "" {
				t.Errorf("Decode() error mismatch (-want +got):\n%s", diff)
			}
		})
	}
}

// api_token.from.oidc: the short form "github" and the mappings, in every
// format.
func TestDecodeOIDCSource(t *testing.T) {
	tests := []struct {
		name, file, body string
		want             core.OIDCSource
	}{
		{"yaml_short", "haloy.yaml", "name: a\napi_token: {from: {oidc: github}}\n", core.OIDCSource{Provider: "github"}},
		{"yaml_mapping", "haloy.yaml", "name: a\napi_token:\n  from:\n    oidc: {provider: github, audience: deploy-prod}\n",
			core.OIDCSource{Provider: "github", Audience: "deploy-prod"}},
		{"yaml_env", "haloy.yaml", "name: a\napi_token: {from: {oidc: {env: GITLAB_OIDC_TOKEN}}}\n", core.OIDCSource{Env: "GITLAB_OIDC_TOKEN"}},
		{"json_short", "haloy.json", `{"name": "a", "apiToken": {"from": {"oidc": "github"}}}`, core.OIDCSource{Provider: "github"}},
		{"json_env", "haloy.json", `{"name": "a", "apiToken": {"from": {"oidc": {"env": "ID_TOKEN"}}}}`, core.OIDCSource{Env: "ID_TOKEN"}},
		{"toml_short", "haloy.toml", "name = \"a\"\n[api_token.from]\noidc = \"github\"\n", core.OIDCSource{Provider: "github"}},
		{"toml_env", "haloy.toml", "name = \"a\"\n[api_token.from.oidc]\nenv = \"ID_TOKEN\"\n", core.OIDCSource{Env: "ID_TOKEN"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := configfile.Decode(tt.file, []byte(tt.body))
			if err != nil {
				t.Fatalf("Decode(%s) error: %v", tt.file, err)
			}
			if got.APIToken == nil || got.APIToken.From == nil || got.APIToken.From.OIDC == nil {
				t.Fatalf("Decode(%s) api_token = %+v, want from.oidc", tt.file, got.APIToken)
			}
			if diff := cmp.Diff(tt.want, *got.APIToken.From.OIDC); diff != "" {
				t.Errorf("Decode(%s) oidc mismatch (-want +got):\n%s", tt.file, diff)
			}
		})
	}
	if _, err := configfile.Decode("haloy.yaml", []byte("name: a\napi_token: {from: {oidc: [github]}}\n")); err == nil ||
		!strings.Contains(err.Error(), "must be github or a mapping") {
		t.Errorf("Decode of oidc: [github] error = %v, want the shape error", err)
	}
}
