package core_test

import (
	"errors"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/haloy-auth/haloy/core"
)

func envVar(name, value string) core.EnvVar {
	return core.EnvVar{Name: name, Value: core.Secret(value)}
}

func TestChooseTargets(t *testing.T) {
	two := &core.AppConfig{File: "haloy.yaml", Targets: map[string]core.TargetConfig{"production": {}, "staging": {}}}
	one := &core.AppConfig{File: "haloy.yaml", Targets: map[string]core.TargetConfig{"production": {}}}
	none := &core.AppConfig{File: "production.haloy.yaml"}
	tests := []struct {
		name        string
		cfg         *core.AppConfig
		names       []string
		all, single bool
		want        []string
		wantErr     *core.Error
	}{
		{"no_targets_gives_base", none, nil, false, true, []string{""}, nil},
		{"no_targets_all_gives_base", none, nil, true, true, []string{""}, nil},
		{"no_targets_but_named", none, []string{"production"}, false, false, nil, &core.Error{Kind: core.NotFound,
			What: `unknown target "production"`, Why: "production.haloy.yaml defines no targets",
			Fix: "drop --target, or add the target under targets: in production.haloy.yaml"}},
		{"validate_takes_every_target", two, nil, false, false, []string{"production", "staging"}, nil},
		{"all", two, nil, true, true, []string{"production", "staging"}, nil},
		{"one_target_used_as_is", one, nil, false, true, []string{"production"}, nil},
		{"named_in_given_order", two, []string{"staging", "production"}, false, true, []string{"staging", "production"}, nil},
		{"comma_separated_and_deduplicated", two, []string{"staging, production", "staging"}, false, true, []string{"staging", "production"}, nil},
		{"several_need_a_choice", two, nil, false, true, nil, &core.Error{Kind: core.Invalid,
			What: "haloy.yaml has 2 targets: production, staging",
			Why:  "this command acts on servers and needs to know which targets to use",
			Fix:  "pass --target production (repeatable, or comma-separated), or --all for every target"}},
		{"unknown_with_closest", two, []string{"stagin"}, false, false, nil, &core.Error{Kind: core.NotFound,
			What: `unknown target "stagin"`, Why: "targets in haloy.yaml: production, staging", Fix: `did you mean "staging"? use --target staging`}},
		{"unknown_prefix", two, []string{"prod"}, false, false, nil, &core.Error{Kind: core.NotFound,
			What: `unknown target "prod"`, Why: "targets in haloy.yaml: production, staging", Fix: `did you mean "production"? use --target production`}},
		{"unknown_unlike_any", two, []string{"qa"}, false, false, nil, &core.Error{Kind: core.NotFound,
			What: `unknown target "qa"`, Why: "targets in haloy.yaml: production, staging", Fix: "use one of: --target production, --target staging"}},
		{"target_and_all", two, []string{"staging"}, true, false, nil, &core.Error{Kind: core.Invalid,
			What: "both --target and --all given", Why: "--all already selects every target", Fix: "drop one of them"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := tt.cfg.ChooseTargets(tt.names, tt.all, tt.single)
			if tt.wantErr != nil {
				var ce *core.Error
				if !errors.As(err, &ce) {
					t.Fatalf("ChooseTargets(%q, %v, %v) error = %v, want %v", tt.names, tt.all, tt.single, err, tt.wantErr)
				}
				if diff := cmp.Diff(tt.wantErr, ce); diff != "" {
					t.Errorf("ChooseTargets(%q, %v, %v) error mismatch (-want +got):\n%s", tt.names, tt.all, tt.single, diff)
				}
				return
			}
			if err != nil {
				t.Fatalf("ChooseTargets(%q, %v, %v) error: %v", tt.names, tt.all, tt.single, err)
			}
			if diff := cmp.Diff(tt.want, got); diff != "" {
				t.Errorf("ChooseTargets(%q, %v, %v) mismatch (-want +got):\n%s", tt.names, tt.all, tt.single, diff)
			}
		})
	}
}

