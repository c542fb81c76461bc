package core_test

import (
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/haloy-auth/haloy/core"
)

// Each case breaks one rule of a valid config; Check must name it, and a
// valid config must pass.
func TestAppConfigCheckRules(t *testing.T) {
	valid := func() core.AppConfig {
		return core.AppConfig{File: "haloy.yaml", TargetConfig: core.TargetConfig{Name: "my-app", Server: "s.haloy.com",
			Image: &core.Image{Repository: "ghcr.io/acme/app", Tag: "v1"}}}
	}
	tests := []struct {
		name   string
		change func(c *core.AppConfig)
		want   string // "" for valid; else the start of the only error
	}{
		{"valid", func(c *core.AppConfig) {}, ""},
		{"valid_everything", func(c *core.AppConfig) {
			c.Port, c.Replicas, c.MinReadySeconds, c.HealthCheckPath = "3000", ptr(2), ptr(30), "/health"
			c.Domains = []core.Domain{{Domain: "my-app.com", Aliases: []string{"www.my-app.com"}}}
			c.Volumes = []string{"data:/app/data", "/srv/x:/x:ro"}
			c.Preset, c.Env = core.PresetService, []core.EnvVar{{Name: "A_1", Value: "x"}}
			c.DeploymentStrategy, c.NamingStrategy = core.DeploymentReplace, core.NamingStatic
			c.Replicas = ptr(1)
		}, ""},
		{"name_with_spaces", func(c *core.AppConfig) { c.Name = "my app" }, `invalid app name "my app" (haloy.yaml): an app name is 1 to 255 lower-case`},
		{"name_unicode", func(c *core.AppConfig) { c.Name = "appé" }, `invalid app name "appé" (haloy.yaml)`},
		{"name_300_chars", func(c *core.AppConfig) { c.Name = strings.Repeat("a", 300) }, `invalid app name "aaaa`},
		{"env_name_with_dash", func(c *core.AppConfig) { c.Env = []core.EnvVar{{Name: "bad-env", Value: "x"}} },
			`invalid env variable name "bad-env" (haloy.yaml): a variable name is letters, digits and '_', not starting with a digit`},
		{"preset", func(c *core.AppConfig) { c.Preset = "cache" }, `unknown preset "cache" (haloy.yaml): the presets are database and service`},
		{"naming", func(c *core.AppConfig) { c.NamingStrategy = "fixed" }, `unknown naming_strategy "fixed"`},
		{"deployment", func(c *core.AppConfig) { c.DeploymentStrategy = "blue-green" }, `unknown deployment_strategy "blue-green"`},
		{"static_needs_replace", func(c *core.AppConfig) { c.NamingStrategy = core.NamingStatic }, "naming_strategy static needs deployment_strategy replace"},
		{"static_one_replica", func(c *core.AppConfig) {
			c.NamingStrategy, c.DeploymentStrategy, c.Replicas = core.NamingStatic, core.DeploymentReplace, ptr(2)
		}, "naming_strategy static cannot run 2 replicas"},
		{"domain_one_label", func(c *core.AppConfig) { c.Domains = []core.Domain{{Domain: "myapp"}} }, `invalid domain "myapp" (haloy.yaml): a domain has at least two labels`},
		{"alias_bad", func(c *core.AppConfig) { c.Domains = []core.Domain{{Domain: "a.com", Aliases: []string{"-x.com"}}} }, `invalid domain "-x.com"`},
		{"port_zero", func(c *core.AppConfig) { c.Port = "0" }, `invalid port "0"`},
		{"port_text", func(c *core.AppConfig) { c.Port = "http" }, `invalid port "http"`},
		{"volume_relative", func(c *core.AppConfig) { c.Volumes = []string{"./data:/data"} }, `invalid volume "./data:/data" (haloy.yaml): a host path must be absolute`},
		{"volume_no_target", func(c *core.AppConfig) { c.Volumes = []string{"data"} }, `invalid volume "data"`},
		{"health_check_path", func(c *core.AppConfig) { c.HealthCheckPath = "health" }, `health_check_path "health" does not start with /`},
		{"replicas_zero", func(c *core.AppConfig) { c.Replicas = ptr(0) }, "replicas is 0"},
		{"min_ready_too_long", func(c *core.AppConfig) { c.MinReadySeconds = ptr(601) }, "min_ready_seconds is 601"},
		{"no_image", func(c *core.AppConfig) { c.Image = nil }, `no image to deploy for app "my-app": haloy.yaml sets no image.repository`},
		{"build", func(c *core.AppConfig) { c.Image.Build = ptr(true) }, `image "ghcr.io/acme/app" is to be built locally`},
		{"pull_policy", func(c *core.AppConfig) { c.Image.PullPolicy = "sometimes" }, `unknown image.pull_policy "sometimes"`},
		{"history_strategy", func(c *core.AppConfig) { c.Image.History = &core.ImageHistory{Strategy: "cloud"} }, `unknown image.history.strategy "cloud"`},
		{"registry_history_latest", func(c *core.AppConfig) {
			c.Image.Tag = "latest"
			c.Image.History = &core.ImageHistory{Strategy: core.HistoryRegistry, Count: ptr(3), Pattern: "v*"}
		}, `image.tag "latest" can change under the registry strategy`},
		{"registry_auth_empty", func(c *core.AppConfig) {
			c.Image.Registry = &core.RegistryAuth{Password: core.ValueSource{From: &core.ValueFrom{Env: "P"}}}
		}, "image.registry.username sets no value"},
		{"tag_server_refuses", func(c *core.AppConfig) { c.Image.Tag = "v1+build" }, `invalid image.tag "v1+build"`},
		{"image_whitespace", func(c *core.AppConfig) { c.Image.Repository = "ghcr.io/acme/my app" }, "image.repository contains whitespace"},
		{"hooks", func(c *core.AppConfig) {
			c.PreDeploy, c.PostDeploy = []string{"npm run migrate"}, []string{"./purge.sh"}
		}, ""},
		{"pre_deploy_empty", func(c *core.AppConfig) { c.PreDeploy = []string{"npm run migrate", "  "} }, "pre_deploy command 2 is empty (haloy.yaml): each entry"},
		{"post_deploy_empty_json", func(c *core.AppConfig) { c.Format, c.PostDeploy = "json", []string{""} }, "postDeploy command 1 is empty (haloy.yaml)"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c := valid()
			tt.change(&c)
			errs := c.Check("")
			switch {
			case tt.want == "" && len(errs) > 0:
				t.Errorf("Check() = %v, want no error", errs)
			case tt.want != "" && len(errs) != 1:
				t.Errorf("Check() = %v, want one error starting %q", errs, tt.want)
			case tt.want != "" && !strings.HasPrefix(errs[0].Error(), tt.want):
				t.Errorf("Check() = %q, want it to start with %q", errs[0].Error(), tt.want)
			}
		})
	}
}

