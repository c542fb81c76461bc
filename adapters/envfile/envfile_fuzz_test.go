package envfile_test

import (
	"context"
	"crypto/sha256"
	"errors"
	"os"
	"path/filepath"
	"testing"

	"github.com/haloy-auth/haloy/adapters/envfile"
	"github.com/haloy-auth/haloy/core"
	"github.com/haloy-auth/haloy/internal/leakscan"
)

// FuzzReadHidesValues writes a token anywhere in a project's .env (a
// value, a bad line, an open quote) and checks that no error of Read
// repeats it, nor 12 characters of it: a bad line is named by number only.
func FuzzReadHidesValues(f *testing.F) {
	for _, s := range [][2]string{
		{"TOKEN=", "\n"}, {"TOKEN=\"", "\n"}, {"", "\n"}, {"A B=", "\n"}, {"X='", "\nY=2\n"}, {"export ", "\n"}, {"# c\n", "=x\n"},
	} {
		f.Add(s[0], s[1])
	}
	secret := core.FormatAPIToken(sha256.Sum256([]byte("a token in a project .env")))
	f.Fuzz(func(t *testing.T, before, after string) {
		path := filepath.Join(t.TempDir(), ".env")
		data := before + secret + after
		if err := os.WriteFile(path, []byte(data), 0o600); err != nil {
			t.Fatal(err)
		}
		_, err := envfile.New().Read(context.Background(), path)
		if err == nil {
			return
		}
		msg := err.Error()
		var ce *core.Error
		if errors.As(err, &ce) {
			msg += "\n" + ce.Fix
		}
		if at, n := leakscan.Find([]byte(msg), secret); at >= 0 {
			t.Fatalf("Read(%q): error repeats %d characters of the token:\n%s", data, n, msg)
		}
	})
}
