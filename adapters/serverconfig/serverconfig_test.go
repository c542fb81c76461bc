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
