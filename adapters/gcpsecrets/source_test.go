package gcpsecrets_test

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"

	"github.com/haloy-auth/haloy/adapters/gcpsecrets"
	"github.com/haloy-auth/haloy/adapters/porttest"
	"github.com/haloy-auth/haloy/core"
	"github.com/haloy-auth/haloy/ports"
)

func TestContract(t *testing.T) {
	porttest.SecretBackendContract(t, porttest.SecretBackend{
		Provider: gcpsecrets.Provider,
		Settings: func(item string) map[string]string { return map[string]string{"secret": item, "project": "acme-prod"} },
		Required: "secret",
		New: func(t *testing.T, items porttest.SecretItems) porttest.SecretFixture {
			g := porttest.NewFakeGcloud(t, items)
			return porttest.SecretFixture{Source: gcpsecrets.NewAt(g.Bin, 10*time.Second),
				Reads: func() int { return len(g.Calls(t)) }, Argv: func() [][]string { return g.Calls(t) },
				SignOut: func() { g.Set(t, "signedout", "") }}
		},
		ToolMissing: func(t *testing.T) ports.SecretSource {
			t.Setenv("PATH", t.TempDir())
			return gcpsecrets.New()
		},
		Slow: func(t *testing.T, items porttest.SecretItems, timeout time.Duration) ports.SecretSource {
			g := porttest.NewFakeGcloud(t, items)
			g.Set(t, "slow", "")
			return gcpsecrets.NewAt(g.Bin, timeout)
		},
	})
}

func ref(settings map[string]string) core.SecretSourceRef {
	return core.SecretSourceRef{Provider: "gcp", Name: "prod", Settings: settings}
}

func TestFields(t *testing.T) {
	tests := []struct {
		name     string
		settings map[string]string
		payload  string
		want     map[string]core.Secret
		argv     []string
	}{
		{"json_object", map[string]string{"secret": "s"}, `{"production":"tok-1"}`, map[string]core.Secret{"production": "tok-1"},
			[]string{"secrets", "versions", "access", "latest", "--secret=s", "--format=json"}},
		{"plain_with_version_and_project", map[string]string{"secret": "s", "version": "3", "project": "p"}, "tok-plain\n",
			map[string]core.Secret{"value": "tok-plain\n"},
			[]string{"secrets", "versions", "access", "3", "--secret=s", "--project=p", "--format=json"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			g := porttest.NewFakeGcloud(t, nil)
			g.Item(t, "s", porttest.GcloudAccess("s", []byte(tt.payload)))
			got, err := gcpsecrets.NewAt(g.Bin, 10*time.Second).Fields(context.Background(), ref(tt.settings))
			if err != nil {
				t.Fatal(err)
			}
			if diff := cmp.Diff(tt.want, got); diff != "" {
				t.Errorf("Fields() mismatch (-want +got):\n%s", diff)
			}
			if diff := cmp.Diff([][]string{tt.argv}, g.Calls(t)); diff != "" {
				t.Errorf("gcloud argv mismatch (-want +got):\n%s", diff)
			}
		})
	}
}

func TestFieldsErrors(t *testing.T) {
	tests := []struct {
		name  string
		setup func(t *testing.T, g *porttest.FakeCLI)
		want  *core.Error
	}{
		{"no_account", func(t *testing.T, g *porttest.FakeCLI) { g.Set(t, "signedout", "") }, &core.Error{Kind: core.Missing,
			What: "cannot read GCP secret haloy", Why: "you are not signed in to Google Cloud (You do not currently have an active account selected.)",
			Fix: "run 'gcloud auth login' (or set GOOGLE_APPLICATION_CREDENTIALS in CI), then run the command again"}},
		{"not_found", func(t *testing.T, g *porttest.FakeCLI) {}, &core.Error{Kind: core.NotFound,
			What: `GCP secret "haloy" not found`, Why: "NOT_FOUND: Secret [projects/123456789012/secrets/haloy] not found or has no versions.",
			Fix: "gcloud secrets list shows the project's secrets; fix secret:, version: or project: under secret_providers.gcp.prod"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			g := porttest.NewFakeGcloud(t, nil)
			tt.setup(t, g)
			_, err := gcpsecrets.NewAt(g.Bin, 10*time.Second).Fields(context.Background(), ref(map[string]string{"secret": "haloy"}))
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
