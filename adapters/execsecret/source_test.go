package execsecret_test

import (
	"context"
	"encoding/json"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"

	"github.com/haloy-auth/haloy/adapters/execsecret"
	"github.com/haloy-auth/haloy/adapters/porttest"
	"github.com/haloy-auth/haloy/core"
	"github.com/haloy-auth/haloy/ports"
)

// store writes items as the example helper's files in a new directory.
func store(t *testing.T, items porttest.SecretItems) string {
	t.Helper()
	dir := t.TempDir()
	for name, fields := range items {
		b, err := json.Marshal(fields)
		if err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(filepath.Join(dir, name+".json"), b, 0o600); err != nil {
			t.Fatal(err)
		}
	}
	return dir
}

func TestContract(t *testing.T) {
	// The command is "helper", found in PATH: a wrapper that records its
	// argv and runs the example helper on the fixture's directory.
	onPath := func(t *testing.T, f *porttest.FakeCLI) {
		t.Setenv("PATH", filepath.Dir(f.Bin)+string(os.PathListSeparator)+os.Getenv("PATH"))
	}
	porttest.SecretBackendContract(t, porttest.SecretBackend{
		Provider: execsecret.Provider,
		Settings: func(item string) map[string]string { return map[string]string{"source": item} },
		Lists:    map[string][]string{"command": {"helper"}},
		Required: "command",
		New: func(t *testing.T, items porttest.SecretItems) porttest.SecretFixture {
			dir := store(t, items)
			w := porttest.NewFakeCLI(t, "helper", `exec "`+helperBin+`" "`+dir+`"`+"\n")
			onPath(t, w)
			return porttest.SecretFixture{Source: execsecret.New(),
				Reads: func() int { return len(w.Calls(t)) }, Argv: func() [][]string { return w.Calls(t) },
				SignOut: func() {
					if err := os.WriteFile(filepath.Join(dir, ".locked"), nil, 0o600); err != nil {
						t.Fatal(err)
					}
				}}
		},
		ToolMissing: func(t *testing.T) ports.SecretSource {
			t.Setenv("PATH", t.TempDir())
			return execsecret.New()
		},
		Slow: func(t *testing.T, items porttest.SecretItems, timeout time.Duration) ports.SecretSource {
			f := porttest.NewFakeCLI(t, "helper", "exit 1\n")
			f.Set(t, "slow", "")
			onPath(t, f)
			return execsecret.NewWithTimeout(timeout)
		},
	})
}

func ref(dir string, command []string, settings map[string]string) core.SecretSourceRef {
	return core.SecretSourceRef{Provider: "exec", Name: "helper", Settings: settings, Lists: map[string][]string{"command": command}, Dir: dir}
}

// script writes a helper that prints answer, and records its stdin.
func script(t *testing.T, dir, answer string) string {
	t.Helper()
	p := filepath.Join(dir, "helper.sh")
	body := "#!/bin/sh\ncat > \"$(dirname \"$0\")/stdin\"\nprintf '%s' '" + answer + "'\n"
	if err := os.WriteFile(p, []byte(body), 0o700); err != nil {
		t.Fatal(err)
	}
	return p
}

func TestFieldsProtocol(t *testing.T) {
	dir := t.TempDir()
	t.Chdir(t.TempDir())
	script(t, dir, `{"values": {"API_TOKEN": "tok-exec-1", "PORT": 5432}}`)
	// A relative command is relative to the config file's directory.
	got, err := execsecret.New().Fields(context.Background(), ref(dir, []string{"./helper.sh", "--flag"}, map[string]string{"source": "prod"}))
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff(map[string]core.Secret{"API_TOKEN": "tok-exec-1", "PORT": "5432"}, got); diff != "" {
		t.Errorf("Fields() mismatch (-want +got):\n%s", diff)
	}
	stdin, err := os.ReadFile(filepath.Join(dir, "stdin"))
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff(`{"source":"prod","keys":[]}`, string(stdin)); diff != "" {
		t.Errorf("helper stdin mismatch (-want +got):\n%s", diff)
	}
}

func TestFieldsErrors(t *testing.T) {
	const leak = "tok-never-shown-4242"
	tests := []struct {
		name, answer string
		want         *core.Error
	}{
		{"error_string", `{"error": "vault sealed"}`, &core.Error{Kind: core.Unavailable, What: "cannot read credential helper helper.sh",
			Why: "the helper answered: vault sealed", Fix: "see the helper's documentation"}},
		{"error_not_signed_in", `{"error": {"code": "not_signed_in", "message": "token expired", "fix": "run vault login"}}`, &core.Error{Kind: core.Missing,
			What: "cannot read credential helper helper.sh", Why: "the helper answered: token expired", Fix: "run vault login"}},
		{"error_not_found", `{"error": {"code": "not_found", "message": "no such secret"}}`, &core.Error{Kind: core.NotFound,
			What: "cannot read credential helper helper.sh", Why: "the helper answered: no such secret", Fix: "fix source: under secret_providers.exec.helper"}},
		{"not_json", `API_TOKEN=` + leak, &core.Error{Kind: core.Unavailable, What: "cannot read credential helper helper.sh",
			Why: `the helper's answer is not {"values": {...}} or {"error": ...} in JSON`,
			Fix: `run it by hand to see why: echo '{"source":"","keys":[]}' | DIR/helper.sh`}},
		{"values_not_object", `{"values": ["` + leak + `"]}`, &core.Error{Kind: core.Unavailable, What: "cannot read credential helper helper.sh",
			Why: `the helper's "values" is not a JSON object`, Fix: `run it by hand to see why: echo '{"source":"","keys":[]}' | DIR/helper.sh`}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			dir := t.TempDir()
			bin := script(t, dir, tt.answer)
			_, err := execsecret.New().Fields(context.Background(), ref(dir, []string{bin}, nil))
			var got *core.Error
			if !errors.As(err, &got) {
				t.Fatalf("Fields() error = %v, want *core.Error", err)
			}
			got.Fix = strings.ReplaceAll(got.Fix, dir, "DIR")
			if diff := cmp.Diff(tt.want, got, cmpopts.IgnoreFields(core.Error{}, "Err")); diff != "" {
				t.Errorf("Fields() error mismatch (-want +got):\n%s", diff)
			}
			if s := got.What + got.Why + got.Fix; strings.Contains(s, leak) {
				t.Errorf("error %q reveals a secret", s)
			}
		})
	}
}

func TestFieldsExitWithoutAnswer(t *testing.T) {
	dir := t.TempDir()
	p := filepath.Join(dir, "helper.sh")
	if err := os.WriteFile(p, []byte("#!/bin/sh\necho 'tok-on-stderr-1234' >&2\nexit 3\n"), 0o700); err != nil {
		t.Fatal(err)
	}
	_, err := execsecret.New().Fields(context.Background(), ref(dir, []string{p}, nil))
	var got *core.Error
	if !errors.As(err, &got) || got.Why != "the helper exited with status 3 without an answer" {
		t.Fatalf("Fields() error = %#v, want exit status 3 without an answer", err)
	}
	if strings.Contains(got.Error(), "tok-on-stderr") {
		t.Error("error quotes the helper's stderr")
	}
}
