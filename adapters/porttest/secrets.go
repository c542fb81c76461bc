package porttest

import (
	"context"
	"errors"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"

	"github.com/haloy-auth/haloy/core"
	"github.com/haloy-auth/haloy/ports"
)

// SecretItems are the items a SecretSource under test holds: "vault/item"
// -> field label -> value.
type SecretItems map[string]map[string]string

// SecretSource runs the contract of ports.SecretSource for a 1Password-like
// provider. newSource returns the port holding items.
func SecretSource(t *testing.T, newSource func(t *testing.T, items SecretItems) ports.SecretSource) {
	items := SecretItems{
		"Infrastructure/Haloy API Tokens": {"production": "tok-prod-1111", "staging": "tok-stage-2222"},
		"Production/API Tokens":           {"haloy-api": "tok-api-3333"},
	}
	src := func(settings map[string]string) core.SecretSourceRef {
		return core.SecretSourceRef{Provider: "onepassword", Name: "api-tokens", Settings: settings}
	}
	ctx := context.Background()

	t.Run("fields_of_an_item", func(t *testing.T) {
		s := newSource(t, items)
		got, err := s.Fields(ctx, src(map[string]string{"vault": "Infrastructure", "item": "Haloy API Tokens"}))
		if err != nil {
			t.Fatalf("Fields() error: %v", err)
		}
		want := map[string]core.Secret{"production": "tok-prod-1111", "staging": "tok-stage-2222"}
		if diff := cmp.Diff(want, got); diff != "" {
			t.Errorf("Fields() mismatch (-want +got):\n%s", diff)
		}
	})
	t.Run("fields_with_account", func(t *testing.T) {
		s := newSource(t, items)
		got, err := s.Fields(ctx, src(map[string]string{"vault": "Production", "item": "API Tokens", "account": "team.1password.com"}))
		if err != nil {
			t.Fatalf("Fields() error: %v", err)
		}
		if got["haloy-api"].Reveal() != "tok-api-3333" {
			t.Errorf("Fields()[haloy-api] is not the item's value")
		}
	})
	t.Run("describe", func(t *testing.T) {
		s := newSource(t, items)
		tests := []struct {
			name     string
			settings map[string]string
			want     string
		}{
			{"vault_and_item", map[string]string{"vault": "Infrastructure", "item": "Haloy API Tokens"}, "1Password Infrastructure/Haloy API Tokens"},
			{"with_account", map[string]string{"vault": "V", "item": "I", "account": "acme"}, "1Password V/I (account acme)"},
		}
		for _, tt := range tests {
			got, err := s.Describe(src(tt.settings))
			if err != nil || got != tt.want {
				t.Errorf("Describe(%v) = %q, %v, want %q, nil", tt.settings, got, err, tt.want)
			}
		}
	})
	errTests := []struct {
		name     string
		settings map[string]string
		want     *core.Error
	}{
		{"no_item", map[string]string{"vault": "Infrastructure"}, &core.Error{Kind: core.Invalid,
			What: "secret_providers.onepassword.api-tokens has no item",
			Why:  "a 1Password source needs both vault and item", Fix: "add item: <name> under secret_providers.onepassword.api-tokens"}},
		{"no_vault", map[string]string{"item": "Haloy API Tokens"}, &core.Error{Kind: core.Invalid,
			What: "secret_providers.onepassword.api-tokens has no vault",
			Why:  "a 1Password source needs both vault and item", Fix: "add vault: <name> under secret_providers.onepassword.api-tokens"}},
		{"unknown_setting", map[string]string{"vualt": "Infrastructure", "item": "Haloy API Tokens"}, &core.Error{Kind: core.Invalid,
			What: `unknown setting "vualt" in secret_providers.onepassword.api-tokens`,
			Why:  "a 1Password source takes vault, item and optionally account", Fix: `did you mean "vault"?`}},
	}
	for _, tt := range errTests {
		t.Run("describe_"+tt.name, func(t *testing.T) {
			s := newSource(t, items)
			for _, call := range []string{"Describe", "Fields"} {
				var err error
				if call == "Describe" {
					_, err = s.Describe(src(tt.settings))
				} else {
					_, err = s.Fields(ctx, src(tt.settings))
				}
				var got *core.Error
				if !errors.As(err, &got) {
					t.Fatalf("%s(%v) error = %v, want *core.Error", call, tt.settings, err)
				}
				if diff := cmp.Diff(tt.want, got, cmpopts.IgnoreFields(core.Error{}, "Err")); diff != "" {
					t.Errorf("%s(%v) error mismatch (-want +got):\n%s", call, tt.settings, diff)
				}
			}
		})
	}
	t.Run("item_not_found", func(t *testing.T) {
		s := newSource(t, items)
		_, err := s.Fields(ctx, src(map[string]string{"vault": "Infrastructure", "item": "Nope"}))
		var got *core.Error
		if !errors.As(err, &got) {
			t.Fatalf("Fields() error = %v, want *core.Error", err)
		}
		want := &core.Error{Kind: core.NotFound, What: `1Password item "Nope" not found in vault "Infrastructure"`,
			Fix: `op item list --vault "Infrastructure" shows the item names; fix item: in secret_providers`}
		if diff := cmp.Diff(want, got, cmpopts.IgnoreFields(core.Error{}, "Err", "Why")); diff != "" {
			t.Errorf("Fields() error mismatch (-want +got):\n%s", diff)
		}
	})
}