func TestAppConfigCheck(t *testing.T) {
	cfg := core.AppConfig{
		File:  "haloy.yaml",
		Lines: map[string]int{"env.1": 7, "env.2": 9, "domains.0": 12, "targets.bad.image": 20},
		TargetConfig: core.TargetConfig{
			Env:     []core.EnvVar{envVar("A", "1"), envVar("", "2"), envVar("A", "3")},
			Domains: []core.Domain{{Domain: " "}},
		},
		Targets: map[string]core.TargetConfig{
			"good": {Name: "app", Env: []core.EnvVar{envVar("A", "x"), envVar("B", "y")}, Domains: []core.Domain{}},
			"bad":  {Name: "app", Image: &core.Image{Tag: "v1"}},
		},
	}
	tests := []struct {
		target string
		want   []string
	}{
		{"", []string{
			"no app name: haloy.yaml sets no name:",
			`no image to deploy for app "": haloy.yaml sets no image.repository`,
			"domain entry without a domain (haloy.yaml:12): every domains entry needs domain:",
			"env entry without a name at haloy.yaml:7: every env entry needs name:",
			`env variable "A" is listed twice (haloy.yaml:9): each variable may appear once`,
		}},
		// The target's env wins by name, so the base's duplicate is gone;
		// its empty domain list replaces the base's bad entry.
		{"good", []string{
			`no image to deploy for app "app": haloy.yaml sets no image.repository`,
			"env entry without a name at haloy.yaml:7: every env entry needs name:",
		}},
		// an image block without a repository means "build locally" in Haloy
		{"bad", []string{
			`no image to deploy for app "app": haloy.yaml sets no image.repository`,
			"domain entry without a domain (haloy.yaml:12): every domains entry needs domain:",
			"env entry without a name at haloy.yaml:7: every env entry needs name:",
			`env variable "A" is listed twice (haloy.yaml:9): each variable may appear once`,
		}},
	}
	for _, tt := range tests {
		t.Run("target_"+tt.target, func(t *testing.T) {
			var got []string
			for _, e := range cfg.Check(tt.target) {
				got = append(got, e.Error())
			}
			if diff := cmp.Diff(tt.want, got); diff != "" {
				t.Errorf("Check(%q) mismatch (-want +got):\n%s", tt.target, diff)
			}
		})
	}
}

func TestAppConfigWhere(t *testing.T) {
	cfg := core.AppConfig{File: "prod.haloy.yaml", Lines: map[string]int{"server": 2, "targets.a.server": 9},
		Targets: map[string]core.TargetConfig{"a": {Server: "x"}, "b": {}}}
	tests := []struct {
		target, field, wantPath, wantWhere string
	}{
		{"a", "server", "targets.a.server", "prod.haloy.yaml:9"},
		{"b", "server", "server", "prod.haloy.yaml:2"},
		{"", "server", "server", "prod.haloy.yaml:2"},
		{"a", "api_token", "api_token", "prod.haloy.yaml"},
	}
	for _, tt := range tests {
		p := cfg.FieldPath(tt.target, tt.field)
		if p != tt.wantPath {
			t.Errorf("FieldPath(%q, %q) = %q, want %q", tt.target, tt.field, p, tt.wantPath)
		}
		if got := cfg.Where(p); got != tt.wantWhere {
			t.Errorf("Where(%q) = %q, want %q", p, got, tt.wantWhere)
		}
	}
	if got := (&core.AppConfig{}).Where("x"); got != "haloy.yaml" {
		t.Errorf("Where without a file = %q, want %q", got, "haloy.yaml")
	}
}

func TestClosest(t *testing.T) {
	tests := []struct {
		name       string
		s          string
		candidates []string
		want       string
	}{
		{"typo", "sever", []string{"name", "server", "image"}, "server"},
		{"case", "API_TOKEN", []string{"api_token", "image"}, "api_token"},
		{"transposition", "vualt", []string{"vault", "item", "account"}, "vault"},
		{"unique_prefix", "prod", []string{"production", "staging"}, "production"},
		{"ambiguous_prefix_falls_back_to_distance", "pro", []string{"production", "prometheus"}, ""},
		{"nothing_close", "zzzzzzzz", []string{"repository", "tag"}, ""},
		{"no_candidates", "x", nil, ""},
		{"one_letter_never_matches_everything", "x", []string{"a"}, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := core.Closest(tt.s, tt.candidates); got != tt.want {
				t.Errorf("Closest(%q, %q) = %q, want %q", tt.s, tt.candidates, got, tt.want)
			}
		})
	}
}

