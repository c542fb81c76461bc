package core_test

import (
	"errors"
	"strconv"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/haloy-auth/haloy/core"
)

func TestParseSecretRef(t *testing.T) {
	const fix = "write it as <provider>:<source>:<key>, e.g. onepassword:api-tokens:production"
	bad := func(raw, why string) *core.Error {
		return &core.Error{Kind: core.Invalid, What: "malformed secret reference " + strconv.Quote(raw), Why: why, Fix: fix}
	}
	tests := []struct {
		name    string
		in      string
		want    core.SecretRef
		wantErr *core.Error
	}{
		{"colon_form", "onepassword:api-tokens:production", core.SecretRef{Provider: "onepassword", Source: "api-tokens", Key: "production"}, nil},
		{"dot_form_of_the_guide", "onepassword:api-tokens.production", core.SecretRef{Provider: "onepassword", Source: "api-tokens", Key: "production"}, nil},
		{"colon_form_key_with_dots", "onepassword:tokens:prod.haloy.com", core.SecretRef{Provider: "onepassword", Source: "tokens", Key: "prod.haloy.com"}, nil},
		{"dot_form_source_ends_at_first_dot", "onepassword:tokens.prod.haloy.com", core.SecretRef{Provider: "onepassword", Source: "tokens", Key: "prod.haloy.com"}, nil},
		{"colon_form_source_with_dot", "onepassword:my.src:key", core.SecretRef{Provider: "onepassword", Source: "my.src", Key: "key"}, nil},
		{"key_with_spaces", "onepassword:t:API token", core.SecretRef{Provider: "onepassword", Source: "t", Key: "API token"}, nil},
		{"empty", "", core.SecretRef{}, bad("", "it is empty")},
		{"surrounding_space", " onepassword:a:b", core.SecretRef{}, bad(" onepassword:a:b", "it has whitespace at an end or a line break")},
		{"newline_inside", "onepassword:a:b\nc", core.SecretRef{}, bad("onepassword:a:b\nc", "it has whitespace at an end or a line break")},
		{"no_provider", "api-tokens.production", core.SecretRef{}, bad("api-tokens.production", "it has no provider prefix such as onepassword:")},
		{"empty_provider", ":a:b", core.SecretRef{}, bad(":a:b", "the provider before the first colon is empty")},
		{"provider_bad_chars", "one password:a:b", core.SecretRef{}, bad("one password:a:b", `the provider "one password" may hold only letters, digits, '-' and '_'`)},
		{"op_url", "op://Infra/Item/field", core.SecretRef{}, bad("op://Infra/Item/field", "it looks like a URL or an op:// reference; haloy names a source from secret_providers instead")},
		{"no_key", "onepassword:api-tokens", core.SecretRef{}, bad("onepassword:api-tokens", `it names no key: expected <source>:<key> after "onepassword:"`)},
		{"empty_source", "onepassword::production", core.SecretRef{}, bad("onepassword::production", "the source name is empty")},
		{"empty_key", "onepassword:api-tokens:", core.SecretRef{}, bad("onepassword:api-tokens:", "the key (field label) is empty")},
		{"empty_key_dot_form", "onepassword:api-tokens.", core.SecretRef{}, bad("onepassword:api-tokens.", "the key (field label) is empty")},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := core.ParseSecretRef(tt.in)
			if tt.wantErr != nil {
				var ce *core.Error
				if !errors.As(err, &ce) {
					t.Fatalf("ParseSecretRef(%q) error = %v, want %v", tt.in, err, tt.wantErr)
				}
				if diff := cmp.Diff(tt.wantErr, ce); diff != "" {
					t.Errorf("ParseSecretRef(%q) error mismatch (-want +got):\n%s", tt.in, diff)
				}
				return
			}
			if err != nil {
				t.Fatalf("ParseSecretRef(%q) error: %v", tt.in, err)
			}
			if diff := cmp.Diff(tt.want, got); diff != "" {
				t.Errorf("ParseSecretRef(%q) mismatch (-want +got):\n%s", tt.in, diff)
			}
		})
	}
}

