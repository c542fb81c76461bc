package core

import (
	"errors"
	"strconv"
	"testing"
)

// FuzzParseSecretRef checks the secret-reference parser on any input: an
// accepted reference has every part set and a provider of letters, digits,
// '-' and '_', and its colon form parses back to the same reference; a
// rejection is an Invalid *Error that names the input and says how to write it.
func FuzzParseSecretRef(f *testing.F) {
	for _, s := range []string{
		"onepassword:api-tokens:production", "onepassword:api-tokens.production", "onepassword:a.b:c.d",
		"op://vault/item/field", "onepassword:", "onepassword:src", ":src:key", "one password:s:k",
		" onepassword:s:k", "onepassword:s:k\n", "p:s:k:extra", "p:.k", "p:s.", "p::k",
	} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, raw string) {
		ref, err := ParseSecretRef(raw)
		if err != nil {
			var ce *Error
			if !errors.As(err, &ce) || ce.Kind != Invalid {
				t.Fatalf("ParseSecretRef(%q) error = %#v, want a *core.Error of Kind Invalid", raw, err)
			}
			if want := "malformed secret reference " + strconv.Quote(raw); ce.What != want || ce.Fix == "" {
				t.Fatalf("ParseSecretRef(%q) error = %q (fix %q), want What %q and a Fix", raw, ce.What, ce.Fix, want)
			}
			return
		}
		if ref.Provider == "" || ref.Source == "" || ref.Key == "" || !isRefName(ref.Provider) {
			t.Fatalf("ParseSecretRef(%q) = %+v: a part is empty or the provider is not a name", raw, ref)
		}
		again, err := ParseSecretRef(ref.String())
		if err != nil || again != ref {
			t.Fatalf("ParseSecretRef(%q) = %+v, %v; want %+v, nil (from %q)", ref.String(), again, err, ref, raw)
		}
	})
}
