package core

import (
	"encoding/json"
	"errors"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
)

func TestCheckDeployRequest(t *testing.T) {
	yes, no, zero, many := true, false, 0, 1000
	good := func() DeployRequest {
		return DeployRequest{DeploymentID: "01jdz3t4q9w2v1s6m8k0r5n7xb", TargetConfig: DeployTarget{Name: "my-app", Server: "prod.example.com",
			Image:   &DeployImage{Repository: "ghcr.io/acme/my-app", Tag: "v1.2.3"},
			Domains: []Domain{{Domain: "my-app.com", Aliases: []string{"www.my-app.com"}}},
			Env:     []DeployEnv{{Name: "DATABASE_URL", Value: "postgres://u:hunter2@db/x"}, {Name: "_X"}}, Port: "8080"}}
	}
	tests := []struct {
		name     string
		edit     func(*DeployRequest)
		wantWhat string
	}{
		{"good", func(*DeployRequest) {}, ""},
		{"build_false_with_config", func(r *DeployRequest) {
			r.TargetConfig.Image.Build, r.TargetConfig.Image.BuildConfig = &no, json.RawMessage(`{}`)
		}, ""},
		{"upper_case_ulid", func(r *DeployRequest) { r.DeploymentID = "01JDZ3T4Q9W2V1S6M8K0R5N7XB" }, `invalid deploymentID "01JDZ3T4Q9W2V1S6M8K0R5N7XB"`},
		{"no_id", func(r *DeployRequest) { r.DeploymentID = "" }, `invalid deploymentID ""`},
		{"id_too_large", func(r *DeployRequest) { r.DeploymentID = "81jdz3t4q9w2v1s6m8k0r5n7xb" }, `invalid deploymentID "81jdz3t4q9w2v1s6m8k0r5n7xb"`},
		{"no_app", func(r *DeployRequest) { r.TargetConfig.Name = "" }, `invalid app name ""`},
		{"upper_app", func(r *DeployRequest) { r.TargetConfig.Name = "MyApp" }, `invalid app name "MyApp"`},
		{"no_server", func(r *DeployRequest) { r.TargetConfig.Server = "" }, `invalid targetConfig.server ""`},
		{"no_image", func(r *DeployRequest) { r.TargetConfig.Image = nil }, `no image to deploy for app "my-app"`},
		{"bad_tag", func(r *DeployRequest) { r.TargetConfig.Image.Tag = "v1;rm" }, `invalid image.tag "v1;rm"`},
		{"build", func(r *DeployRequest) { r.TargetConfig.Image.Build = &yes }, `image "ghcr.io/acme/my-app:v1.2.3" is to be built, and haloy deploys built images only`},
		{"build_config", func(r *DeployRequest) { r.TargetConfig.Image.BuildConfig = json.RawMessage(`{"context":"."}`) }, `image "ghcr.io/acme/my-app:v1.2.3" is to be built, and haloy deploys built images only`},
		{"port_word", func(r *DeployRequest) { r.TargetConfig.Port = "http" }, `invalid port "http"`},
		{"port_high", func(r *DeployRequest) { r.TargetConfig.Port = "65536" }, `invalid port "65536"`},
		{"strategy", func(r *DeployRequest) { r.TargetConfig.DeploymentStrategy = "blue" }, `invalid deploymentStrategy "blue"`},
		{"replicas", func(r *DeployRequest) { r.TargetConfig.Replicas = &zero }, `invalid replicas "0"`},
		{"min_ready", func(r *DeployRequest) { r.TargetConfig.MinReadySeconds = &many }, `invalid minReadySeconds "1000"`},
		{"health_path", func(r *DeployRequest) { r.TargetConfig.HealthCheckPath = "health" }, `invalid healthCheckPath "health"`},
		{"bad_domain", func(r *DeployRequest) { r.TargetConfig.Domains[0].Domain = "https://x.com" }, `invalid domain "https://x.com"`},
		{"too_many_domains", func(r *DeployRequest) { r.TargetConfig.Domains = make([]Domain, 101) }, `invalid domains "101"`},
		// a value pasted into env must not come back in the error
		{"env_value_in_name", func(r *DeployRequest) { r.TargetConfig.Env[0].Name = "DB_PASSWORD=hunter2" }, "invalid env variable name"},
		{"env_long_value", func(r *DeployRequest) { r.TargetConfig.Env[0].Value = EnvValue("hunter2" + strings.Repeat("x", 70000)) }, "the value of env variable DATABASE_URL is too long"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := good()
			tt.edit(&r)
			err := CheckDeployRequest(r)
			got := ""
			if err != nil {
				var ce *Error
				if !errors.As(err, &ce) || ce.Kind != Invalid {
					t.Fatalf("CheckDeployRequest() = %#v, want a *Error of Kind Invalid", err)
				}
				got = ce.What
				if strings.Contains(err.Error(), "hunter2") {
					t.Errorf("CheckDeployRequest() = %q, leaks the value", err)
				}
			}
			if got != tt.wantWhat {
				t.Errorf("CheckDeployRequest() what = %q, want %q", got, tt.wantWhat)
			}
		})
	}
}

