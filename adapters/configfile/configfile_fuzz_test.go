package configfile_test

import (
	"crypto/sha256"
	"errors"
	"os"
	"path/filepath"
	"regexp"
	"testing"

	"github.com/haloy-auth/haloy/adapters/configfile"
	"github.com/haloy-auth/haloy/core"
	"github.com/haloy-auth/haloy/internal/leakscan"
)

// lineRef is how a decode error points into the file: haloy.yaml:<line>.
var lineRef = regexp.MustCompile(`^haloy\.yaml:[1-9][0-9]*[:\s]`)

// FuzzDecode feeds the app-config decoder any bytes: it never panics, and
// every error is an Invalid *core.Error whose message starts with the
// file's name and the line at fault.
func FuzzDecode(f *testing.F) {
	guides, _ := filepath.Glob(filepath.Join("..", "..", "docs", "testdata", "guide", "*"))
	for _, g := range guides {
		if data, err := os.ReadFile(g); err == nil {
			f.Add(data)
		}
	}
	for _, s := range []string{
		"", "name: app\nserver: a.example.com\n", "name: [\n", "{\"name\": 1}", "targets:\n  \"\": {}\n",
		"name: app\nsevrer: x\n", "api_token:\n  from:\n    secret: onepassword:s:k\n", "\t- x", "a: &a [*a]\n",
		"env:\n  - name: A\n    value: [1]\n", "secret_providers: {}\nsecretProviders: {}\n",
	} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		_, err := configfile.Decode("haloy.yaml", data)
		if err == nil {
			return
		}
		var ce *core.Error
		if !errors.As(err, &ce) || ce.Kind != core.Invalid {
			t.Fatalf("Decode(%q) error = %#v, want a *core.Error of Kind Invalid", data, err)
		}
		if !lineRef.MatchString(ce.What) {
			t.Fatalf("Decode(%q) error What = %q, want it to start with haloy.yaml:<line>", data, ce.What)
		}
	})
}

// fuzzSecret stands for a token written in an app config; no error may
// repeat it, nor 12 characters of it.
var fuzzSecret = core.FormatAPIToken(sha256.Sum256([]byte("a token in an app config")))

// FuzzDecodeHidesValues puts a secret anywhere in any config (as a value,
// a key, inside quotes, in broken syntax) and checks that no decode error
// repeats it: errors name keys, lines and columns, never the file's text.
func FuzzDecodeHidesValues(f *testing.F) {
	for _, s := range [][2]string{
		{"api_token:\n  value: ", "\n"}, {"api_token:\n  value: \"", "\n"}, {"name: app\n", ": x\n"},
		{"env:\n  - name: A\n    value: [", "\n"}, {"{\"api_token\": {\"value\": ", "}"}, {"name: app\nimage: ", " x: y\n"},
		{"targets:\n  ", ":\n    server: a\n"}, {"api_token: {value: '", "}\n"}, {"\t", "\n"}, {"a: &", " b\n"},
	} {
		f.Add(s[0], s[1])
	}
	for _, s := range [][2]string{
		{"[api_token]\nvalue = \"", "\"\n"}, {"name = ", "\n"}, {"[targets.", "]\nserver = 1\n"}, {"{\"apiToken\": ", "}"},
	} {
		f.Add(s[0], s[1])
	}
	f.Fuzz(func(t *testing.T, before, after string) {
		data := []byte(before + fuzzSecret + after)
		// every format: the same text read as YAML, JSON and TOML
		for _, name := range []string{"haloy.yaml", "haloy.json", "haloy.toml"} {
			_, err := configfile.Decode(name, data)
			if err == nil {
				continue
			}
			msg := err.Error()
			var ce *core.Error
			if errors.As(err, &ce) {
				msg += "\n" + ce.Fix
			}
			if at, n := leakscan.Find([]byte(msg), fuzzSecret); at >= 0 {
				t.Fatalf("Decode(%s, %q) error repeats %d characters of a value:\n%s", name, data, n, msg)
			}
		}
	})
}

// jsonTOMLRef is how a decode error of haloy.json or haloy.toml points into
// the file; a TOML file re-encoded for the schema check may lack a line
// only when the key itself has no position (then the file's name alone).
var jsonTOMLRef = regexp.MustCompile(`^haloy\.(json|toml)(:[1-9][0-9]*[:\s]|:? )`)

// FuzzDecodeJSONAndTOML feeds the JSON and TOML paths any bytes: they
// never panic, and every error is an Invalid *core.Error naming the file.
func FuzzDecodeJSONAndTOML(f *testing.F) {
	for _, s := range []string{
		`{"name": "a", "apiToken": {"from": {"env": "X"}}}`, `{"env": [{"name": "A", "valu": 1}]}`, `{"server": }`, `[1]`,
		"name = \"a\"\n[[env]]\nname = \"A\"\n", "[targets.p]\nserver = 1\n", "image = \"nginx:1\"\n[image]\n", "a.b.c = 1\n",
		"[secret_providers.sops.p]\nfile = [\"x\", 1]\n", "port = 1979-05-27\n",
	} {
		f.Add([]byte(s), s[0] == '{' || s[0] == '[' && s[1] != 't' && s[1] != 's')
	}
	f.Fuzz(func(t *testing.T, data []byte, asJSON bool) {
		name := "haloy.toml"
		if asJSON {
			name = "haloy.json"
		}
		_, err := configfile.Decode(name, data)
		if err == nil {
			return
		}
		var ce *core.Error
		if !errors.As(err, &ce) || ce.Kind != core.Invalid {
			t.Fatalf("Decode(%s, %q) error = %#v, want a *core.Error of Kind Invalid", name, data, err)
		}
		if !jsonTOMLRef.MatchString(ce.What) {
			t.Fatalf("Decode(%s, %q) error What = %q, want it to start with the file's name", name, data, ce.What)
		}
	})
}
