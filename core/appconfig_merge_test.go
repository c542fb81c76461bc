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

// Every field a target sets wins over the base's, and every field it leaves
// unset is the base's: one case per field, each target setting that field
// alone, over a base that sets every field to something else.
func TestAppConfigTargetEachField(t *testing.T) {
	base := core.TargetConfig{Name: "my-app", Preset: core.PresetService, Server: "base.haloy.com",
		APIToken:           &core.APITokenConfig{From: &core.ValueFrom{Env: "BASE_TOKEN"}},
		DeploymentStrategy: core.DeploymentReplace, NamingStrategy: core.NamingStatic, Protected: ptr(false),
		Domains: []core.Domain{{Domain: "base.my-app.com"}}, Env: []core.EnvVar{envVar("A", "base-a")},
		HealthCheckPath: "/base", MinReadySeconds: ptr(5), Port: "3000", Replicas: ptr(2),
		Volumes: []string{"base:/data"}, Network: "base-net", PreDeploy: []string{"base-pre"}, PostDeploy: []string{"base-post"},
		Image: &core.Image{Repository: "ghcr.io/acme/base", Tag: "v1", PullPolicy: core.PullNever,
			History:     &core.ImageHistory{Strategy: core.HistoryNone},
			Registry:    &core.RegistryAuth{Server: "base.registry"},
			Build:       ptr(false),
			BuildConfig: &core.BuildConfig{Context: "base"}}}
	fields := []struct {
		name string
		set  func(*core.TargetConfig)
	}{
		{"name", func(c *core.TargetConfig) { c.Name = "other-app" }},
		{"preset", func(c *core.TargetConfig) { c.Preset = core.PresetDatabase }},
		{"server", func(c *core.TargetConfig) { c.Server = "prod.haloy.com" }},
		{"api_token", func(c *core.TargetConfig) {
			c.APIToken = &core.APITokenConfig{From: &core.ValueFrom{Env: "PROD_TOKEN"}}
		}},
		{"deployment_strategy", func(c *core.TargetConfig) { c.DeploymentStrategy = core.DeploymentRolling }},
		{"naming_strategy", func(c *core.TargetConfig) { c.NamingStrategy = core.NamingDynamic }},
		{"protected", func(c *core.TargetConfig) { c.Protected = ptr(true) }},
		{"domains", func(c *core.TargetConfig) { c.Domains = []core.Domain{{Domain: "prod.my-app.com"}} }},
		{"health_check_path", func(c *core.TargetConfig) { c.HealthCheckPath = "/prod" }},
		{"min_ready_seconds", func(c *core.TargetConfig) { c.MinReadySeconds = ptr(30) }},
		{"port", func(c *core.TargetConfig) { c.Port = "4000" }},
		{"replicas", func(c *core.TargetConfig) { c.Replicas = ptr(3) }},
		{"volumes", func(c *core.TargetConfig) { c.Volumes = []string{"prod:/data"} }},
		{"network", func(c *core.TargetConfig) { c.Network = "prod-net" }},
		{"pre_deploy", func(c *core.TargetConfig) { c.PreDeploy = []string{"prod-pre"} }},
		{"post_deploy", func(c *core.TargetConfig) { c.PostDeploy = []string{"prod-post"} }},
	}
	// an image the target sets is merged over the base's field by field
	imageFields := []struct {
		name string
		set  func(*core.Image)
	}{
		{"repository", func(i *core.Image) { i.Repository = "ghcr.io/acme/prod" }},
		{"tag", func(i *core.Image) { i.Tag = "v2" }},
		{"pull_policy", func(i *core.Image) { i.PullPolicy = core.PullAlways }},
		{"history", func(i *core.Image) { i.History = &core.ImageHistory{Strategy: core.HistoryLocal, Count: ptr(3)} }},
		{"registry", func(i *core.Image) { i.Registry = &core.RegistryAuth{Server: "prod.registry"} }},
		{"build", func(i *core.Image) { i.Build = ptr(true) }},
		{"build_config", func(i *core.Image) { i.BuildConfig = &core.BuildConfig{Context: "prod"} }},
	}
	cfg := core.AppConfig{TargetConfig: base, Targets: map[string]core.TargetConfig{"none": {}}}
	for _, f := range fields {
		var tc core.TargetConfig
		f.set(&tc)
		cfg.Targets[f.name] = tc
	}
	for _, f := range imageFields {
		var img core.Image
		f.set(&img)
		cfg.Targets["image_"+f.name] = core.TargetConfig{Image: &img}
	}
	named := func(n string) core.TargetConfig { c := base; c.Name = n; return c }
	t.Run("none", func(t *testing.T) {
		if diff := cmp.Diff(named("none"), cfg.Target("none")); diff != "" {
			t.Errorf("Target(%q) mismatch (-want +got):\n%s", "none", diff)
		}
	})
	for _, f := range fields {
		t.Run(f.name, func(t *testing.T) {
			want := named(f.name)
			f.set(&want)
			if diff := cmp.Diff(want, cfg.Target(f.name)); diff != "" {
				t.Errorf("Target(%q) mismatch (-want +got):\n%s", f.name, diff)
			}
		})
	}
	for _, f := range imageFields {
		name := "image_" + f.name
		t.Run(name, func(t *testing.T) {
			want := named(name)
			img := *base.Image
			f.set(&img)
			want.Image = &img
			if diff := cmp.Diff(want, cfg.Target(name)); diff != "" {
				t.Errorf("Target(%q) mismatch (-want +got):\n%s", name, diff)
			}
		})
	}
}

