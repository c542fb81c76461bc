package doppler_test

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"

	"github.com/haloy-auth/haloy/adapters/doppler"
	"github.com/haloy-auth/haloy/adapters/porttest"
	"github.com/haloy-auth/haloy/core"
	"github.com/haloy-auth/haloy/ports"
)

func prefixed(items porttest.SecretItems) porttest.SecretItems {
	out := porttest.SecretItems{}
	for k, v := range items {
		out["haloy/"+k] = v
	}
	return out
}

func TestContract(t *testing.T) {
	porttest.SecretBackendContract(t, porttest.SecretBackend{
		Provider: doppler.Provider,
		Settings: func(item string) map[string]string { return map[string]string{"project": "haloy", "config": item} },
		Required: "config",
		Extra:    []string{"DOPPLER_PROJECT", "DOPPLER_CONFIG", "DOPPLER_ENVIRONMENT"},
		New: func(t *testing.T, items porttest.SecretItems) porttest.SecretFixture {
			d := porttest.NewFakeDoppler(t, prefixed(items))
			return porttest.SecretFixture{Source: doppler.NewAt(d.Bin, 10*time.Second),
				Reads: func() int { return len(d.Calls(t)) }, Argv: func() [][]string { return d.Calls(t) },
				SignOut: func() { d.Set(t, "signedout", "") }}
		},
		ToolMissing: func(t *testing.T) ports.SecretSource {
			t.Setenv("PATH", t.TempDir())
			return doppler.New()
		},
		Slow: func(t *testing.T, items porttest.SecretItems, timeout time.Duration) ports.SecretSource {
			d := porttest.NewFakeDoppler(t, prefixed(items))
			d.Set(t, "slow", "")
			return doppler.NewAt(d.Bin, timeout)
		},
	})
}

func ref() core.SecretSourceRef {
	return core.SecretSourceRef{Provider: "doppler", Name: "prod", Settings: map[string]string{"project": "haloy", "config": "prd"}}
}

func TestFieldsArgvAndErrors(t *testing.T) {
	d := porttest.NewFakeDoppler(t, porttest.SecretItems{"haloy/prd": {"API_TOKEN": "tok-1234567890ab"}})
	got, err := doppler.NewAt(d.Bin, 10*time.Second).Fields(context.Background(), ref())
	if err != nil {
		t.Fatal(err)
	}
	want := map[string]core.Secret{"API_TOKEN": "tok-1234567890ab", "DOPPLER_PROJECT": "haloy", "DOPPLER_CONFIG": "prd", "DOPPLER_ENVIRONMENT": "prd"}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("Fields() mismatch (-want +got):\n%s", diff)
	}
	wantArgv := [][]string{{"secrets", "download", "--no-file", "--format", "json", "--project", "haloy", "--config", "prd"}}
	if diff := cmp.Diff(wantArgv, d.Calls(t)); diff != "" {
		t.Errorf("doppler argv mismatch (-want +got):\n%s", diff)
	}

	tests := []struct {
		name  string
		setup func(t *testing.T, d *porttest.FakeCLI)
		want  *core.Error
	}{
		{"no_token", func(t *testing.T, d *porttest.FakeCLI) { d.Set(t, "signedout", "") }, &core.Error{Kind: core.Missing,
			What: "cannot read Doppler config haloy/prd", Why: "you are not logged in to Doppler (you must provide a token)",
			Fix: "run 'doppler login' (or set DOPPLER_TOKEN to a service token in CI), then run the command again"}},
		{"no_config", func(t *testing.T, d *porttest.FakeCLI) {}, &core.Error{Kind: core.NotFound,
			What: `Doppler config "haloy/prd" not found`, Why: "Could not find requested config 'prd'",
			Fix: `doppler configs --project "haloy" lists the configs; fix project: or config: under secret_providers.doppler.prod`}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			d := porttest.NewFakeDoppler(t, nil)
			tt.setup(t, d)
			_, err := doppler.NewAt(d.Bin, 10*time.Second).Fields(context.Background(), ref())
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
