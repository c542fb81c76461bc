package app

import (
	"context"
	"errors"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/haloy-auth/haloy/adapters/memory"
	"github.com/haloy-auth/haloy/core"
)

func TestValidateConfig(t *testing.T) {
	tests := []struct {
		name string
		w    world
		want []string // the joined errors' What, in order
	}{
		{"valid", world{configs: memory.AppConfigs{"haloy.yaml": {TargetConfig: core.TargetConfig{Name: "a", Server: "s.haloy.com", APIToken: fromEnv("T")}}},
			env: memory.Env{"T": "tok"}}, nil},
		{"one_problem", world{configs: memory.AppConfigs{"haloy.yaml": {TargetConfig: core.TargetConfig{Name: "a", Server: "s.haloy.com", APIToken: fromEnv("T")}}}},
			[]string{"haloy.yaml is not valid: 1 problem", `no API token for server "s.haloy.com"`}},
		{"problems_of_every_target", world{configs: memory.AppConfigs{"haloy.yaml": {TargetConfig: core.TargetConfig{Server: "s.haloy.com", APIToken: fromEnv("T")},
			Targets: map[string]core.TargetConfig{"x": {Name: "My App"}, "y": {}}}}},
			[]string{"haloy.yaml is not valid: 3 problems", `target "x": invalid app name "My App" (haloy.yaml)`, `target "x": no API token for server "s.haloy.com"`,
				`target "y": no API token for server "s.haloy.com"`}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			uc := NewValidateConfig(tt.w.build().uc)
			_, err := uc.Run(context.Background(), ValidateInput{})
			var got []string
			for _, e := range flatten(err) {
				var ce *core.Error
				if !errors.As(e, &ce) {
					t.Fatalf("Run() error %v is not a *core.Error", e)
				}
				got = append(got, ce.What)
			}
			if diff := cmp.Diff(tt.want, got); diff != "" {
				t.Errorf("Run() errors mismatch (-want +got):\n%s", diff)
			}
			if len(got) > 0 {
				if ce := flatten(err)[0].(*core.Error); ce.Kind != core.Invalid {
					t.Errorf("summary Kind = %v, want Invalid (exit 2)", ce.Kind)
				}
			}
		})
	}
}

func TestValidateConfigNoConfig(t *testing.T) {
	uc := NewValidateConfig(world{configs: memory.AppConfigs{}}.build().uc)
	res, err := uc.Run(context.Background(), ValidateInput{Config: "nope.haloy.yaml"})
	var ce *core.Error
	if !errors.As(err, &ce) || ce.Kind != core.NotFound || res.File != "" {
		t.Errorf("Run(missing file) = %+v, %v, want no result and a NotFound error", res, err)
	}
}