// --all leaves out the targets Haloy protects: protected: true, the
// target's own or the base's, and preset: database, even with protected:
// false (the preset sets it, as in Haloy). Nothing left is an error that
// names them and says how to deploy them.
func TestLeaveOutProtected(t *testing.T) {
	yes, no := true, false
	targets := &core.AppConfig{File: "haloy.yaml", Targets: map[string]core.TargetConfig{
		"web": {}, "db": {Preset: core.PresetDatabase}, "cache": {Protected: &yes}, "api": {Protected: &no},
		"pg": {Preset: core.PresetDatabase, Protected: &no}, "svc": {Preset: core.PresetService},
	}}
	inherits := &core.AppConfig{File: "haloy.yaml", TargetConfig: core.TargetConfig{Protected: &yes},
		Targets: map[string]core.TargetConfig{"web": {}, "api": {Protected: &no}}}
	allProtected := &core.AppConfig{File: "prod.haloy.yaml", Targets: map[string]core.TargetConfig{"db": {Preset: core.PresetDatabase}, "cache": {Protected: &yes}}}
	baseProtected := &core.AppConfig{File: "haloy.yaml", TargetConfig: core.TargetConfig{Protected: &yes}}
	baseDatabase := &core.AppConfig{File: "haloy.yaml", TargetConfig: core.TargetConfig{Preset: core.PresetDatabase}}
	base := &core.AppConfig{File: "haloy.yaml"}
	tests := []struct {
		name          string
		cfg           *core.AppConfig
		names         []string
		kept, skipped []string
		err           *core.Error
	}{
		{"targets", targets, targets.TargetNames(), []string{"api", "svc", "web"}, []string{"cache", "db", "pg"}, nil},
		{"order_kept", targets, []string{"web", "db", "api"}, []string{"web", "api"}, []string{"db"}, nil},
		{"base_protected_inherited", inherits, inherits.TargetNames(), []string{"api"}, []string{"web"}, nil},
		{"none_protected", base, []string{""}, []string{""}, nil, nil},
		{"every_target", allProtected, allProtected.TargetNames(), nil, []string{"cache", "db"}, &core.Error{Kind: core.Invalid,
			What: "nothing to deploy: every target in prod.haloy.yaml is protected (cache, db)",
			Why:  "--all leaves out protected targets (protected: true, or preset: database)",
			Fix:  "name the ones to deploy with --target cache,db, or add --include-protected"}},
		{"base_alone", baseProtected, []string{""}, nil, []string{""}, &core.Error{Kind: core.Invalid,
			What: "nothing to deploy: the app in haloy.yaml is protected",
			Why:  "--all leaves out protected targets (protected: true, or preset: database)",
			Fix:  "drop --all, or add --include-protected"}},
		{"base_database", baseDatabase, []string{""}, nil, []string{""}, &core.Error{Kind: core.Invalid,
			What: "nothing to deploy: the app in haloy.yaml is protected",
			Why:  "--all leaves out protected targets (protected: true, or preset: database)",
			Fix:  "drop --all, or add --include-protected"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			kept, skipped, err := tt.cfg.LeaveOutProtected(tt.names)
			if diff := cmp.Diff(tt.kept, kept); diff != "" {
				t.Errorf("kept mismatch (-want +got):\n%s", diff)
			}
			if diff := cmp.Diff(tt.skipped, skipped); diff != "" {
				t.Errorf("skipped mismatch (-want +got):\n%s", diff)
			}
			var got *core.Error
			if err != nil && !errors.As(err, &got) {
				t.Fatalf("error %v is not a *core.Error", err)
			}
			if diff := cmp.Diff(tt.err, got); diff != "" {
				t.Errorf("error mismatch (-want +got):\n%s", diff)
			}
		})
	}
}

func TestKeyName(t *testing.T) {
	tests := []struct{ format, key, want string }{
		{"yaml", "global_pre_deploy", "global_pre_deploy"},
		{"toml", "pre_deploy", "pre_deploy"},
		{"", "post_deploy", "post_deploy"},
		{"json", "global_pre_deploy", "globalPreDeploy"},
		{"json", "post_deploy", "postDeploy"},
		{"json", "server", "server"},
	}
	for _, tt := range tests {
		c := core.AppConfig{Format: tt.format}
		if got := c.KeyName(tt.key); got != tt.want {
			t.Errorf("AppConfig{Format: %q}.KeyName(%q) = %q, want %q", tt.format, tt.key, got, tt.want)
		}
	}
}