// A target's env longer than the base's: every entry kept, the base's
// replaced in place, the target's new ones after it.
func TestAppConfigTargetLongerEnv(t *testing.T) {
	cfg := core.AppConfig{TargetConfig: core.TargetConfig{Env: []core.EnvVar{envVar("B", "base-b")}},
		Targets: map[string]core.TargetConfig{"prod": {Env: []core.EnvVar{envVar("A", "prod-a"), envVar("B", "prod-b"), envVar("C", "prod-c")}}}}
	want := []core.EnvVar{envVar("B", "prod-b"), envVar("A", "prod-a"), envVar("C", "prod-c")}
	if diff := cmp.Diff(want, cfg.Target("prod").Env); diff != "" {
		t.Errorf("Target(%q).Env mismatch (-want +got):\n%s", "prod", diff)
	}
}

// TestResolveImageKeyNotFound: an image_key that names no image is reported
// at the line that writes it (the target's own, else the top level's), with
// the closest image's name when one is close, else the list.
func TestResolveImageKeyNotFound(t *testing.T) {
	images := map[string]*core.Image{"worker": {Repository: "ghcr.io/acme/worker"}, "web": {Repository: "ghcr.io/acme/web"}}
	cfg := core.AppConfig{Images: images, TargetConfig: core.TargetConfig{Name: "my-app", ImageKey: "wbe"},
		Targets: map[string]core.TargetConfig{"inherits": {}, "typo": {ImageKey: "wroker"}, "far": {ImageKey: "zzzzzzzz"}},
		Lines:   map[string]int{"image_key": 3, "targets.typo.image_key": 8, "targets.far.image_key": 11}}
	tests := []struct {
		target string
		want   core.Error
	}{
		{"inherits", core.Error{Kind: core.NotFound, What: `image_key "wbe" names no image (haloy.yaml:3)`,
			Why: "images in haloy.yaml: web, worker", Fix: `did you mean "web"?`}},
		{"typo", core.Error{Kind: core.NotFound, What: `image_key "wroker" names no image (haloy.yaml:8)`,
			Why: "images in haloy.yaml: web, worker", Fix: `did you mean "worker"?`}},
		{"far", core.Error{Kind: core.NotFound, What: `image_key "zzzzzzzz" names no image (haloy.yaml:11)`,
			Why: "images in haloy.yaml: web, worker", Fix: "use one of: web, worker"}},
	}
	for _, tt := range tests {
		t.Run(tt.target, func(t *testing.T) {
			_, errs := cfg.Resolve(tt.target)
			var got []core.Error
			for _, err := range errs {
				e, ok := err.(*core.Error)
				if !ok {
					t.Fatalf("Resolve(%q) error %v is not a *core.Error", tt.target, err)
				}
				got = append(got, *e)
			}
			if diff := cmp.Diff([]core.Error{tt.want}, got); diff != "" {
				t.Errorf("Resolve(%q) errors mismatch (-want +got):\n%s", tt.target, diff)
			}
		})
	}
}
