package core_test

import (
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/haloy-auth/haloy/core"
)

func ptr[T any](v T) *T { return &v }

func TestAppConfigTarget(t *testing.T) {
	baseTok := &core.APITokenConfig{From: &core.ValueFrom{Env: "BASE_TOKEN"}}
	prodTok := &core.APITokenConfig{From: &core.ValueFrom{Secret: "onepassword:t:prod"}}
	cfg := core.AppConfig{
		TargetConfig: core.TargetConfig{Name: "my-app", Server: "base.haloy.com", APIToken: baseTok,
			Image:   &core.Image{Repository: "my-org/my-app", Tag: "v1.0.0", PullPolicy: core.PullNever},
			Domains: []core.Domain{{Domain: "my-app.com", Aliases: []string{"www.my-app.com"}}},
			Env:     []core.EnvVar{envVar("A", "base-a"), envVar("B", "base-b"), envVar("C", "base-c")},
			Port:    "3000", Replicas: ptr(2), Volumes: []string{"data:/data"}, Network: "web"},
		Targets: map[string]core.TargetConfig{
			"inherits": {},
			"overrides": {Name: "other-app", Server: "prod.haloy.com", APIToken: prodTok, Image: &core.Image{Tag: "v2"},
				Domains: []core.Domain{{Domain: "prod.my-app.com"}}, Replicas: ptr(3), Volumes: []string{},
				Env: []core.EnvVar{envVar("B", "prod-b"), envVar("D", "prod-d")}},
			// An empty list replaces the base's list: the target has no domains.
			"no_domains": {Domains: []core.Domain{}},
			// Haloy kept the base's tag here: nginx:1.27:v1.0.0
			"short": {Image: &core.Image{Repository: "nginx", Tag: "1.27", Short: true}},
			"keyed": {ImageKey: "worker"},
		},
	}
	base := cfg.TargetConfig
	named := func(n string) core.TargetConfig { c := base; c.Name = n; return c }
	tests := []struct {
		name   string
		target string
		want   core.TargetConfig
	}{
		{"base", "", base},
		{"unknown_name_gives_base", "nope", base},
		// Haloy names a target's app after its key, even when the base has a name
		{"inherits_all_but_the_name", "inherits", named("inherits")},
		{"fields_replace_image_merges_env_merges_by_name", "overrides", core.TargetConfig{Name: "other-app", Server: "prod.haloy.com", APIToken: prodTok,
			Image:   &core.Image{Repository: "my-org/my-app", Tag: "v2", PullPolicy: core.PullNever},
			Domains: []core.Domain{{Domain: "prod.my-app.com"}}, Port: "3000", Replicas: ptr(3), Volumes: []string{}, Network: "web",
			Env: []core.EnvVar{envVar("A", "base-a"), envVar("B", "prod-b"), envVar("C", "base-c"), envVar("D", "prod-d")}}},
		{"empty_list_replaces", "no_domains", func() core.TargetConfig { c := named("no_domains"); c.Domains = []core.Domain{}; return c }()},
		{"short_image_replaces_whole", "short", func() core.TargetConfig {
			c := named("short")
			c.Image = &core.Image{Repository: "nginx", Tag: "1.27", Short: true}
			return c
		}()},
		{"image_key_wins_over_base_image", "keyed", func() core.TargetConfig { c := named("keyed"); c.Image, c.ImageKey = nil, "worker"; return c }()},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := cfg.Target(tt.target)
			if diff := cmp.Diff(tt.want, got); diff != "" {
				t.Errorf("Target(%q) mismatch (-want +got):\n%s", tt.target, diff)
			}
		})
	}
	if cfg.Env[1].Value.Reveal() != "base-b" || cfg.Image.Tag != "v1.0.0" {
		t.Errorf("Target changed the base")
	}
}

