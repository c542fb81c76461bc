package core_test

import (
	"encoding/json"
	"fmt"
	"strings"
	"testing"

	"github.com/haloy-auth/haloy/core"
)

func TestSecretNeverPrints(t *testing.T) {
	const value = "tok-abc123"
	s := core.Secret(value)
	type holder struct {
		Token core.Secret
		Ptr   *core.Secret
	}
	h := holder{Token: s, Ptr: &s}
	outs := map[string]string{
		"String":   s.String(),
		"GoString": s.GoString(),
	}
	for _, verb := range []string{"%s", "%v", "%+v", "%#v", "%q", "%x", "%X", "%d", "%10s", "%-12v"} {
		outs["Sprintf "+verb] = fmt.Sprintf(verb, s)
		outs["Sprintf struct "+verb] = fmt.Sprintf(verb, h)
	}
	outs["Sprint"] = fmt.Sprint(s, []core.Secret{s}, map[string]core.Secret{"k": s})
	outs["Errorf"] = fmt.Errorf("token %v: %w", s, fmt.Errorf("%s", s)).Error()
	b, err := json.Marshal(h)
	if err != nil {
		t.Fatal(err)
	}
	outs["json"] = string(b)
	txt, _ := s.MarshalText()
	outs["MarshalText"] = string(txt)
	for name, out := range outs {
		if strings.Contains(out, value) {
			t.Errorf("%s = %q, reveals the secret", name, out)
		}
	}
	if got := fmt.Sprint(s); got != core.Redacted {
		t.Errorf("fmt.Sprint(Secret) = %q, want %q", got, core.Redacted)
	}
	if got := fmt.Sprintf("%q", s); got != `"[redacted]"` {
		t.Errorf(`Sprintf("%%q", Secret) = %q, want %q`, got, `"[redacted]"`)
	}
	if got := s.Reveal(); got != value {
		t.Errorf("Reveal() = %q, want the value", got)
	}
}

func TestSecretEmpty(t *testing.T) {
	var s core.Secret
	if !s.IsZero() || s.String() != "" || fmt.Sprint(s) != "" {
		t.Errorf("empty Secret: IsZero() = %v, String() = %q, want true, %q", s.IsZero(), s.String(), "")
	}
	if core.Secret("x").IsZero() {
		t.Errorf(`Secret("x").IsZero() = true, want false`)
	}
}
