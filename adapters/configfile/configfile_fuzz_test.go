package configfile_test

import (
	"errors"
	"os"
	"path/filepath"
	"regexp"
	"testing"

	"github.com/haloy-auth/haloy/adapters/configfile"
	"github.com/haloy-auth/haloy/core"
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
