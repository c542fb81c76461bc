package core

import (
	"strings"
	"testing"
)

// FuzzAuthorizationHeader checks the Authorization header parser on any input:
// accepted credentials are a non-empty token68 taken from the end of the
// header after a case-insensitive "Bearer" and spaces, and they parse back
// the same from the canonical header. Any header built from an issued
// token parses back to that token.
func FuzzAuthorizationHeader(f *testing.F) {
	var zero [APITokenBytes]byte
	for _, s := range []string{
		"Bearer " + FormatAPIToken(zero), "bearer abc", "BEARER   abc==", "Bearer", "Bearer ", "Bearer a b",
		"Basic dXNlcjpwYXNz", "Bearer =", "Bearer a=b", "Bearer\tabc", " Bearer abc", "Bearer abc\r\n", "Bearer ~+/._-",
	} {
		f.Add(s, []byte{1, 2, 3})
	}
	f.Fuzz(func(t *testing.T, header string, random []byte) {
		cred, ok := ParseBearer(header)
		if ok {
			if cred == "" || strings.ContainsAny(cred, " \t\r\n\x00") || !strings.HasSuffix(header, cred) {
				t.Fatalf("ParseBearer(%q) = %q, true: not a token68 from the header's end", header, cred)
			}
			scheme, _, _ := strings.Cut(header, " ")
			if !strings.EqualFold(scheme, "Bearer") {
				t.Fatalf("ParseBearer(%q) = %q, true for the scheme %q", header, cred, scheme)
			}
			if again, ok := ParseBearer("Bearer " + cred); !ok || again != cred {
				t.Fatalf("ParseBearer(%q) = %q, %v; want %q, true", "Bearer "+cred, again, ok, cred)
			}
		} else if cred != "" {
			t.Fatalf("ParseBearer(%q) = %q, false; want \"\" with false", header, cred)
		}
		var b [APITokenBytes]byte
		copy(b[:], random)
		tok := FormatAPIToken(b)
		if !LooksLikeAPIToken(tok) {
			t.Fatalf("LooksLikeAPIToken(%q) = false for an issued token", tok)
		}
		if got, ok := ParseBearer("Bearer " + tok); !ok || got != tok {
			t.Fatalf("ParseBearer(%q) = %q, %v; want %q, true", "Bearer "+tok, got, ok, tok)
		}
	})
}