func TestSecretProvidersLookup(t *testing.T) {
	providers := core.SecretProviders{"onepassword": {
		"api-tokens":  {"vault": "Infrastructure", "item": "Haloy API Tokens"},
		"prod-tokens": {"vault": "Production", "item": "API Tokens"},
	}}
	tests := []struct {
		name      string
		providers core.SecretProviders
		ref       core.SecretRef
		want      core.SecretSourceRef
		wantErr   *core.Error
	}{
		{"found", providers, core.SecretRef{Provider: "onepassword", Source: "api-tokens", Key: "production"},
			core.SecretSourceRef{Provider: "onepassword", Name: "api-tokens", Settings: map[string]string{"vault": "Infrastructure", "item": "Haloy API Tokens"}}, nil},
		{"no_providers_declared", nil, core.SecretRef{Provider: "onepassword", Source: "api-tokens", Key: "production"}, core.SecretSourceRef{},
			&core.Error{Kind: core.NotFound, What: `unknown secret provider "onepassword" in "onepassword:api-tokens:production"`,
				Why: "the config declares no secret_providers",
				Fix: "declare the source under secret_providers, e.g. secret_providers: {onepassword: {api-tokens: {vault: <vault>, item: <item>}}}"}},
		{"provider_typo", providers, core.SecretRef{Provider: "onepasword", Source: "api-tokens", Key: "production"}, core.SecretSourceRef{},
			&core.Error{Kind: core.NotFound, What: `unknown secret provider "onepasword" in "onepasword:api-tokens:production"`,
				Why: "declared providers: onepassword", Fix: `did you mean "onepassword:api-tokens:production"?`}},
		{"provider_unlike_any", providers, core.SecretRef{Provider: "vault", Source: "api-tokens", Key: "production"}, core.SecretSourceRef{},
			&core.Error{Kind: core.NotFound, What: `unknown secret provider "vault" in "vault:api-tokens:production"`,
				Why: "declared providers: onepassword"}},
		{"source_typo", providers, core.SecretRef{Provider: "onepassword", Source: "api-token", Key: "production"}, core.SecretSourceRef{},
			&core.Error{Kind: core.NotFound, What: `unknown secret source "api-token" in "onepassword:api-token:production"`,
				Why: "sources under secret_providers.onepassword: api-tokens, prod-tokens", Fix: `did you mean "onepassword:api-tokens:production"?`}},
		{"source_unlike_any", providers, core.SecretRef{Provider: "onepassword", Source: "zzzzzz", Key: "k"}, core.SecretSourceRef{},
			&core.Error{Kind: core.NotFound, What: `unknown secret source "zzzzzz" in "onepassword:zzzzzz:k"`,
				Why: "sources under secret_providers.onepassword: api-tokens, prod-tokens",
				Fix: "declare it: secret_providers: {onepassword: {zzzzzz: {vault: <vault>, item: <item>}}}"}},
		{"provider_without_sources", core.SecretProviders{"onepassword": {}}, core.SecretRef{Provider: "onepassword", Source: "x", Key: "k"}, core.SecretSourceRef{},
			&core.Error{Kind: core.NotFound, What: `unknown secret source "x" in "onepassword:x:k"`,
				Why: "no sources are declared under secret_providers.onepassword",
				Fix: "declare it: secret_providers: {onepassword: {x: {vault: <vault>, item: <item>}}}"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := tt.providers.Lookup(tt.ref)
			if tt.wantErr != nil {
				var ce *core.Error
				if !errors.As(err, &ce) {
					t.Fatalf("Lookup(%v) error = %v, want %v", tt.ref, err, tt.wantErr)
				}
				if diff := cmp.Diff(tt.wantErr, ce); diff != "" {
					t.Errorf("Lookup(%v) error mismatch (-want +got):\n%s", tt.ref, diff)
				}
				return
			}
			if err != nil {
				t.Fatalf("Lookup(%v) error: %v", tt.ref, err)
			}
			if diff := cmp.Diff(tt.want, got); diff != "" {
				t.Errorf("Lookup(%v) mismatch (-want +got):\n%s", tt.ref, diff)
			}
		})
	}
}

