package sops_test

import (
	"context"
	"encoding/json"
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/haloy-auth/haloy/adapters/porttest"
	"github.com/haloy-auth/haloy/adapters/sops"
	"github.com/haloy-auth/haloy/core"
	"github.com/haloy-auth/haloy/internal/leakscan"
	"github.com/haloy-auth/haloy/ports"
)

// fakeSops answers `sops decrypt --output-type FMT FILE` with FILE's own
// content (the test writes the "decrypted" text there), or fails as sops
// does without a key ("signedout") or on a file it did not encrypt
// ("notsops").
const fakeSops = `file=""
for a in "$@"; do file="$a"; done
if [ "$1" != decrypt ] || [ "$2" != --output-type ]; then echo "unexpected arguments" >&2; exit 2; fi
if [ -f "$d/signedout" ]; then echo "Failed to get the data key required to decrypt the SOPS file." >&2; echo "Group 0: FAILED" >&2; exit 128; fi
if [ -f "$d/notsops" ]; then echo "sops metadata not found" >&2; exit 1; fi
cat "$file"
`

func TestContract(t *testing.T) {
	porttest.SecretBackendContract(t, porttest.SecretBackend{
		Provider: sops.Provider,
		Settings: func(item string) map[string]string { return map[string]string{"file": item + ".json"} },
		Required: "file",
		New: func(t *testing.T, items porttest.SecretItems) porttest.SecretFixture {
			dir := t.TempDir()
			t.Chdir(dir)
			for name, fields := range items {
				b, err := json.Marshal(fields)
				if err != nil {
					t.Fatal(err)
				}
				if err := os.WriteFile(filepath.Join(dir, name+".json"), b, 0o600); err != nil {
					t.Fatal(err)
				}
			}
			fake := porttest.NewFakeCLI(t, "sops", fakeSops)
			return porttest.SecretFixture{Source: sops.NewAt(fake.Bin, 10*time.Second),
				Reads:   func() int { return len(fake.Calls(t)) },
				Argv:    func() [][]string { return fake.Calls(t) },
				SignOut: func() { fake.Set(t, "signedout", "") }}
		},
		ToolMissing: func(t *testing.T) ports.SecretSource {
			dir := t.TempDir()
			t.Chdir(dir)
			for _, name := range []string{"haloy-api-tokens", "app-secrets"} {
				if err := os.WriteFile(filepath.Join(dir, name+".json"), []byte("{}"), 0o600); err != nil {
					t.Fatal(err)
				}
			}
			return sops.NewAt(filepath.Join(dir, "no-sops-here"), time.Second)
		},
		Slow: func(t *testing.T, items porttest.SecretItems, timeout time.Duration) ports.SecretSource {
			dir := t.TempDir()
			t.Chdir(dir)
			for name := range items {
				if err := os.WriteFile(filepath.Join(dir, name+".json"), []byte("{}"), 0o600); err != nil {
					t.Fatal(err)
				}
			}
			fake := porttest.NewFakeCLI(t, "sops", fakeSops)
			fake.Set(t, "slow", "")
			return sops.NewAt(fake.Bin, timeout)
		},
	})
}

func ref(dir string, settings map[string]string) core.SecretSourceRef {
	return core.SecretSourceRef{Provider: "sops", Name: "prod", Settings: settings, Dir: dir}
}

func reveal(m map[string]core.Secret) map[string]string {
	out := map[string]string{}
	for k, v := range m {
		out[k] = v.Reveal()
	}
	return out
}

