package awssecrets_test

import (
	"context"
	"encoding/base64"
	"errors"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"

	"github.com/haloy-auth/haloy/adapters/awssecrets"
	"github.com/haloy-auth/haloy/adapters/porttest"
	"github.com/haloy-auth/haloy/core"
	"github.com/haloy-auth/haloy/ports"
)

func TestContract(t *testing.T) {
	porttest.SecretBackendContract(t, porttest.SecretBackend{
		Provider: awssecrets.Provider,
		Settings: func(item string) map[string]string {
			return map[string]string{"secret_id": "prod/" + item, "region": "eu-west-1"}
		},
		Required: "secret_id",
		New: func(t *testing.T, items porttest.SecretItems) porttest.SecretFixture {
			a := porttest.NewFakeAWS(t, prefixed(items))
			return porttest.SecretFixture{Source: awssecrets.NewAt(a.Bin, 10*time.Second),
				Reads: func() int { return len(a.Calls(t)) }, Argv: func() [][]string { return a.Calls(t) },
				SignOut: func() { a.Set(t, "signedout", "") }}
		},
		ToolMissing: func(t *testing.T) ports.SecretSource {
			t.Setenv("PATH", t.TempDir())
			return awssecrets.New()
		},
		Slow: func(t *testing.T, items porttest.SecretItems, timeout time.Duration) ports.SecretSource {
			a := porttest.NewFakeAWS(t, prefixed(items))
			a.Set(t, "slow", "")
			return awssecrets.NewAt(a.Bin, timeout)
		},
	})
}

func prefixed(items porttest.SecretItems) porttest.SecretItems {
	out := porttest.SecretItems{}
	for k, v := range items {
		out["prod/"+k] = v
	}
	return out
}

func ref(settings map[string]string) core.SecretSourceRef {
	return core.SecretSourceRef{Provider: "aws", Name: "prod", Settings: settings}
}

func TestFields(t *testing.T) {
	tests := []struct {
		name     string
		settings map[string]string
		answer   []byte
		want     map[string]core.Secret
		argv     []string
	}{
		{"json_object", map[string]string{"secret_id": "s"}, porttest.AWSSecretValue("s", `{"production":"tok-1","port":5432}`),
			map[string]core.Secret{"production": "tok-1", "port": "5432"},
			[]string{"secretsmanager", "get-secret-value", "--secret-id", "s", "--output", "json"}},
		{"plain_string", map[string]string{"secret_id": "s", "region": "us-east-1", "profile": "deploy"}, porttest.AWSSecretValue("s", "tok-plain"),
			map[string]core.Secret{"value": "tok-plain"},
			[]string{"secretsmanager", "get-secret-value", "--secret-id", "s", "--region", "us-east-1", "--profile", "deploy", "--output", "json"}},
		{"binary", map[string]string{"secret_id": "s"}, []byte(`{"Name":"s","SecretBinary":"` + base64.StdEncoding.EncodeToString([]byte(`{"k":"v"}`)) + `"}`),
			map[string]core.Secret{"k": "v"}, []string{"secretsmanager", "get-secret-value", "--secret-id", "s", "--output", "json"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			a := porttest.NewFakeAWS(t, nil)
			a.Item(t, "s", tt.answer)
			got, err := awssecrets.NewAt(a.Bin, 10*time.Second).Fields(context.Background(), ref(tt.settings))
			if err != nil {
				t.Fatal(err)
			}
			if diff := cmp.Diff(tt.want, got); diff != "" {
				t.Errorf("Fields() mismatch (-want +got):\n%s", diff)
			}
			if diff := cmp.Diff([][]string{tt.argv}, a.Calls(t)); diff != "" {
				t.Errorf("aws argv mismatch (-want +got):\n%s", diff)
			}
		})
	}
}

func TestFieldsErrors(t *testing.T) {
	tests := []struct {
		name  string
		setup func(t *testing.T, a *porttest.FakeCLI)
		want  *core.Error
	}{
		{"no_credentials", func(t *testing.T, a *porttest.FakeCLI) { a.Set(t, "signedout", "") }, &core.Error{Kind: core.Missing,
			What: "cannot read AWS secret prod/haloy", Why: `you are not signed in to AWS (Unable to locate credentials. You can configure credentials by running "aws configure".)`,
			Fix: "run 'aws sso login' or 'aws configure' (or set AWS_PROFILE), then run the command again"}},
		{"not_found", func(t *testing.T, a *porttest.FakeCLI) {}, &core.Error{Kind: core.NotFound,
			What: `AWS secret "prod/haloy" not found`,
			Why:  "An error occurred (ResourceNotFoundException) when calling the GetSecretValue operation: Secrets Manager can't find the specified secret.",
			Fix:  "aws secretsmanager list-secrets shows the secrets of the region; fix secret_id: or region: under secret_providers.aws.prod"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			a := porttest.NewFakeAWS(t, nil)
			tt.setup(t, a)
			_, err := awssecrets.NewAt(a.Bin, 10*time.Second).Fields(context.Background(), ref(map[string]string{"secret_id": "prod/haloy"}))
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
