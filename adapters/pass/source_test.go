package pass_test

import (
	"context"
	"maps"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/haloy-auth/haloy/adapters/pass"
	"github.com/haloy-auth/haloy/adapters/porttest"
	"github.com/haloy-auth/haloy/core"
	"github.com/haloy-auth/haloy/ports"
)

// keyring makes a throwaway GPG key without a passphrase in a GNUPGHOME of
// its own, and stops its agent when the test ends.
func keyring(t *testing.T) {
	t.Helper()
	if _, err := exec.LookPath("pass"); err != nil {
		t.Fatal("pass is not installed: run 'go tool task deps'")
	}
	home := filepath.Join(t.TempDir(), "gnupg")
	if err := os.Mkdir(home, 0o700); err != nil {
		t.Fatal(err)
	}
	t.Setenv("GNUPGHOME", home)
	t.Cleanup(func() { exec.Command("gpgconf", "--kill", "gpg-agent").Run() }) //nolint:errcheck // best effort
	gpg(t, "--batch", "--pinentry-mode", "loopback", "--passphrase", "", "--quick-gen-key", "Haloy Test <test@haloy.invalid>", "future-default", "default", "never")
}

func gpg(t *testing.T, args ...string) {
	t.Helper()
	if out, err := exec.Command("gpg", args...).CombinedOutput(); err != nil {
		t.Fatalf("gpg %v: %v\n%s", args, err, out)
	}
}

// store makes a password store for the keyring's key holding entries
// (path -> content), and points PASSWORD_STORE_DIR at it.
func store(t *testing.T, entries map[string]string) {
	t.Helper()
	dir := filepath.Join(t.TempDir(), "store")
	t.Setenv("PASSWORD_STORE_DIR", dir)
	run := func(stdin string, args ...string) {
		cmd := exec.Command("pass", args...)
		cmd.Stdin = strings.NewReader(stdin)
		if out, err := cmd.CombinedOutput(); err != nil {
			t.Fatalf("pass %v: %v\n%s", args, err, out)
		}
	}
	run("", "init", "test@haloy.invalid")
	for path, content := range entries {
		run(content, "insert", "--multiline", path)
	}
}

// entry writes fields as pass entries conventionally look: the password
// first, "key: value" lines after it.
func entry(fields map[string]string) string {
	var b strings.Builder
	b.WriteString(fields["password"] + "\n")
	for _, k := range slices.Sorted(maps.Keys(fields)) {
		if k != "password" {
			b.WriteString(k + ": " + fields[k] + "\n")
		}
	}
	return b.String()
}

func TestContract(t *testing.T) {
	keyring(t)
	porttest.SecretBackendContract(t, porttest.SecretBackend{
		Provider: pass.Provider,
		Settings: func(item string) map[string]string { return map[string]string{"path": "haloy/" + item} },
		Required: "path",
		New: func(t *testing.T, items porttest.SecretItems) porttest.SecretFixture {
			entries := map[string]string{}
			for name, fields := range items {
				entries["haloy/"+name] = entry(fields)
			}
			store(t, entries)
			real, _ := exec.LookPath("pass")
			w := porttest.NewWrapper(t, "pass", real)
			return porttest.SecretFixture{Source: pass.NewAt(w.Bin, 30*time.Second),
				Reads: func() int { return len(w.Calls(t)) },
				Argv:  func() [][]string { return w.Calls(t) },
				// A GNUPGHOME without the store's secret key.
				SignOut: func() {
					home := filepath.Join(t.TempDir(), "other-gnupg")
					if err := os.Mkdir(home, 0o700); err != nil {
						t.Fatal(err)
					}
					t.Setenv("GNUPGHOME", home)
					t.Cleanup(func() { exec.Command("gpgconf", "--kill", "gpg-agent").Run() }) //nolint:errcheck // best effort
				}}
		},
		ToolMissing: func(t *testing.T) ports.SecretSource {
			t.Setenv("PATH", t.TempDir())
			return pass.New()
		},
		Slow: func(t *testing.T, items porttest.SecretItems, timeout time.Duration) ports.SecretSource {
			f := porttest.NewFakeCLI(t, "pass", "exit 1\n")
			f.Set(t, "slow", "")
			return pass.NewAt(f.Bin, timeout)
		},
	})
}

func TestFieldsEntryFormat(t *testing.T) {
	keyring(t)
	tests := []struct {
		name, content string
		want          map[string]core.Secret
	}{
		{"password_only", "pw-only-1234\n", map[string]core.Secret{"password": "pw-only-1234"}},
		{"keys_below", "pw-5678\nproduction: tok-prod\nstaging:tok-stage\n", map[string]core.Secret{"password": "pw-5678", "production": "tok-prod", "staging": "tok-stage"}},
		{"empty_first_line", "\nproduction: tok-prod\n", map[string]core.Secret{"production": "tok-prod"}},
		// A value may itself hold colons (URLs); notes without a colon are no key.
		{"colons_and_notes", "pw\nurl: https://db:5432/x\nsome free notes\nurl: second\n", map[string]core.Secret{"password": "pw", "url": "https://db:5432/x"}},
		{"no_trailing_newline", "pw\nk: v", map[string]core.Secret{"password": "pw", "k": "v"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			store(t, map[string]string{"e": tt.content})
			got, err := pass.New().Fields(context.Background(), core.SecretSourceRef{Provider: "pass", Name: "s", Settings: map[string]string{"path": "e"}})
			if err != nil {
				t.Fatal(err)
			}
			if diff := cmp.Diff(tt.want, got); diff != "" {
				t.Errorf("Fields() mismatch (-want +got):\n%s", diff)
			}
		})
	}
}