// Haloy's reading of the plaintext: nested keys joined with '.', list items
// by index, scalars as text; the format from the setting or the extension.
func TestFieldsFormats(t *testing.T) {
	nested := map[string]string{"DATABASE_PASSWORD": "pw-1", "db.host": "db.internal", "db.port": "5432", "db.tls": "true",
		"hosts.0": "a", "hosts.1": "b", "empty": ""}
	tests := []struct {
		name, file, content string
		settings            map[string]string
		want                map[string]string
		wantErr             string
	}{
		{"yaml", "secrets.enc.yaml", "DATABASE_PASSWORD: pw-1\ndb:\n  host: db.internal\n  port: 5432\n  tls: true\nhosts: [a, b]\nempty:\n", nil, nested, ""},
		{"json", "secrets.json", `{"DATABASE_PASSWORD":"pw-1","db":{"host":"db.internal","port":5432,"tls":true},"hosts":["a","b"],"empty":null}`, nil, nested, ""},
		{"dotenv", "prod.env", "DATABASE_PASSWORD=pw-1\nAPI_KEY='k 2'\n", nil, map[string]string{"DATABASE_PASSWORD": "pw-1", "API_KEY": "k 2"}, ""},
		{"format_setting_wins", "secrets.txt", "A=1\n", map[string]string{"format": "dotenv"}, map[string]string{"A": "1"}, ""},
		{"dotted_key", "s.yaml", "db.host: x\n", nil, nil, `cannot read SOPS file s.yaml: its key "db.host" holds '.', which haloy uses to join nested keys`},
		{"scalar", "s.json", `"just-a-value-9999"`, nil, nil, "cannot read SOPS file s.json: its content is a single value, not keys and values"},
		{"not_dotenv", "s.env", "this is not dotenv secret-8888\n", nil, nil, "cannot read SOPS file s.env: its content is not a dotenv document"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			dir := t.TempDir()
			if err := os.WriteFile(filepath.Join(dir, tt.file), []byte(tt.content), 0o600); err != nil {
				t.Fatal(err)
			}
			fake := porttest.NewFakeCLI(t, "sops", fakeSops)
			settings := map[string]string{"file": tt.file}
			for k, v := range tt.settings {
				settings[k] = v
			}
			got, err := sops.NewAt(fake.Bin, 10*time.Second).Fields(context.Background(), ref(dir, settings))
			if tt.wantErr != "" {
				if err == nil || err.Error() != tt.wantErr {
					t.Fatalf("Fields() error = %v, want %q", err, tt.wantErr)
				}
				if strings.Contains(err.Error(), "9999") || strings.Contains(err.Error(), "8888") {
					t.Errorf("Fields() error %q quotes the plaintext", err)
				}
				return
			}
			if err != nil {
				t.Fatalf("Fields() error: %v", err)
			}
			if diff := cmp.Diff(tt.want, reveal(got)); diff != "" {
				t.Errorf("Fields() mismatch (-want +got):\n%s", diff)
			}
			// relative to the config's directory, and only the path in argv
			want := [][]string{{"decrypt", "--output-type", map[string]string{"yaml": "yaml", "json": "json", "dotenv": "dotenv", "format_setting_wins": "dotenv"}[tt.name], filepath.Join(dir, tt.file)}}
			if diff := cmp.Diff(want, fake.Calls(t)); diff != "" {
				t.Errorf("sops argv mismatch (-want +got):\n%s", diff)
			}
		})
	}
}

