package agefile_test

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"io"
	"maps"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"

	"filippo.io/age"
	"filippo.io/age/armor"
	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"

	"github.com/haloy-auth/haloy/adapters/agefile"
	"github.com/haloy-auth/haloy/adapters/porttest"
	"github.com/haloy-auth/haloy/core"
)

// identity writes a fresh age identity to dir/name and returns its recipient.
func identity(t *testing.T, dir, name string) *age.X25519Recipient {
	t.Helper()
	id, err := age.GenerateX25519Identity()
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dir, name), []byte("# created: test\n# public key: "+id.Recipient().String()+"\n"+id.String()+"\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	return id.Recipient()
}

// encrypt writes plaintext to path encrypted to r, armored if asked.
func encrypt(t *testing.T, path string, r age.Recipient, plaintext string, armored bool) {
	t.Helper()
	var buf bytes.Buffer
	var dst io.WriteCloser = nopCloser{&buf}
	if armored {
		dst = armor.NewWriter(&buf)
	}
	w, err := age.Encrypt(dst, r)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := w.Write([]byte(plaintext)); err != nil {
		t.Fatal(err)
	}
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
	if err := dst.Close(); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(path, buf.Bytes(), 0o600); err != nil {
		t.Fatal(err)
	}
}

type nopCloser struct{ io.Writer }

func (nopCloser) Close() error { return nil }

func TestContract(t *testing.T) {
	porttest.SecretBackendContract(t, porttest.SecretBackend{
		Provider: agefile.Provider,
		// JSON: the contract's keys hold '-', which dotenv names cannot.
		Settings: func(item string) map[string]string { return map[string]string{"file": item + ".json.age"} },
		Required: "file",
		New: func(t *testing.T, items porttest.SecretItems) porttest.SecretFixture {
			dir := t.TempDir()
			r := identity(t, dir, "keys.txt")
			t.Setenv(agefile.IdentityEnv, filepath.Join(dir, "keys.txt"))
			t.Chdir(dir)
			for name, fields := range items {
				b, err := json.Marshal(fields)
				if err != nil {
					t.Fatal(err)
				}
				encrypt(t, filepath.Join(dir, name+".json.age"), r, string(b), false)
			}
			var mu sync.Mutex
			reads := 0
			s := agefile.NewObserved(func(string) { mu.Lock(); reads++; mu.Unlock() })
			return porttest.SecretFixture{Source: s,
				Reads: func() int { mu.Lock(); defer mu.Unlock(); return reads },
				// Another key than the files were encrypted to.
				SignOut: func() {
					identity(t, dir, "other.txt")
					t.Setenv(agefile.IdentityEnv, filepath.Join(dir, "other.txt"))
				}}
		},
	})
}

func ref(dir string, settings map[string]string) core.SecretSourceRef {
	return core.SecretSourceRef{Provider: "age", Name: "prod", Settings: settings, Dir: dir}
}

func TestFieldsFormatsAndPaths(t *testing.T) {
	want := map[string]core.Secret{"API_TOKEN": "tok-1234", "PORT": "5432"}
	tests := []struct {
		name, file, plaintext string
		settings              map[string]string
		armored               bool
	}{
		{"dotenv", "prod.env.age", "API_TOKEN=tok-1234\nPORT=5432\n", nil, false},
		{"yaml", "prod.yaml.age", "API_TOKEN: tok-1234\nPORT: 5432\n", nil, false},
		{"json", "prod.json.age", `{"API_TOKEN": "tok-1234", "PORT": 5432}`, nil, false},
		{"armored", "prod.env.age", "API_TOKEN=tok-1234\nPORT=5432\n", nil, true},
		{"format_setting", "secrets.age", `{"API_TOKEN": "tok-1234", "PORT": "5432"}`, map[string]string{"format": "json"}, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			// The config's directory holds the file and the identity; the
			// command runs elsewhere, so relative paths must follow Dir.
			dir := t.TempDir()
			t.Chdir(t.TempDir())
			r := identity(t, dir, "id.txt")
			encrypt(t, filepath.Join(dir, tt.file), r, tt.plaintext, tt.armored)
			settings := map[string]string{"file": tt.file, "identity": "id.txt"}
			maps.Copy(settings, tt.settings)
			got, err := agefile.New().Fields(context.Background(), ref(dir, settings))
			if err != nil {
				t.Fatal(err)
			}
			if diff := cmp.Diff(want, got); diff != "" {
				t.Errorf("Fields() mismatch (-want +got):\n%s", diff)
			}
		})
	}
}