func TestSecretSourceRefKey(t *testing.T) {
	a := core.SecretSourceRef{Provider: "onepassword", Name: "a", Settings: map[string]string{"vault": "V", "item": "I"}}
	b := core.SecretSourceRef{Provider: "onepassword", Name: "b", Settings: map[string]string{"item": "I", "vault": "V"}}
	c := core.SecretSourceRef{Provider: "onepassword", Name: "a", Settings: map[string]string{"vault": "V", "item": "I", "account": "x"}}
	// Quoting keeps "a=b" "c" apart from "a" "b=c".
	d := core.SecretSourceRef{Provider: "p", Settings: map[string]string{"a": "b\" \"c=d"}}
	e := core.SecretSourceRef{Provider: "p", Settings: map[string]string{"a": "b", "c": "d"}}
	if a.Key() != b.Key() {
		t.Errorf("Key() differs for two sources naming one item: %q, %q", a.Key(), b.Key())
	}
	if a.Key() == c.Key() {
		t.Errorf("Key() = %q for two items of different accounts", a.Key())
	}
	if d.Key() == e.Key() {
		t.Errorf("Key() = %q for different settings", d.Key())
	}
}

// Two configs in different directories that both name secrets.yaml name two
// files: their sources must not be fetched once for both.
func TestSecretSourceRefKeyDir(t *testing.T) {
	ref := func(dir string) core.SecretSourceRef {
		return core.SecretSourceRef{Provider: "sops", Name: "api", Settings: map[string]string{"file": "secrets.yaml"}, Dir: dir}
	}
	for _, dirs := range [][2]string{{"/srv/app", "/srv/other"}, {"", "/srv/app"}} {
		if a, b := ref(dirs[0]).Key(), ref(dirs[1]).Key(); a == b {
			t.Errorf("Key() = %q for the same file in %q and %q", a, dirs[0], dirs[1])
		}
	}
}

func TestDescribeOnePassword(t *testing.T) {
	src := func(settings map[string]string) core.SecretSourceRef {
		return core.SecretSourceRef{Provider: "onepassword", Name: "api-tokens", Settings: settings}
	}
	tests := []struct {
		name     string
		settings map[string]string
		want     string
		wantErr  error
	}{
		{name: "vault_and_item", settings: map[string]string{"vault": "Infrastructure", "item": "Haloy API Tokens"},
			want: "1Password Infrastructure/Haloy API Tokens"},
		{name: "with_account", settings: map[string]string{"vault": "V", "item": "I", "account": "my.1password.com"},
			want: "1Password V/I (account my.1password.com)"},
		{name: "misspelt_key", settings: map[string]string{"vualt": "V", "item": "I"},
			wantErr: &core.Error{Kind: core.Invalid, What: `unknown setting "vualt" in secret_providers.onepassword.api-tokens`,
				Why: "a 1Password source takes vault, item and optionally account", Fix: `did you mean "vault"?`}},
		{name: "foreign_key", settings: map[string]string{"vault": "V", "item": "I", "password": "x"},
			wantErr: &core.Error{Kind: core.Invalid, What: `unknown setting "password" in secret_providers.onepassword.api-tokens`,
				Why: "a 1Password source takes vault, item and optionally account", Fix: "remove password from secret_providers.onepassword.api-tokens"}},
		{name: "no_item", settings: map[string]string{"vault": "V", "item": "  "},
			wantErr: &core.Error{Kind: core.Invalid, What: "secret_providers.onepassword.api-tokens has no item",
				Why: "a 1Password source needs both vault and item", Fix: "add item: <name> under secret_providers.onepassword.api-tokens"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := core.DescribeOnePassword(src(tt.settings))
			if diff := cmp.Diff(tt.wantErr, err); diff != "" {
				t.Fatalf("DescribeOnePassword(%v) error mismatch (-want +got):\n%s", tt.settings, diff)
			}
			if got != tt.want {
				t.Errorf("DescribeOnePassword(%v) = %q, want %q", tt.settings, got, tt.want)
			}
		})
	}
}