func TestErrors(t *testing.T) {
	dir := t.TempDir()
	if err := os.WriteFile(filepath.Join(dir, "plain.yaml"), []byte("A: b\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name     string
		settings map[string]string
		behave   string
		want     *core.Error
	}{
		{"absent_file", map[string]string{"file": "missing.yaml"}, "", &core.Error{Kind: core.NotFound,
			What: "SOPS file " + filepath.Join(dir, "missing.yaml") + " not found",
			Why:  "file: in secret_providers.sops.prod names it (relative paths are relative to the config file's directory)",
			Fix:  "fix file: under secret_providers.sops.prod, or create it with sops encrypt"}},
		{"not_sops", map[string]string{"file": "plain.yaml"}, "notsops", &core.Error{Kind: core.Invalid,
			What: "cannot read SOPS file plain.yaml", Why: "it is not a SOPS-encrypted file (sops: sops metadata not found)",
			Fix: "encrypt it: sops encrypt --in-place " + filepath.Join(dir, "plain.yaml")}},
		{"no_key", map[string]string{"file": "plain.yaml"}, "signedout", &core.Error{Kind: core.Missing,
			What: "cannot read SOPS file plain.yaml", Why: "sops has no key that decrypts it (sops: Failed to get the data key required to decrypt the SOPS file.)",
			Fix: "make a key of the file's recipients available to sops, e.g. export SOPS_AGE_KEY_FILE=~/.config/sops/age/keys.txt, or sign in to its KMS"}},
		{"binary", map[string]string{"file": "plain.yaml", "format": "binary"}, "", &core.Error{Kind: core.Invalid,
			What: `unknown format "binary" in secret_providers.sops.prod`, Why: "a binary file has no keys to read", Fix: "set format: to yaml, json or dotenv"}},
		{"unknown_extension", map[string]string{"file": "secrets.ini"}, "", &core.Error{Kind: core.Invalid,
			What: "cannot tell the format of secrets.ini (secret_providers.sops.prod)", Why: "its name does not end in .yaml, .yml, .json or .env",
			Fix: "add format: yaml (or json, or dotenv) under secret_providers.sops.prod"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			fake := porttest.NewFakeCLI(t, "sops", fakeSops)
			if tt.behave != "" {
				fake.Set(t, tt.behave, "")
			}
			_, err := sops.NewAt(fake.Bin, 10*time.Second).Fields(context.Background(), ref(dir, tt.settings))
			var got *core.Error
			if !errors.As(err, &got) {
				t.Fatalf("Fields() error = %v, want *core.Error", err)
			}
			got.Err = nil
			if diff := cmp.Diff(tt.want, got); diff != "" {
				t.Errorf("Fields() error mismatch (-want +got):\n%s", diff)
			}
		})
	}
}

var (
	toolsOnce sync.Once
	toolsDir  string
	toolsErr  error
)

// realTools builds the pinned sops and age-keygen of tools/go.mod (the
// build cache makes this quick after the first time); CI has no other way
// to get them.
func realTools(t *testing.T) (sopsBin, keygen string) {
	t.Helper()
	toolsOnce.Do(func() {
		toolsDir, toolsErr = os.MkdirTemp("", "haloy-sops-tools-")
		if toolsErr != nil {
			return
		}
		root, err := filepath.Abs("../..")
		if err != nil {
			toolsErr = err
			return
		}
		for _, pkg := range []string{"github.com/getsops/sops/v3/cmd/sops", "filippo.io/age/cmd/age-keygen"} {
			cmd := exec.Command("go", "build", "-modfile=tools/go.mod", "-o", toolsDir, pkg)
			cmd.Dir = root
			if out, err := cmd.CombinedOutput(); err != nil {
				toolsErr = errors.New("go build " + pkg + ": " + err.Error() + "\n" + string(out))
				return
			}
		}
	})
	if toolsErr != nil {
		t.Fatal(toolsErr)
	}
	return filepath.Join(toolsDir, "sops"), filepath.Join(toolsDir, "age-keygen")
}

// A real round trip: a fresh age key, a file encrypted with the real sops,
// resolved by the adapter with the key from SOPS_AGE_KEY_FILE; then the
// same file without the key.
func TestRealSopsRoundTrip(t *testing.T) {
	sopsBin, keygen := realTools(t)
	dir := t.TempDir()
	t.Setenv("HOME", dir) // no key of the machine's user is found by accident
	t.Setenv("XDG_CONFIG_HOME", filepath.Join(dir, ".config"))
	keys := filepath.Join(dir, "keys.txt")
	if out, err := exec.Command(keygen, "-o", keys).CombinedOutput(); err != nil {
		t.Fatalf("age-keygen: %v\n%s", err, out)
	}
	b, err := os.ReadFile(keys)
	if err != nil {
		t.Fatal(err)
	}
	var recipient string
	for _, l := range strings.Split(string(b), "\n") {
		if r, ok := strings.CutPrefix(l, "# public key: "); ok {
			recipient = r
		}
	}
	const password = "pw-real-sops-7777"
	plain := map[string]string{
		"prod.yaml": "DATABASE_PASSWORD: " + password + "\ndb:\n  host: db.internal\n",
		"prod.json": `{"DATABASE_PASSWORD": "` + password + `", "db": {"host": "db.internal"}}`,
		"prod.env":  "DATABASE_PASSWORD=" + password + "\ndb_host=db.internal\n",
	}
	scan := leakscan.New(t)
	scan.Secret("password", password)
	for name, text := range plain {
		p := filepath.Join(dir, "plain-"+name)
		if err := os.WriteFile(p, []byte(text), 0o600); err != nil {
			t.Fatal(err)
		}
		kind := strings.TrimPrefix(filepath.Ext(name), ".")
		if kind == "env" {
			kind = "dotenv"
		}
		cmd := exec.Command(sopsBin, "encrypt", "--age", recipient, "--input-type", kind, "--output-type", kind, p)
		enc, err := cmd.Output()
		if err != nil {
			t.Fatalf("sops encrypt %s: %v", name, err)
		}
		if strings.Contains(string(enc), password) {
			t.Fatalf("sops encrypt %s left the password in clear", name)
		}
		if err := os.WriteFile(filepath.Join(dir, "secrets", name), enc, 0o600); err != nil {
			if err := os.MkdirAll(filepath.Join(dir, "secrets"), 0o700); err != nil {
				t.Fatal(err)
			}
			if err := os.WriteFile(filepath.Join(dir, "secrets", name), enc, 0o600); err != nil {
				t.Fatal(err)
			}
		}
	}
	src := sops.NewAt(sopsBin, time.Minute)
	t.Setenv("SOPS_AGE_KEY_FILE", keys)
	for name := range plain {
		got, err := src.Fields(context.Background(), ref(dir, map[string]string{"file": "secrets/" + name}))
		if err != nil {
			t.Fatalf("Fields(%s) error: %v", name, err)
		}
		host := "db.host"
		if name == "prod.env" {
			host = "db_host"
		}
		want := map[string]string{"DATABASE_PASSWORD": password, host: "db.internal"}
		if diff := cmp.Diff(want, reveal(got)); diff != "" {
			t.Errorf("Fields(%s) mismatch (-want +got):\n%s", name, diff)
		}
	}
	// another key: sops cannot decrypt, and says what to do
	other := filepath.Join(dir, "other.txt")
	if out, err := exec.Command(keygen, "-o", other).CombinedOutput(); err != nil {
		t.Fatalf("age-keygen: %v\n%s", err, out)
	}
	t.Setenv("SOPS_AGE_KEY_FILE", other)
	_, err = src.Fields(context.Background(), ref(dir, map[string]string{"file": "secrets/prod.yaml"}))
	var ce *core.Error
	if !errors.As(err, &ce) || ce.Kind != core.Missing || !strings.Contains(ce.Fix, "SOPS_AGE_KEY_FILE") {
		t.Errorf("Fields() with another key error = %#v, want Kind Missing with a SOPS_AGE_KEY_FILE fix", err)
	}
	scan.Output("error", []byte(err.Error()))
}
