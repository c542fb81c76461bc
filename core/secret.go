package core

import "fmt"

// Redacted is what a Secret prints instead of its value.
const Redacted = "[redacted]"

// Secret is a token or secret value. Printing it in any way (fmt verbs,
// String, GoString, JSON, text or YAML encoding) shows Redacted, or nothing
// when it is empty; only Reveal returns the value. Carry every token in a
// Secret so that a stray log line or error message cannot leak it. Never
// use one as a map key: encoding/json writes string-kinded keys as they are.
type Secret string

// Reveal returns the secret value. Call it only where the value must leave
// the program: an Authorization header, a file meant to hold it, or output
// the user asked for explicitly.
func (s Secret) Reveal() string { return string(s) }

// IsZero reports whether the secret is empty.
func (s Secret) IsZero() bool { return s == "" }

// String returns Redacted, or "" for an empty secret.
func (s Secret) String() string {
	if s == "" {
		return ""
	}
	return Redacted
}

// GoString returns the redacted form, so that %#v never shows the value.
func (s Secret) GoString() string { return fmt.Sprintf("core.Secret(%q)", s.String()) }

// Format prints the redacted form whatever the verb.
func (s Secret) Format(f fmt.State, verb rune) {
	switch verb {
	case 'v':
		if f.Flag('#') {
			fmt.Fprint(f, s.GoString())
			return
		}
	case 'q':
		fmt.Fprintf(f, "%q", s.String())
		return
	}
	fmt.Fprint(f, s.String())
}

// MarshalJSON encodes the redacted form.
func (s Secret) MarshalJSON() ([]byte, error) { return fmt.Appendf(nil, "%q", s.String()), nil }

// MarshalText encodes the redacted form (encoding/json map keys, YAML, XML).
func (s Secret) MarshalText() ([]byte, error) { return []byte(s.String()), nil }
