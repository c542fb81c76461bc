package core

import (
	"errors"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"unicode/utf8"
)

var tokenEnvShape = regexp.MustCompile(`^HALOY_API_TOKEN_[A-Z0-9_]+$`)

// password returns the password of user:password@ in raw, if raw holds one
// that appears nowhere else in it.
func password(raw string) string {
	at := strings.LastIndex(raw, "@")
	if at < 0 {
		return ""
	}
	start := 0
	if i := strings.Index(raw, "://"); i >= 0 && i < at {
		start = i + 3
	}
	c := strings.Index(raw[start:at], ":")
	if c < 0 {
		return ""
	}
	pw := raw[start+c+1 : at]
	if strings.Contains(raw[:start+c+1]+raw[at:], pw) {
		return ""
	}
	return pw
}

// FuzzNormalizeServer checks the invariants of server names on any input:
// an accepted name is in normal form (ASCII, lower case, no trailing dot, no
// space), normalizing it again changes nothing, and its token variable has
// the shape HALOY_API_TOKEN_[A-Z0-9_]+. A rejection is an Invalid *Error
// naming the input, with the password of any user:password@ hidden.
func FuzzNormalizeServer(f *testing.F) {
	for _, s := range []string{
		"haloy.example.com", "Production.Haloy.COM.", " localhost:9922\n", "127.0.0.1:9922",
		"[::1]:9922", "2001:DB8::1", "[fe80::1%eth0]", "bücher.example", "xn--bcher-kva.example",
		"https://a.example.com/x", "user@host", "https://deploy:hunter2hunter2@a.example.com", "u:pw12345678@h/x", "deploy:pa#ss/word@api.example.com", "a..b", "-a.com", "1.2.3", "a.com:443", "[::1]:0",
		"a-b.example.com", "a.b-example.com", "localhost:09922", "ＡＢＣ.example", "a。b", strings.Repeat("a", 64) + ".com",
	} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, raw string) {
		got, err := NormalizeServer(raw)
		if err != nil {
			var ce *Error
			if !errors.As(err, &ce) || ce.Kind != Invalid {
				t.Fatalf("NormalizeServer(%q) error = %#v, want a *core.Error of Kind Invalid", raw, err)
			}
			if want := "invalid server " + strconv.Quote(redactUserinfo(raw)); ce.What != want {
				t.Fatalf("NormalizeServer(%q) error What = %q, want %q", raw, ce.What, want)
			}
			if pw := password(raw); len(pw) >= 8 && strings.Contains(ce.What+ce.Why+ce.Fix, pw) {
				t.Fatalf("NormalizeServer(%q) error repeats the password: %q / %q / %q", raw, ce.What, ce.Why, ce.Fix)
			}
			if ce.Fix == "" {
				t.Fatalf("NormalizeServer(%q) error has no Fix", raw)
			}
			return
		}
		if got == "" || !utf8.ValidString(got) || strings.ToLower(got) != got ||
			strings.HasSuffix(got, ".") || strings.ContainsAny(got, " \t\r\n/@?#") {
			t.Fatalf("NormalizeServer(%q) = %q, which is not in normal form", raw, got)
		}
		for i := 0; i < len(got); i++ {
			if got[i] >= utf8.RuneSelf {
				t.Fatalf("NormalizeServer(%q) = %q, which is not ASCII", raw, got)
			}
		}
		again, err := NormalizeServer(got)
		if err != nil || again != got {
			t.Fatalf("NormalizeServer(%q) = %q, %v; want %q, nil (normalizing is idempotent; input %q)", got, again, err, got, raw)
		}
		if env := TokenEnv(got); !tokenEnvShape.MatchString(env) {
			t.Fatalf("TokenEnv(%q) = %q, want a match of %s", got, env, tokenEnvShape)
		}
		if strings.Contains(got, ":") && !strings.HasSuffix(got, "]") && !IsLoopbackServer(got) {
			t.Fatalf("NormalizeServer(%q) = %q: a port on a host that is not loopback", raw, got)
		}
	})
}

// Found by FuzzNormalizeServer: a password holding /, ? or #, or a user
// info before a scheme, was repeated in the error as a path or a scheme.
func TestNormalizeServerHidesPasswords(t *testing.T) {
	for _, raw := range []string{
		"deploy:pa#ss-Word-99@api.example.com",
		"deploy:pa/ss-Word-99@api.example.com/v1",
		"deploy:pa?ss-Word-99@https://api.example.com",
		"https://deploy:pa#ss-Word-99@api.example.com",
	} {
		_, err := NormalizeServer(raw)
		var ce *Error
		if !errors.As(err, &ce) {
			t.Fatalf("NormalizeServer(%q) error = %v, want a *core.Error", raw, err)
		}
		for _, part := range []string{"pa#ss", "pa/ss", "pa?ss", "ss-Word-99"} {
			if msg := ce.What + "\n" + ce.Why + "\n" + ce.Fix; strings.Contains(msg, part) {
				t.Errorf("NormalizeServer(%q) error repeats the password:\n%s", raw, msg)
			}
		}
	}
}
