package fs

import (
	"bytes"
	"context"
	"crypto/sha256"
	"errors"
	"maps"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/joho/godotenv"
	"github.com/subosito/gotenv"

	"github.com/haloy-auth/haloy/core"
	"github.com/haloy-auth/haloy/internal/leakscan"
)

// FuzzEnvRewrite checks what the store writes to .env on any existing file
// and any token: the rewritten file parses (with gotenv, and with Haloy's
// godotenv when it read the old file alike) to exactly the old variables
// plus the new token (one that core.ValidateToken accepts); every comment, blank line and foreign entry (a duplicate too) is
// kept byte for byte; removing the token again leaves the old variables. A value
// that no dotenv syntax carries is refused, never written mangled.
func FuzzEnvRewrite(f *testing.F) {
	for _, s := range [][3]string{
		{"", "PRODUCTION_HALOY_COM", "abc123"},
		{"# tokens\nexport FOREIGN=keep me\n\nMULTI=\"a\nb\"\n", "A", "00123"},
		{"HALOY_API_TOKEN_A=old # note\nDUP=1\nDUP=2", "A", `it's "quoted" $HOME`},
		{"X='single'\r\nY=\"dq \\\" esc\"\r\n", "B", "ends\\"},
		{"K: colon form\n  # indented comment\n", "C", "a#b"},
		{"Q=\"open\nstill open\n", "D", "x"},
		{"\xff\xfe", "E", "x"}, {"\ufeffA=1\n", "A", "y"},
	} {
		f.Add(s[0], s[1], s[2])
	}
	f.Fuzz(func(t *testing.T, old, suffix, value string) {
		if core.ValidateToken(value) != nil {
			return // the store is never asked to write it
		}
		have, err := parseEnv(".env", []byte(old))
		if err != nil {
			return // not a file the store would load
		}
		key := "HALOY_API_TOKEN_" + strings.Map(func(r rune) rune {
			if r >= 'A' && r <= 'Z' || r >= '0' && r <= '9' || r == '_' {
				return r
			}
			return -1
		}, strings.ToUpper(suffix))
		want := maps.Clone(map[string]string(have))
		want[key] = value
		out, err := rewriteEnv([]byte(old), have, want)
		if err != nil {
			if _, lerr := encodeLine(key, value); lerr == nil {
				t.Fatalf("rewriteEnv(%q, +%s=%q) error %v, though the value alone encodes", old, key, value, err)
			}
			return
		}
		got, err := gotenv.StrictParse(bytes.NewReader(out))
		if err != nil {
			t.Fatalf("rewriteEnv(%q, +%s=%q) wrote %q, which gotenv cannot read: %v", old, key, value, out, err)
		}
		if diff := cmp.Diff(want, map[string]string(got)); diff != "" {
			t.Fatalf("rewriteEnv(%q, +%s=%q) wrote %q, which reads back as (-want +got):\n%s", old, key, value, out, diff)
		}
		if hv, err := godotenv.Unmarshal(old); err == nil && maps.Equal(hv, map[string]string(have)) && !strings.Contains(old, "\r") {
			hgot, err := godotenv.Unmarshal(string(out))
			if err != nil || !maps.Equal(want, hgot) {
				t.Fatalf("rewriteEnv(%q, +%s=%q) wrote %q, which godotenv reads as %q, %v; want %q", old, key, value, out, hgot, err, want)
			}
		}
		if strings.Join(rawOf(splitEntries([]byte(old))), "") != old {
			t.Fatalf("splitEntries(%q) does not join back to the file", old)
		}
		for _, e := range splitEntries([]byte(old)) {
			if e.key != key {
				if !strings.Contains(string(out), e.raw) {
					t.Fatalf("rewriteEnv(%q, +%s=%q) wrote %q, which lost the line %q", old, key, value, out, e.raw)
				}
			}
		}
		without := maps.Clone(want)
		delete(without, key)
		back, err := rewriteEnv(out, want, without)
		if err != nil {
			t.Fatalf("rewriteEnv(%q, -%s) error %v", out, key, err)
		}
		if got, err := gotenv.StrictParse(bytes.NewReader(back)); err != nil || !maps.Equal(without, got) {
			t.Fatalf("rewriteEnv(%q, -%s) wrote %q, which reads back as %q, %v; want %q", out, key, back, got, err, without)
		}
	})
}

// FuzzLoadHidesValues writes a token anywhere in client.yaml or .env (as a
// value, a key, in broken syntax) and checks that no error of Load repeats
// it, nor 12 characters of it: a bad line is named by its number.
func FuzzLoadHidesValues(f *testing.F) {
	for _, s := range [][3]string{
		{"env", "HALOY_API_TOKEN_X=\"", "\n"}, {"env", "", "\n"}, {"env", "A B=", "\n"}, {"env", "X='", "\nY=1\n"},
		{"yaml", "servers:\n  a.example.com:\n    token: ", "\n"}, {"yaml", "servers:\n  ", ": [\n"}, {"yaml", "servers: ", "\n"},
		{"yaml", "servers:\n  a: {token_env: \"", "}\n"}, {"yaml", "*", ""},
	} {
		f.Add(s[0], s[1], s[2])
	}
	secret := core.FormatAPIToken(sha256.Sum256([]byte("a token in the config directory")))
	f.Fuzz(func(t *testing.T, file, before, after string) {
		s, dir, _ := newStore(t)
		if err := os.MkdirAll(dir, 0o700); err != nil {
			t.Fatal(err)
		}
		name := EnvFile
		if file == "yaml" {
			name = ClientFile
		}
		data := before + secret + after
		if err := os.WriteFile(filepath.Join(dir, name), []byte(data), 0o600); err != nil {
			t.Fatal(err)
		}
		_, err := s.Load(context.Background())
		if err == nil {
			return
		}
		msg := err.Error()
		var ce *core.Error
		if errors.As(err, &ce) {
			msg += "\n" + ce.Fix
		}
		if at, n := leakscan.Find([]byte(msg), secret); at >= 0 {
			t.Fatalf("Load() of %s %q: error repeats %d characters of the token:\n%s", name, data, n, msg)
		}
	})
}

func rawOf(entries []entry) []string {
	out := make([]string, len(entries))
	for i, e := range entries {
		out[i] = e.raw
	}
	return out
}