func TestAppConfigResolve(t *testing.T) {
	six := 6
	defaults := func(c core.TargetConfig) core.TargetConfig {
		if c.DeploymentStrategy == "" {
			c.DeploymentStrategy = core.DeploymentRolling
		}
		c.HealthCheckPath, c.Port, c.Replicas, c.MinReadySeconds = "/", "8080", ptr(1), ptr(0)
		if c.Image != nil && c.Image.History == nil {
			c.Image.History = &core.ImageHistory{Strategy: core.HistoryLocal, Count: &six}
		}
		return c
	}
	cfg := core.AppConfig{
		Images: map[string]*core.Image{"worker": {Repository: "ghcr.io/acme/worker", Tag: "v3"}},
		TargetConfig: core.TargetConfig{Name: "my-app",
			Env: []core.EnvVar{{Name: "VERSION", Value: "1.2", BuildArg: true}, {Name: "DB", From: &core.ValueFrom{Env: "DB_URL"}}}},
		Targets: map[string]core.TargetConfig{
			"keyed": {ImageKey: "worker"},
			"db":    {Preset: core.PresetDatabase, Image: &core.Image{Repository: "postgres", Tag: "17"}},
			"svc":   {Preset: core.PresetService, Image: &core.Image{Repository: "redis"}, DeploymentStrategy: core.DeploymentRolling},
			"build": {Image: &core.Image{Repository: "my-app", BuildConfig: &core.BuildConfig{Args: []core.BuildArg{{Name: "VERSION", Value: "explicit"}}}}},
			"local": {},
			"both":  {Image: &core.Image{Repository: "x"}, ImageKey: "worker"},
			"typo":  {ImageKey: "wroker"},
		},
	}
	tests := []struct {
		target  string
		want    core.TargetConfig
		wantErr []string
	}{
		// the selected image is filled in and the key cleared: Haloy's server refuses both
		{"keyed", defaults(core.TargetConfig{Name: "keyed", Image: &core.Image{Repository: "ghcr.io/acme/worker", Tag: "v3"}, Env: cfg.Env}), nil},
		{"db", defaults(core.TargetConfig{Name: "db", Preset: core.PresetDatabase, DeploymentStrategy: core.DeploymentReplace, NamingStrategy: core.NamingStatic,
			Protected: ptr(true), Env: cfg.Env,
			Image: &core.Image{Repository: "postgres", Tag: "17", PullPolicy: core.PullIfMissing, History: &core.ImageHistory{Strategy: core.HistoryNone}}}), nil},
		// a preset fills in only what the target leaves unset
		{"svc", defaults(core.TargetConfig{Name: "svc", Preset: core.PresetService, DeploymentStrategy: core.DeploymentRolling, NamingStrategy: core.NamingStatic,
			Env: cfg.Env, Image: &core.Image{Repository: "redis", PullPolicy: core.PullIfMissing, History: &core.ImageHistory{Strategy: core.HistoryNone}}}), nil},
		// an explicit build arg wins over the env entry of the same name
		{"build", defaults(core.TargetConfig{Name: "build", Env: cfg.Env,
			Image: &core.Image{Repository: "my-app", BuildConfig: &core.BuildConfig{Args: []core.BuildArg{{Name: "VERSION", Value: "explicit"}}}}}), nil},
		// no image: Haloy builds one named after the app, with the build args from env
		{"local", defaults(core.TargetConfig{Name: "local", Env: cfg.Env,
			Image: &core.Image{Repository: "local", Build: ptr(true), BuildConfig: &core.BuildConfig{Args: []core.BuildArg{{Name: "VERSION", Value: "1.2"}}}}}), nil},
		{"both", defaults(core.TargetConfig{Name: "both", Env: cfg.Env, Image: &core.Image{Repository: "x"}}),
			[]string{"both image and image_key are set (haloy.yaml): image_key picks an image from images:, so the target would have two"}},
		{"typo", defaults(core.TargetConfig{Name: "typo", Env: cfg.Env, Image: &core.Image{Repository: "typo", Build: ptr(true),
			BuildConfig: &core.BuildConfig{Args: []core.BuildArg{{Name: "VERSION", Value: "1.2"}}}}}),
			[]string{`image_key "wroker" names no image (haloy.yaml): images in haloy.yaml: worker`}},
	}
	for _, tt := range tests {
		t.Run(tt.target, func(t *testing.T) {
			got, errs := cfg.Resolve(tt.target)
			if diff := cmp.Diff(tt.want, got); diff != "" {
				t.Errorf("Resolve(%q) mismatch (-want +got):\n%s", tt.target, diff)
			}
			var gotErr []string
			for _, e := range errs {
				gotErr = append(gotErr, e.Error())
			}
			if diff := cmp.Diff(tt.wantErr, gotErr); diff != "" {
				t.Errorf("Resolve(%q) errors mismatch (-want +got):\n%s", tt.target, diff)
			}
		})
	}
	if cfg.Images["worker"].History != nil {
		t.Errorf("Resolve changed the images map")
	}
}
