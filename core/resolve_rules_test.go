package core_test

import (
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"

	"github.com/haloy-auth/haloy/core"
)

// One placeholder rule for every way a token enters, and from.env names
// checked before a shell hint is built from them.
func TestResolveTokenRules(t *testing.T) {
	env := core.Env{{Lookup: core.MapLookup(map[string]string{"PROD": "your_production_token_here", "HALOY_API_TOKEN": "<token>",
		"HALOY_API_TOKEN_S_HALOY_COM": "changeme"})}}
	tests := []struct {
		name string
		in   core.TokenInput
		want *core.Error
	}{
		{"guide_placeholder_in_value", core.TokenInput{APIToken: &core.APITokenConfig{Value: "your_token_here"}, Where: "haloy.yaml:4"}, &core.Error{Kind: core.Invalid,
			What: `no API token for server "s.haloy.com"`,
			Why:  `the token "your_token_here" is a placeholder (literal value in haloy.yaml:4): it is example text from documentation; expected the API token your server's administrator issued (sudo haloyadm api token prints it once)`,
			Fix:  "put the real API token there (literal value in haloy.yaml:4); the server's administrator issues it with haloyadm api token"}},
		{"guide_placeholder_from_env", core.TokenInput{APIToken: &core.APITokenConfig{From: &core.ValueFrom{Env: "PROD"}}, Where: "haloy.yaml:4"}, &core.Error{Kind: core.Invalid,
			What: `no API token for server "s.haloy.com"`,
			Why:  `the token "your_production_token_here" is a placeholder (from env PROD): it is example text from documentation; expected the API token your server's administrator issued (sudo haloyadm api token prints it once)`,
			Fix:  "put the real API token there (from env PROD); the server's administrator issues it with haloyadm api token"}},
		{"placeholder_in_client_store", core.TokenInput{Servers: map[string]core.ServerRef{"s.haloy.com": {TokenEnv: "HALOY_API_TOKEN_S_HALOY_COM"}}}, &core.Error{Kind: core.Invalid,
			What: `no API token for server "s.haloy.com"`,
			Why:  `the token "changeme" is a placeholder (client store HALOY_API_TOKEN_S_HALOY_COM): it is example text from documentation; expected the API token your server's administrator issued (sudo haloyadm api token prints it once)`,
			Fix:  "put the real API token there (client store HALOY_API_TOKEN_S_HALOY_COM); the server's administrator issues it with haloyadm api token"}},
		{"dollar_in_from_env", core.TokenInput{APIToken: &core.APITokenConfig{From: &core.ValueFrom{Env: "$PROD_TOKEN"}}, Where: "haloy.yaml:5"}, &core.Error{Kind: core.Invalid,
			What: `no API token for server "s.haloy.com"`,
			Why:  `api_token.from.env names "$PROD_TOKEN" (haloy.yaml:5), which is not a variable name: from.env takes the variable's name alone: letters, digits and '_', not starting with a digit, without $ or braces`,
			Fix:  "write from.env: PROD_TOKEN"}},
		{"space_in_from_env", core.TokenInput{APIToken: &core.APITokenConfig{From: &core.ValueFrom{Env: "my token"}}, Where: "haloy.yaml:5"}, &core.Error{Kind: core.Invalid,
			What: `no API token for server "s.haloy.com"`,
			Why:  `api_token.from.env names "my token" (haloy.yaml:5), which is not a variable name: from.env takes the variable's name alone: letters, digits and '_', not starting with a digit, without $ or braces`,
			Fix:  "write from.env: MY_TOKEN"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			tt.in.Server, tt.in.File, tt.in.Env = "s.haloy.com", "haloy.yaml", env
			_, err := core.ResolveToken(tt.in)
			got, _ := err.(*core.Error)
			if diff := cmp.Diff(tt.want, got, cmpopts.IgnoreFields(core.Error{}, "Err")); diff != "" {
				t.Errorf("ResolveToken() error mismatch (-want +got):\n%s", diff)
			}
		})
	}
}
