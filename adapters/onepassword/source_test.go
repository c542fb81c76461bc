package onepassword_test

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"

	"github.com/haloy-auth/haloy/adapters/onepassword"
	"github.com/haloy-auth/haloy/adapters/porttest"
	"github.com/haloy-auth/haloy/core"
	"github.com/haloy-auth/haloy/ports"
)

func TestContract(t *testing.T) {
	porttest.SecretSource(t, func(t *testing.T, items porttest.SecretItems) ports.SecretSource {
		return onepassword.NewAt(porttest.NewFakeOp(t, items).Bin, 10*time.Second)
	})
}

var items = porttest.SecretItems{"Infrastructure/Haloy API Tokens": {"production": "tok-prod-1111", "staging": "tok-stage-2222"}}

func ref(settings map[string]string) core.SecretSourceRef {
	return core.SecretSourceRef{Provider: "onepassword", Name: "api-tokens", Settings: settings}
}

var infra = map[string]string{"vault": "Infrastructure", "item": "Haloy API Tokens"}

func TestFieldsArgv(t *testing.T) {
	tests := []struct {
		name     string
		settings map[string]string
		want     []string
	}{
		{"vault_and_item", infra, []string{"item", "get", "Haloy API Tokens", "--vault", "Infrastructure", "--format", "json"}},
		{"with_account", map[string]string{"vault": "Infrastructure", "item": "Haloy API Tokens", "account": "acme.1password.com"},
			[]string{"item", "get", "Haloy API Tokens", "--vault", "Infrastructure", "--account", "acme.1password.com", "--format", "json"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			op := porttest.NewFakeOp(t, items)
			if _, err := onepassword.NewAt(op.Bin, 10*time.Second).Fields(context.Background(), ref(tt.settings)); err != nil {
				t.Fatalf("Fields() error: %v", err)
			}
			calls := op.Calls(t)
			if diff := cmp.Diff([][]string{tt.want}, calls); diff != "" {
				t.Errorf("op argv mismatch (-want +got):\n%s", diff)
			}
			for _, a := range calls[0] {
				if strings.Contains(a, "tok-") {
					t.Errorf("op argv %q holds a secret value", calls[0])
				}
			}
		})
	}
}

func TestFieldsSkipsValuelessBuiltins(t *testing.T) {
	op := porttest.NewFakeOp(t, items)
	got, err := onepassword.NewAt(op.Bin, 10*time.Second).Fields(context.Background(), ref(infra))
	if err != nil {
		t.Fatal(err)
	}
	// notesPlain has no value in op's output, so it is no field to read.
	if _, ok := got["notesPlain"]; ok {
		t.Errorf("Fields() holds notesPlain, which op printed without a value")
	}
}