// Haloy's DeployConfig rules: a multi-target config needs distinct names.
func TestAppConfigCheckNamesDistinct(t *testing.T) {
	c := core.AppConfig{File: "haloy.yaml", TargetConfig: core.TargetConfig{Image: &core.Image{Repository: "x/y"}},
		Targets: map[string]core.TargetConfig{"a": {Name: "same"}, "b": {Name: "same"}, "c": {}}}
	got := c.CheckTargets()
	var msgs []string
	for _, e := range got {
		msgs = append(msgs, e.Error())
	}
	want := []string{`targets a and b both deploy the app "same" (haloy.yaml): each target deploys its own app, named by name: or by its key`}
	if diff := cmp.Diff(want, msgs); diff != "" {
		t.Errorf("CheckTargets() mismatch (-want +got):\n%s", diff)
	}
}

func TestAppConfigCheckGlobalHooks(t *testing.T) {
	c := core.AppConfig{File: "haloy.yaml", GlobalPreDeploy: []string{"make"}, GlobalPostDeploy: []string{"", "notify"},
		Lines: map[string]int{"global_post_deploy.0": 7}}
	var got []string
	for _, err := range c.CheckTargets() {
		got = append(got, err.Error())
	}
	want := []string{"global_post_deploy command 1 is empty (haloy.yaml:7): each entry of a hook is a shell command to run"}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("CheckTargets() mismatch (-want +got):\n%s", diff)
	}
}
