package bitwarden_test

import (
	"context"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"

	"github.com/haloy-auth/haloy/adapters/bitwarden"
	"github.com/haloy-auth/haloy/adapters/porttest"
	"github.com/haloy-auth/haloy/core"
	"github.com/haloy-auth/haloy/ports"
)

const session = "bw-session-key-5555eeee"

func TestContract(t *testing.T) {
	t.Setenv("BW_SESSION", session)
	porttest.SecretBackendContract(t, porttest.SecretBackend{
		Provider: bitwarden.Provider,
		Settings: func(item string) map[string]string { return map[string]string{"item": item} },
		Required: "item",
		New: func(t *testing.T, items porttest.SecretItems) porttest.SecretFixture {
			bw := porttest.NewFakeBitwarden(t, items)
			return porttest.SecretFixture{Source: bitwarden.NewAt(bw.Bin, 10*time.Second),
				Reads: func() int { return len(bw.Calls(t)) }, Argv: func() [][]string { return bw.Calls(t) },
				SignOut: func() { bw.Set(t, "signedout", "") }}
		},
		ToolMissing: func(t *testing.T) ports.SecretSource {
			t.Setenv("PATH", t.TempDir())
			return bitwarden.New()
		},
		Slow: func(t *testing.T, items porttest.SecretItems, timeout time.Duration) ports.SecretSource {
			bw := porttest.NewFakeBitwarden(t, items)
			bw.Set(t, "slow", "")
			return bitwarden.NewAt(bw.Bin, timeout)
		},
	})
}

func ref(item string) core.SecretSourceRef {
	return core.SecretSourceRef{Provider: "bitwarden", Name: "deploy", Settings: map[string]string{"item": item}}
}

func TestFieldsLoginAndNotes(t *testing.T) {
	t.Setenv("BW_SESSION", session)
	bw := porttest.NewFakeBitwarden(t, porttest.SecretItems{"Haloy": {
		"password": "login-pw-1", "username": "deployer", "notes": "a note", "production": "tok-prod"}})
	got, err := bitwarden.NewAt(bw.Bin, 10*time.Second).Fields(context.Background(), ref("Haloy"))
	if err != nil {
		t.Fatal(err)
	}
	want := map[string]core.Secret{"password": "login-pw-1", "username": "deployer", "notes": "a note", "production": "tok-prod"}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("Fields() mismatch (-want +got):\n%s", diff)
	}
	// The session reaches bw through its environment, never its argv.
	if diff := cmp.Diff([][]string{{"get", "item", "Haloy", "--nointeraction"}}, bw.Calls(t)); diff != "" {
		t.Errorf("bw argv mismatch (-want +got):\n%s", diff)
	}
}

func TestFieldsErrors(t *testing.T) {
	tests := []struct {
		name  string
		setup func(t *testing.T, bw *porttest.FakeCLI)
		want  *core.Error
	}{
		{"locked", func(t *testing.T, bw *porttest.FakeCLI) { t.Setenv("BW_SESSION", "") }, &core.Error{Kind: core.Missing,
			What: "cannot read Bitwarden item Haloy", Why: "the Bitwarden vault is locked (Vault is locked.)",
			Fix: "export BW_SESSION=$(bw unlock --raw), then run the command again"}},
		{"not_logged_in", func(t *testing.T, bw *porttest.FakeCLI) { bw.Set(t, "signedout", "") }, &core.Error{Kind: core.Missing,
			What: "cannot read Bitwarden item Haloy", Why: "you are not logged in to Bitwarden (You are not logged in.)",
			Fix: "run 'bw login', then export BW_SESSION=$(bw unlock --raw), then run the command again"}},
		{"ambiguous", func(t *testing.T, bw *porttest.FakeCLI) { bw.Item(t, "Haloy.ambiguous", nil) }, &core.Error{Kind: core.Invalid,
			What: "cannot read Bitwarden item Haloy", Why: `several Bitwarden items are called "Haloy"`,
			Fix: `give the item's id as item: under secret_providers.bitwarden.deploy (bw list items --search "Haloy")`}},
		{"not_json", func(t *testing.T, bw *porttest.FakeCLI) {
			bw.Item(t, "Haloy", []byte(`{"fields": [{"name": "p", "value": "tok-prod-9999`))
		}, &core.Error{Kind: core.Unavailable,
			What: "cannot read Bitwarden item Haloy", Why: "bw printed something other than an item in JSON", Fix: "update bw, then run the command again"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Setenv("BW_SESSION", session)
			bw := porttest.NewFakeBitwarden(t, porttest.SecretItems{"Haloy": {"production": "tok-prod-9999"}})
			tt.setup(t, bw)
			_, err := bitwarden.NewAt(bw.Bin, 10*time.Second).Fields(context.Background(), ref("Haloy"))
			var got *core.Error
			if !errors.As(err, &got) {
				t.Fatalf("Fields() error = %v, want *core.Error", err)
			}
			if diff := cmp.Diff(tt.want, got, cmpopts.IgnoreFields(core.Error{}, "Err")); diff != "" {
				t.Errorf("Fields() error mismatch (-want +got):\n%s", diff)
			}
			if strings.Contains(got.What+got.Why+got.Fix, "tok-prod-9999") {
				t.Error("error reveals the secret")
			}
		})
	}
}
