package porttest

import (
	"context"
	"errors"
	"path/filepath"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"

	"github.com/haloy-auth/haloy/core"
	"github.com/haloy-auth/haloy/ports"
)

// AppConfigs runs the contract of ports.AppConfigs. newConfigs returns the
// port holding, under dir, one config file per entry of apps (a path
// relative to dir -> the app's name, the file's only setting).
func AppConfigs(t *testing.T, newConfigs func(t *testing.T, dir string, apps map[string]string) ports.AppConfigs) {
	ctx := context.Background()
	apps := map[string]string{
		"haloy.yaml":                  "root-app",
		"production.haloy.yaml":       "prod-app",
		"project-b/haloy.yml":         "b-app",
		"project-c/haloy.json":        "c-app",
		"project-d/haloy.yaml":        "d-yaml",
		"project-d/haloy.json":        "d-json",
		"project-e/staging.haloy.yml": "e-app",
		"project-f/haloy.toml":        "f-app",
		"project-g/haloy.yml":         "g-yml",
		"project-g/haloy.toml":        "g-toml",
	}
	tests := []struct {
		name, path, wantFile, wantName string
		wantSkipped                    []string
	}{
		{"file_by_name", "production.haloy.yaml", "production.haloy.yaml", "prod-app", nil},
		{"directory_yaml", ".", "haloy.yaml", "root-app", nil},
		{"directory_yml", "project-b", "project-b/haloy.yml", "b-app", nil},
		{"directory_json", "project-c", "project-c/haloy.json", "c-app", nil},
		{"directory_toml", "project-f", "project-f/haloy.toml", "f-app", nil},
		// Haloy's order: json, yaml, yml, toml; the others found are named
		{"json_before_yaml", "project-d", "project-d/haloy.json", "d-json", []string{"project-d/haloy.yaml"}},
		{"yml_before_toml", "project-g", "project-g/haloy.yml", "g-yml", []string{"project-g/haloy.toml"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			dir := t.TempDir()
			c := newConfigs(t, dir, apps)
			got, err := c.Load(ctx, filepath.Join(dir, tt.path))
			if err != nil {
				t.Fatalf("Load(%q) error: %v", tt.path, err)
			}
			if want := filepath.Join(dir, tt.wantFile); got.File != want || got.Name != tt.wantName {
				t.Errorf("Load(%q) = {File: %q, Name: %q}, want {File: %q, Name: %q}", tt.path, got.File, got.Name, want, tt.wantName)
			}
			var wantSkipped []string
			for _, s := range tt.wantSkipped {
				wantSkipped = append(wantSkipped, filepath.Join(dir, s))
			}
			if diff := cmp.Diff(wantSkipped, got.Skipped); diff != "" {
				t.Errorf("Load(%q).Skipped mismatch (-want +got):\n%s", tt.path, diff)
			}
		})
	}
	errTests := []struct {
		name, path string
		want       func(dir string) *core.Error
	}{
		{"directory_without_config", "project-e", func(dir string) *core.Error {
			return &core.Error{Kind: core.NotFound, What: `no app config in "` + filepath.Join(dir, "project-e") + `"`,
				Why: "looked for haloy.json, haloy.yaml, haloy.yml, haloy.toml",
				Fix: "create haloy.yaml there, or pass --config <file> (e.g. --config production.haloy.yaml)"}
		}},
		{"missing_file", "staging.haloy.yaml", func(dir string) *core.Error {
			return &core.Error{Kind: core.NotFound, What: `app config "` + filepath.Join(dir, "staging.haloy.yaml") + `" not found`,
				Why: "there is no such file or directory", Fix: "pass --config with the path of your haloy.yaml"}
		}},
	}
	for _, tt := range errTests {
		t.Run(tt.name, func(t *testing.T) {
			dir := t.TempDir()
			c := newConfigs(t, dir, apps)
			_, err := c.Load(ctx, filepath.Join(dir, tt.path))
			var got *core.Error
			if !errors.As(err, &got) {
				t.Fatalf("Load(%q) error = %v, want *core.Error", tt.path, err)
			}
			if diff := cmp.Diff(tt.want(dir), got, cmpopts.IgnoreFields(core.Error{}, "Err")); diff != "" {
				t.Errorf("Load(%q) error mismatch (-want +got):\n%s", tt.path, diff)
			}
		})
	}
}