func TestFieldsErrors(t *testing.T) {
	const leak = "tok-never-shown-4242"
	tests := []struct {
		name     string
		setup    func(t *testing.T, dir string, r age.Recipient)
		settings map[string]string
		want     *core.Error
	}{
		{"no_identity", func(t *testing.T, dir string, r age.Recipient) { t.Setenv(agefile.IdentityEnv, "") },
			map[string]string{"file": "prod.env.age"}, &core.Error{Kind: core.Missing, What: "cannot read age file prod.env.age",
				Why: "no age identity (private key) to decrypt it with",
				Fix: "export AGE_IDENTITY_FILE=~/.config/age/keys.txt, or add identity: <file> under secret_providers.age.prod"}},
		{"identity_not_a_key", func(t *testing.T, dir string, r age.Recipient) {
			os.WriteFile(filepath.Join(dir, "bad.txt"), []byte("# comment\n"+leak+"\n"), 0o600) //nolint:errcheck // checked by the test's result
		}, map[string]string{"file": "prod.env.age", "identity": "bad.txt"}, &core.Error{Kind: core.Invalid,
			What: "cannot use the identity file DIR/bad.txt (identity: in secret_providers.age.prod)",
			Why:  "line 2 is not an age identity (AGE-SECRET-KEY-1...)",
			Fix:  "use a file made by age-keygen; passphrase-protected and SSH identities are not supported"}},
		{"content_not_dotenv", func(t *testing.T, dir string, r age.Recipient) {
			encrypt(t, filepath.Join(dir, "prod.env.age"), r, "{{{ "+leak+" not dotenv\n", false)
		}, map[string]string{"file": "prod.env.age", "identity": "id.txt"}, &core.Error{Kind: core.Invalid,
			What: "cannot read age file prod.env.age", Why: "its decrypted content is not a dotenv document of keys and values",
			Fix: "decrypt it by hand (age -d -i <identity> prod.env.age) and fix it, or set format: under secret_providers.age.prod"}},
		{"not_age", func(t *testing.T, dir string, r age.Recipient) {
			os.WriteFile(filepath.Join(dir, "prod.env.age"), []byte("API_TOKEN="+leak+"\n"), 0o600) //nolint:errcheck // checked by the test's result
		}, map[string]string{"file": "prod.env.age", "identity": "id.txt"}, &core.Error{Kind: core.Invalid,
			What: "cannot read age file prod.env.age", Why: "it is not an age-encrypted file (no valid age header)",
			Fix: "encrypt it with age: age -r <recipient> -o prod.env.age <plaintext>"}},
		{"unknown_format", func(t *testing.T, dir string, r age.Recipient) {}, map[string]string{"file": "prod.age"}, &core.Error{Kind: core.Invalid,
			What: "cannot tell the format of prod.age (secret_providers.age.prod)", Why: "its name does not end in .env.age, .yaml.age or .json.age",
			Fix: "add format: dotenv (or yaml, or json) under secret_providers.age.prod"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			dir := t.TempDir()
			r := identity(t, dir, "id.txt")
			encrypt(t, filepath.Join(dir, "prod.env.age"), r, "API_TOKEN="+leak+"\n", false)
			tt.setup(t, dir, r)
			_, err := agefile.New().Fields(context.Background(), ref(dir, tt.settings))
			var got *core.Error
			if !errors.As(err, &got) {
				t.Fatalf("Fields() error = %v, want *core.Error", err)
			}
			got.What = strings.ReplaceAll(got.What, dir, "DIR")
			if diff := cmp.Diff(tt.want, got, cmpopts.IgnoreFields(core.Error{}, "Err")); diff != "" {
				t.Errorf("Fields() error mismatch (-want +got):\n%s", diff)
			}
			if s := got.What + got.Why + got.Fix; strings.Contains(s, leak) {
				t.Errorf("error %q reveals a secret", s)
			}
		})
	}
}