func TestNewDeployRequest(t *testing.T) {
	cfg := TargetConfig{Name: "ignored", Server: "Prod.Example.com", APIToken: &APITokenConfig{Value: "haloy_literaltoken"},
		Image:   &Image{Repository: "ghcr.io/acme/web", Tag: "v2"},
		Domains: []Domain{{Domain: "web.example.com"}},
		Env:     []EnvVar{{Name: "MODE", Value: "prod"}, {Name: "DB_PASSWORD", From: &ValueFrom{Secret: "onepassword:db:password"}}}}
	env := []ResolvedEnvVar{{Name: "MODE", Resolved: Resolved{Value: "prod"}}, {Name: "DB_PASSWORD", Resolved: Resolved{Value: "hunter2"}}}
	providers := SecretProviders{"onepassword": {"db": {"vault": "Prod", "item": "DB"}}}
	got := NewDeployRequest("01jdz3t4q9w2v1s6m8k0r5n7xb", "web", "prod.example.com", cfg, env, providers)
	target := DeployTarget{Name: "web", Server: "prod.example.com", Image: &DeployImage{Repository: "ghcr.io/acme/web", Tag: "v2"},
		Domains: []Domain{{Domain: "web.example.com"}}}
	rollback := RollbackConfig{DeployTarget: target, SecretProviders: providers}
	target.Env = []DeployEnv{{Name: "MODE", Value: "prod"}, {Name: "DB_PASSWORD", Value: "hunter2"}}
	rollback.Env = []DeployEnv{{Name: "MODE", Value: "prod"}, {Name: "DB_PASSWORD", From: &DeployFrom{Secret: "onepassword:db:password"}}}
	want := DeployRequest{DeploymentID: "01jdz3t4q9w2v1s6m8k0r5n7xb", TargetConfig: target, RollbackDeployConfig: rollback}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("NewDeployRequest() mismatch (-want +got):\n%s", diff)
	}
	if err := CheckDeployRequest(got); err != nil {
		t.Errorf("CheckDeployRequest(NewDeployRequest()) = %v, want nil", err)
	}
	body, _ := json.Marshal(got)
	if strings.Contains(string(body), "haloy_literaltoken") || strings.Contains(string(body), "apiToken") {
		t.Errorf("body %s carries the API token", body)
	}
	var back struct {
		Rollback json.RawMessage `json:"rollbackDeployConfig"`
	}
	_ = json.Unmarshal(body, &back)
	if strings.Contains(string(back.Rollback), "hunter2") {
		t.Errorf("rollbackDeployConfig %s carries a resolved secret", back.Rollback)
	}
	if d := got.Deployment("production"); strings.Join(d.EnvNames, ",") != "MODE,DB_PASSWORD" || d.App != "web" || d.Target != "production" {
		t.Errorf("Deployment() = %+v", d)
	}
}

// TestNewDeployRequestBuildArg: each resolved entry carries the build_arg of
// its own env entry, whatever the order of the others.
func TestNewDeployRequestBuildArg(t *testing.T) {
	cfg := TargetConfig{Image: &Image{Repository: "ghcr.io/acme/web"},
		Env: []EnvVar{{Name: "A", Value: "a", BuildArg: true}, {Name: "B", Value: "b"}, {Name: "C", Value: "c", BuildArg: true}}}
	env := []ResolvedEnvVar{{Name: "A", Resolved: Resolved{Value: "a"}}, {Name: "B", Resolved: Resolved{Value: "b"}}, {Name: "C", Resolved: Resolved{Value: "c"}}}
	got := NewDeployRequest("01jdz3t4q9w2v1s6m8k0r5n7xb", "web", "prod.example.com", cfg, env, nil).TargetConfig.Env
	want := []DeployEnv{{Name: "A", Value: "a", BuildArg: true}, {Name: "B", Value: "b"}, {Name: "C", Value: "c", BuildArg: true}}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("NewDeployRequest().TargetConfig.Env mismatch (-want +got):\n%s", diff)
	}
}

// TestDeploymentImage: the recorded deployment names the image sent, and a
// request without one (refused before recording, but Deployment must not
// panic on it) records none.
func TestDeploymentImage(t *testing.T) {
	r := DeployRequest{DeploymentID: "01jdz3t4q9w2v1s6m8k0r5n7xb", TargetConfig: DeployTarget{Name: "web",
		Image: &DeployImage{Repository: "ghcr.io/acme/web", Tag: "v2"}}}
	want := Deployment{ID: "01jdz3t4q9w2v1s6m8k0r5n7xb", App: "web", Target: "production", Image: Image{Repository: "ghcr.io/acme/web", Tag: "v2"}}
	if diff := cmp.Diff(want, r.Deployment("production")); diff != "" {
		t.Errorf("Deployment() mismatch (-want +got):\n%s", diff)
	}
	r.TargetConfig.Image = nil
	want.Image = Image{}
	if diff := cmp.Diff(want, r.Deployment("production")); diff != "" {
		t.Errorf("Deployment() without an image mismatch (-want +got):\n%s", diff)
	}
}
