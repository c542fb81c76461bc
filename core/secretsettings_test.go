package core_test

import (
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"

	"github.com/haloy-auth/haloy/core"
)

func TestCheckSettings(t *testing.T) {
	src := func(settings map[string]string) core.SecretSourceRef {
		return core.SecretSourceRef{Provider: "vault", Name: "api", Settings: settings}
	}
	tests := []struct {
		name     string
		settings map[string]string
		want     error
	}{
		{"all_there", map[string]string{"path": "haloy/api", "mount": "kv"}, nil},
		{"optional_left_out", map[string]string{"path": "haloy/api"}, nil},
		{"required_missing", map[string]string{"mount": "kv"}, &core.Error{Kind: core.Invalid,
			What: "secret_providers.vault.api has no path", Why: "a Vault source needs path",
			Fix: "add path: <value> under secret_providers.vault.api"}},
		{"required_blank", map[string]string{"path": "  "}, &core.Error{Kind: core.Invalid,
			What: "secret_providers.vault.api has no path", Why: "a Vault source needs path",
			Fix: "add path: <value> under secret_providers.vault.api"}},
		{"misspelt", map[string]string{"path": "p", "mont": "kv"}, &core.Error{Kind: core.Invalid,
			What: `unknown setting "mont" in secret_providers.vault.api`,
			Why:  "a Vault source takes path and optionally mount, address and namespace", Fix: `did you mean "mount"?`}},
		{"unknown", map[string]string{"path": "p", "zzzzzz": "x"}, &core.Error{Kind: core.Invalid,
			What: `unknown setting "zzzzzz" in secret_providers.vault.api`,
			Why:  "a Vault source takes path and optionally mount, address and namespace", Fix: "remove zzzzzz from secret_providers.vault.api"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := core.CheckSettings(src(tt.settings), "Vault", []string{"path"}, []string{"mount", "address", "namespace"})
			if diff := cmp.Diff(tt.want, got, cmpopts.EquateErrors()); diff != "" {
				if ce, ok := got.(*core.Error); ok && tt.want != nil {
					diff = cmp.Diff(tt.want, ce)
				}
				if diff != "" {
					t.Errorf("CheckSettings(%v) mismatch (-want +got):\n%s", tt.settings, diff)
				}
			}
		})
	}
}

func TestCheckSettingsLists(t *testing.T) {
	tests := []struct {
		name string
		src  core.SecretSourceRef
		want error
	}{
		{"list_where_list", core.SecretSourceRef{Provider: "exec", Name: "h", Lists: map[string][]string{"command": {"helper", "-v"}}}, nil},
		{"string_where_list", core.SecretSourceRef{Provider: "exec", Name: "h", Settings: map[string]string{"command": "helper -v"}}, &core.Error{Kind: core.Invalid,
			What: "secret_providers.exec.h.command must be a list of strings", Why: "a credential helper source's command is a list of strings",
			Fix: "write it as command: [program, arg]"}},
		{"list_where_string", core.SecretSourceRef{Provider: "exec", Name: "h", Lists: map[string][]string{"command": {"x"}, "source": {"a", "b"}}}, &core.Error{Kind: core.Invalid,
			What: "secret_providers.exec.h.source must be a string", Why: "a credential helper source's source is a string",
			Fix: "write it as source: <value>"}},
		{"unknown_list", core.SecretSourceRef{Provider: "exec", Name: "h", Lists: map[string][]string{"command": {"x"}, "args": {"a"}}}, &core.Error{Kind: core.Invalid,
			What: `unknown setting "args" in secret_providers.exec.h`, Why: "a credential helper source takes command and optionally source",
			Fix: "remove args from secret_providers.exec.h"}},
		{"required_list_missing", core.SecretSourceRef{Provider: "exec", Name: "h"}, &core.Error{Kind: core.Invalid,
			What: "secret_providers.exec.h has no command", Why: "a credential helper source needs command",
			Fix: "add command: [program, arg] under secret_providers.exec.h"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := core.CheckSettings(tt.src, "credential helper", []string{"command"}, []string{"source"}, "command")
			if tt.want == nil {
				if got != nil {
					t.Errorf("CheckSettings() = %v, want nil", got)
				}
				return
			}
			if diff := cmp.Diff(tt.want, got); diff != "" {
				t.Errorf("CheckSettings() mismatch (-want +got):\n%s", diff)
			}
		})
	}
}

// TestCheckSettingsTakesWords: the settings a backend takes read as
// English for one, two and three words ("a", "a and b", "a, b and c").
func TestCheckSettingsTakesWords(t *testing.T) {
	tests := []struct {
		name               string
		required, optional []string
		want               string
	}{
		{"one_optional", nil, []string{"command"}, "a test source takes optionally command"},
		{"two_required", []string{"vault", "item"}, nil, "a test source takes vault and item"},
		{"two_optional", []string{"file"}, []string{"identity", "format"}, "a test source takes file and optionally identity and format"},
		{"three_optional", []string{"path"}, []string{"mount", "address", "namespace"}, "a test source takes path and optionally mount, address and namespace"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			src := core.SecretSourceRef{Provider: "test", Name: "s", Settings: map[string]string{"zzzzzz": "x"}}
			err := core.CheckSettings(src, "test", tt.required, tt.optional)
			if e, ok := err.(*core.Error); !ok || e.Why != tt.want {
				t.Errorf("CheckSettings(%v, %v) = %v, want a *core.Error saying %q", tt.required, tt.optional, err, tt.want)
			}
		})
	}
}
