package serverconfig_test

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/haloy-auth/haloy/adapters/memory"
	"github.com/haloy-auth/haloy/adapters/porttest"
	"github.com/haloy-auth/haloy/adapters/serverconfig"
	"github.com/haloy-auth/haloy/core"
	"github.com/haloy-auth/haloy/ports"
)

func TestContract(t *testing.T) {
	porttest.ServerConfig(t, func(t *testing.T) ports.ServerConfig {
		return serverconfig.New(memory.Env{core.ServerConfigDirEnv: filepath.Join(t.TempDir(), "etc")})
	})
	porttest.ServerConfig(t, func(t *testing.T) ports.ServerConfig { return &memory.ServerConfig{} })
}

func TestModesAndStrictness(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "etc")
	f := serverconfig.New(memory.Env{core.ServerConfigDirEnv: dir})
	if err := f.Save(context.Background(), core.ServerSettings{APIDomain: "api.example.com"}); err != nil {
		t.Fatal(err)
	}
	for p, want := range map[string]os.FileMode{dir: os.ModeDir | 0o700, f.Path(): 0o600} {
		if fi, err := os.Stat(p); err != nil || fi.Mode() != want {
			t.Errorf("mode of %s = %v, %v, want %v", p, fi.Mode(), err, want)
		}
	}
	if err := os.WriteFile(f.Path(), []byte("api_domian: x\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	_, err := f.Load(context.Background())
	var ce *core.Error
	if !errors.As(err, &ce) || ce.Kind != core.Invalid || !strings.Contains(ce.Why, "api_domian") || !strings.Contains(ce.What, f.Path()) {
		t.Errorf("Load() of a misspelled key = %#v, want Kind Invalid naming the file and key", err)
	}
	if got := serverconfig.New(memory.Env{}).Path(); got != "/etc/haloy/haloyadm.yaml" {
		t.Errorf("Path() without %s = %q, want the default", core.ServerConfigDirEnv, got)
	}
}

// init without a domain writes a commented template, not "{}", and it
// reads back as no settings (issue 16).
func TestEmptySettingsAreATemplate(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "etc")
	f := serverconfig.New(memory.Env{core.ServerConfigDirEnv: dir})
	ctx := context.Background()
	if err := f.Save(ctx, core.ServerSettings{}); err != nil {
		t.Fatal(err)
	}
	b, err := os.ReadFile(filepath.Join(dir, serverconfig.FileName))
	if err != nil {
		t.Fatal(err)
	}
	if strings.Contains(string(b), "{}") || !strings.Contains(string(b), "# api_domain: api.example.com") {
		t.Errorf("empty settings written as %q, want a commented template", b)
	}
	got, err := f.Load(ctx)
	if err != nil || got != (core.ServerSettings{}) {
		t.Errorf("Load() = %+v, %v; want no settings", got, err)
	}
}

// A config directory that is a file is a usage error naming the variable,
// not "run haloyadm as root" (issue 16).
func TestConfigDirIsAFile(t *testing.T) {
	file := filepath.Join(t.TempDir(), "etc")
	if err := os.WriteFile(file, nil, 0o644); err != nil {
		t.Fatal(err)
	}
	f := serverconfig.New(memory.Env{core.ServerConfigDirEnv: file})
	_, loadErr := f.Load(context.Background())
	saveErr := f.Save(context.Background(), core.ServerSettings{APIDomain: "api.example.com"})
	for name, err := range map[string]error{"Load": loadErr, "Save": saveErr} {
		var ce *core.Error
		if !errors.As(err, &ce) || ce.Kind != core.Invalid || !strings.Contains(ce.What, "is not a directory") || !strings.Contains(ce.Fix, core.ServerConfigDirEnv) {
			t.Errorf("%s with the config dir a file = %v, want Invalid: not a directory, fix naming %s", name, err, core.ServerConfigDirEnv)
		}
	}
}

// HALOY_CONFIG_DIR=~/haloy is expanded as Haloy expands it.
func TestConfigDirTilde(t *testing.T) {
	f := serverconfig.New(memory.Env{core.ServerConfigDirEnv: "~/haloy", "HOME": "/home/u"})
	if got, want := f.Path(), filepath.Join("/home/u/haloy", serverconfig.FileName); got != want {
		t.Errorf("Path() = %q, want %q", got, want)
	}
}