func TestFieldsErrors(t *testing.T) {
	const leak = "tok-should-never-print-7777"
	tests := []struct {
		name     string
		setup    func(t *testing.T, op *porttest.FakeOp) *onepassword.Source
		settings map[string]string
		want     *core.Error
	}{
		{"not_installed", func(t *testing.T, op *porttest.FakeOp) *onepassword.Source {
			t.Setenv("PATH", t.TempDir())
			return onepassword.New()
		}, infra, &core.Error{Kind: core.Missing, What: "cannot read 1Password Infrastructure/Haloy API Tokens",
			Why: "the 1Password CLI (op) is not installed or not on PATH",
			Fix: "install op (https://developer.1password.com/docs/cli/get-started/), then run 'op signin'"}},
		{"not_signed_in", func(t *testing.T, op *porttest.FakeOp) *onepassword.Source {
			op.Set(t, "signedout", "")
			return onepassword.NewAt(op.Bin, 10*time.Second)
		}, infra, &core.Error{Kind: core.Missing, What: "cannot read 1Password Infrastructure/Haloy API Tokens",
			Why: "you are not signed in to 1Password (You are not currently signed in. Please run `op signin --help` for instructions)",
			Fix: "run 'eval $(op signin)' (or set OP_SERVICE_ACCOUNT_TOKEN in CI), then run the command again"}},
		{"item_not_found", func(t *testing.T, op *porttest.FakeOp) *onepassword.Source {
			return onepassword.NewAt(op.Bin, 10*time.Second)
		}, map[string]string{"vault": "Infrastructure", "item": "Nope"}, &core.Error{Kind: core.NotFound,
			What: `1Password item "Nope" not found in vault "Infrastructure"`,
			Why:  `"Nope" isn't an item in the "Infrastructure" vault. Specify the item with its UUID, name, or domain.`,
			Fix:  `op item list --vault "Infrastructure" shows the item names; fix item: in secret_providers`}},
		{"vault_not_found", func(t *testing.T, op *porttest.FakeOp) *onepassword.Source {
			return onepassword.NewAt(op.Bin, 10*time.Second)
		}, map[string]string{"vault": "Infra", "item": "Haloy API Tokens"}, &core.Error{Kind: core.NotFound,
			What: `1Password vault "Infra" not found`,
			Why:  `"Infra" isn't a vault in this account. Specify the vault with its ID or name.`,
			Fix:  "op vault list shows the vault names; fix vault: in secret_providers"}},
		{"timeout", func(t *testing.T, op *porttest.FakeOp) *onepassword.Source {
			op.Set(t, "slow", "")
			return onepassword.NewAt(op.Bin, 300*time.Millisecond)
		}, infra, &core.Error{Kind: core.Unavailable, What: "cannot read 1Password Infrastructure/Haloy API Tokens",
			Why: "op did not answer within 300ms", Fix: "unlock 1Password or run 'op signin', then run the command again"}},
		{"output_not_an_item", func(t *testing.T, op *porttest.FakeOp) *onepassword.Source {
			op.Set(t, "garbage", `{"fields": [{"label": "production", "value": "`+leak+`"`)
			return onepassword.NewAt(op.Bin, 10*time.Second)
		}, infra, &core.Error{Kind: core.Unavailable, What: "cannot read 1Password Infrastructure/Haloy API Tokens",
			Why: "op printed something other than an item in JSON", Fix: "update op (op update), then run the command again"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			op := porttest.NewFakeOp(t, items)
			s := tt.setup(t, op)
			start := time.Now()
			_, err := s.Fields(context.Background(), ref(tt.settings))
			if d := time.Since(start); d > 5*time.Second {
				t.Errorf("Fields() took %v, want the timeout to stop it", d)
			}
			var got *core.Error
			if !errors.As(err, &got) {
				t.Fatalf("Fields() error = %v, want *core.Error", err)
			}
			if diff := cmp.Diff(tt.want, got, cmpopts.IgnoreFields(core.Error{}, "Err")); diff != "" {
				t.Errorf("Fields() error mismatch (-want +got):\n%s", diff)
			}
			if s := fmt.Sprintf("%v %+v", got, got); strings.Contains(s, leak) || strings.Contains(s, "tok-prod-1111") {
				t.Errorf("Fields() error %q reveals a secret", s)
			}
		})
	}
}

func TestFieldsHonoursContext(t *testing.T) {
	op := porttest.NewFakeOp(t, items)
	op.Set(t, "slow", "")
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	_, err := onepassword.NewAt(op.Bin, time.Minute).Fields(ctx, ref(infra))
	if err == nil {
		t.Fatal("Fields(cancelled ctx) error = nil, want an error")
	}
}

func TestBackendContract(t *testing.T) {
	prefixed := func(items porttest.SecretItems) porttest.SecretItems {
		out := porttest.SecretItems{}
		for k, v := range items {
			out["Infrastructure/"+k] = v
		}
		return out
	}
	porttest.SecretBackendContract(t, porttest.SecretBackend{
		Provider: onepassword.Provider,
		Settings: func(item string) map[string]string { return map[string]string{"vault": "Infrastructure", "item": item} },
		Required: "item",
		New: func(t *testing.T, items porttest.SecretItems) porttest.SecretFixture {
			op := porttest.NewFakeOp(t, prefixed(items))
			return porttest.SecretFixture{Source: onepassword.NewAt(op.Bin, 10*time.Second),
				Reads:   func() int { return len(op.Calls(t)) },
				Argv:    func() [][]string { return op.Calls(t) },
				SignOut: func() { op.Set(t, "signedout", "") }}
		},
		ToolMissing: func(t *testing.T) ports.SecretSource {
			t.Setenv("PATH", t.TempDir())
			return onepassword.New()
		},
		Slow: func(t *testing.T, items porttest.SecretItems, timeout time.Duration) ports.SecretSource {
			op := porttest.NewFakeOp(t, prefixed(items))
			op.Set(t, "slow", "")
			return onepassword.NewAt(op.Bin, timeout)
		},
	})
}
