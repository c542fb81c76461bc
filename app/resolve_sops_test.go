package app

import (
	"context"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/haloy-auth/haloy/adapters/memory"
	"github.com/haloy-auth/haloy/adapters/porttest"
	"github.com/haloy-auth/haloy/adapters/sops"
	"github.com/haloy-auth/haloy/core"
	"github.com/haloy-auth/haloy/ports"
)

// With the real SOPS adapter and a fake sops: the token and env entries of
// two targets point into one file, in both reference forms, and sops runs
// once for it, with the path relative to the config's directory.
func TestResolveRunsSopsOncePerFile(t *testing.T) {
	dir := t.TempDir()
	if err := os.MkdirAll(filepath.Join(dir, "project", "secrets"), 0o700); err != nil {
		t.Fatal(err)
	}
	// the fake prints the file as it is: it stands for the decrypted text
	plain := "API_TOKEN: tok-sops-1234\ndb:\n  password: pw-sops-5678\n"
	if err := os.WriteFile(filepath.Join(dir, "project", "secrets", "prod.enc.yaml"), []byte(plain), 0o600); err != nil {
		t.Fatal(err)
	}
	fake := porttest.NewFakeCLI(t, "sops", `file=""; for a in "$@"; do file="$a"; done; cat "$file"`+"\n")
	cfgFile := filepath.Join(dir, "project", "haloy.yaml")
	configs := memory.AppConfigs{cfgFile: {
		TargetConfig: core.TargetConfig{Name: "my-app", Image: &core.Image{Repository: "ghcr.io/acme/app"},
			APIToken: fromSecret("sops:prod:API_TOKEN"),
			Env:      []core.EnvVar{{Name: "DB_PASSWORD", From: &core.ValueFrom{Secret: "sops:prod.db.password"}}}},
		SecretProviders: core.SecretProviders{"sops": {"prod": {"file": "secrets/prod.enc.yaml"}}},
		Targets:         map[string]core.TargetConfig{"a": {Server: "a.haloy.com"}, "b": {Server: "b.haloy.com"}},
	}}
	uc := NewResolve(configs, memory.EnvFiles{}, memory.NewClientStore(core.ClientState{}), memory.Env{},
		ports.SecretSources{"sops": sops.NewAt(fake.Bin, 10*time.Second)}, &memory.Notes{})
	res, err := uc.Run(context.Background(), ResolveInput{Config: cfgFile, All: true})
	if err != nil {
		t.Fatal(err)
	}
	if err := res.Err(); err != nil {
		t.Fatalf("Run().Err() = %v", err)
	}
	for _, tg := range res.Targets {
		if tg.Token.Reveal() != "tok-sops-1234" || tg.TokenSource != "SOPS file secrets/prod.enc.yaml field API_TOKEN" {
			t.Errorf("target %s token from %q", tg.Target, tg.TokenSource)
		}
		if len(tg.Env) != 1 || tg.Env[0].Value.Reveal() != "pw-sops-5678" {
			t.Errorf("target %s env = %v", tg.Target, tg.Env)
		}
	}
	want := [][]string{{"decrypt", "--output-type", "yaml", filepath.Join(dir, "project", "secrets", "prod.enc.yaml")}}
	if diff := cmp.Diff(want, fake.Calls(t)); diff != "" {
		t.Errorf("sops runs mismatch (-want +got):\n%s", diff)
	}
}
