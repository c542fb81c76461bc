package vault_test

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"

	"github.com/haloy-auth/haloy/adapters/porttest"
	"github.com/haloy-auth/haloy/adapters/vault"
	"github.com/haloy-auth/haloy/core"
	"github.com/haloy-auth/haloy/ports"
)

func prefixed(items porttest.SecretItems) porttest.SecretItems {
	out := porttest.SecretItems{}
	for k, v := range items {
		out["kv/haloy/"+k] = v
	}
	return out
}

func TestContract(t *testing.T) {
	porttest.SecretBackendContract(t, porttest.SecretBackend{
		Provider: vault.Provider,
		Settings: func(item string) map[string]string { return map[string]string{"mount": "kv", "path": "haloy/" + item} },
		Required: "path",
		New: func(t *testing.T, items porttest.SecretItems) porttest.SecretFixture {
			v := porttest.NewFakeVault(t, "vault", prefixed(items))
			return porttest.SecretFixture{Source: vault.NewAt(v.Bin, 10*time.Second),
				Reads: func() int { return len(v.Calls(t)) }, Argv: func() [][]string { return v.Calls(t) },
				SignOut: func() { v.Set(t, "signedout", "") }}
		},
		ToolMissing: func(t *testing.T) ports.SecretSource {
			t.Setenv("PATH", t.TempDir())
			return vault.New()
		},
		Slow: func(t *testing.T, items porttest.SecretItems, timeout time.Duration) ports.SecretSource {
			v := porttest.NewFakeVault(t, "vault", prefixed(items))
			v.Set(t, "slow", "")
			return vault.NewAt(v.Bin, timeout)
		},
	})
}

func ref(settings map[string]string) core.SecretSourceRef {
	return core.SecretSourceRef{Provider: "vault", Name: "prod", Settings: settings}
}

func TestFieldsArgv(t *testing.T) {
	tests := []struct {
		name     string
		settings map[string]string
		argv     []string
	}{
		{"default_mount", map[string]string{"path": "haloy/api"}, []string{"kv", "get", "-format=json", "-mount=secret", "haloy/api"}},
		{"all_settings", map[string]string{"path": "/haloy/api", "mount": "kv/", "address": "https://vault.example.com:8200", "namespace": "team"},
			[]string{"kv", "get", "-format=json", "-mount=kv", "-address=https://vault.example.com:8200", "-namespace=team", "haloy/api"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			v := porttest.NewFakeVault(t, "vault", porttest.SecretItems{"secret/haloy/api": {"production": "tok-1"}, "kv/haloy/api": {"production": "tok-1"}})
			got, err := vault.NewAt(v.Bin, 10*time.Second).Fields(context.Background(), ref(tt.settings))
			if err != nil {
				t.Fatal(err)
			}
			if diff := cmp.Diff(map[string]core.Secret{"production": "tok-1"}, got); diff != "" {
				t.Errorf("Fields() mismatch (-want +got):\n%s", diff)
			}
			if diff := cmp.Diff([][]string{tt.argv}, v.Calls(t)); diff != "" {
				t.Errorf("vault argv mismatch (-want +got):\n%s", diff)
			}
		})
	}
}

func TestFieldsErrors(t *testing.T) {
	tests := []struct {
		name  string
		setup func(t *testing.T, v *porttest.FakeCLI)
		want  *core.Error
	}{
		{"permission_denied", func(t *testing.T, v *porttest.FakeCLI) { v.Set(t, "signedout", "") }, &core.Error{Kind: core.Missing,
			What: "cannot read Vault secret/haloy/api", Why: "you are not logged in to Vault, or your token may not read this path (permission denied)",
			Fix: "run 'vault login' (or set VAULT_TOKEN in CI), then run the command again"}},
		{"not_found", func(t *testing.T, v *porttest.FakeCLI) {}, &core.Error{Kind: core.NotFound,
			What: `Vault secret "secret/haloy/api" not found`, Why: "No value found at secret/data/haloy/api",
			Fix: "vault kv list -mount=secret shows the paths; fix path: or mount: under secret_providers.vault.prod"}},
		{"kv_v1_mount", func(t *testing.T, v *porttest.FakeCLI) {
			v.Item(t, "secret/haloy/api", []byte(`{"request_id":"x","data":{"production":"tok-1"}}`))
		}, &core.Error{Kind: core.Unavailable, What: "cannot read Vault secret/haloy/api",
			Why: "vault printed something other than a KV v2 secret in JSON", Fix: "check that secret is a KV version 2 mount (vault secrets list -detailed)"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			v := porttest.NewFakeVault(t, "vault", nil)
			tt.setup(t, v)
			_, err := vault.NewAt(v.Bin, 10*time.Second).Fields(context.Background(), ref(map[string]string{"path": "haloy/api"}))
			var got *core.Error
			if !errors.As(err, &got) {
				t.Fatalf("Fields() error = %v, want *core.Error", err)
			}
			if diff := cmp.Diff(tt.want, got, cmpopts.IgnoreFields(core.Error{}, "Err")); diff != "" {
				t.Errorf("Fields() error mismatch (-want +got):\n%s", diff)
			}
		})
	}
}

func TestOpenBaoRunsBao(t *testing.T) {
	bao := porttest.NewFakeVault(t, "bao", porttest.SecretItems{"secret/haloy/api": {"production": "tok-1"}})
	t.Setenv("PATH", filepath.Dir(bao.Bin)+":"+os.Getenv("PATH"))
	s := vault.NewOpenBao()
	label, err := s.Describe(ref(map[string]string{"path": "haloy/api"}))
	if err != nil || label != "OpenBao secret/haloy/api" {
		t.Errorf("Describe() = %q, %v, want OpenBao secret/haloy/api", label, err)
	}
	if _, err := s.Fields(context.Background(), ref(map[string]string{"path": "haloy/api"})); err != nil {
		t.Fatal(err)
	}
	if n := len(bao.Calls(t)); n != 1 {
		t.Errorf("bao ran %d times, want 1", n)
	}
}
