package main

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"filippo.io/age"

	"github.com/haloy-auth/haloy/adapters/porttest"
	"github.com/haloy-auth/haloy/app"
	"github.com/haloy-auth/haloy/internal/leakscan"
)

// Every backend through the production adapters: a config whose token
// and env entry come from one source of the backend, fakes of the
// backends' programs first on PATH (age and exec real), validate-config
// and secrets check. Nothing printed and no program's argv may hold a
// value.
func TestSecretBackendsRealAdapters(t *testing.T) {
	const token, db = "tok-backend-api-12345678", "db-backend-pw-87654321"
	fields := map[string]string{"API_TOKEN": token, "DB_PASSWORD": db}
	bin := t.TempDir()
	t.Setenv("PATH", bin+string(os.PathListSeparator)+os.Getenv("PATH"))
	t.Setenv("BW_SESSION", "bw-session-not-a-value")
	fakes := map[string]*porttest.FakeCLI{}
	fake := func(t *testing.T, name string, items porttest.SecretItems) {
		var f *porttest.FakeCLI
		switch name {
		case "bw":
			f = porttest.NewFakeBitwarden(t, items)
		case "doppler":
			f = porttest.NewFakeDoppler(t, items)
		case "aws":
			f = porttest.NewFakeAWS(t, items)
		case "gcloud":
			f = porttest.NewFakeGcloud(t, items)
		case "vault":
			f = porttest.NewFakeVault(t, "vault", items)
		}
		// Not a symlink: a fake finds its answers next to its own path.
		if err := os.WriteFile(filepath.Join(bin, name), []byte("#!/bin/sh\nexec '"+f.Bin+"' \"$@\"\n"), 0o700); err != nil {
			t.Fatal(err)
		}
		fakes[name] = f
	}
	project := t.TempDir()
	tests := []struct {
		provider, settings string
		setup              func(t *testing.T)
	}{
		{"bitwarden", "item: haloy-prod", func(t *testing.T) { fake(t, "bw", porttest.SecretItems{"haloy-prod": fields}) }},
		{"doppler", "project: haloy\n      config: prd", func(t *testing.T) { fake(t, "doppler", porttest.SecretItems{"haloy/prd": fields}) }},
		{"aws", "secret_id: prod/haloy", func(t *testing.T) { fake(t, "aws", porttest.SecretItems{"prod/haloy": fields}) }},
		{"gcp", "secret: haloy-prod", func(t *testing.T) { fake(t, "gcloud", porttest.SecretItems{"haloy-prod": fields}) }},
		{"vault", "path: haloy/prod", func(t *testing.T) { fake(t, "vault", porttest.SecretItems{"secret/haloy/prod": fields}) }},
		{"exec", "command: [./helper.sh]", func(t *testing.T) {
			b, _ := json.Marshal(map[string]any{"values": fields})
			script := "#!/bin/sh\ncat >/dev/null\nprintf '%s' '" + string(b) + "'\n"
			if err := os.WriteFile(filepath.Join(project, "helper.sh"), []byte(script), 0o700); err != nil {
				t.Fatal(err)
			}
		}},
		{"age", "file: prod.env.age\n      identity: key.txt", func(t *testing.T) {
			id, err := age.GenerateX25519Identity()
			if err != nil {
				t.Fatal(err)
			}
			if err := os.WriteFile(filepath.Join(project, "key.txt"), []byte(id.String()+"\n"), 0o600); err != nil {
				t.Fatal(err)
			}
			var buf bytes.Buffer
			w, err := age.Encrypt(&buf, id.Recipient())
			if err != nil {
				t.Fatal(err)
			}
			fmt.Fprintf(w, "API_TOKEN=%s\nDB_PASSWORD=%s\n", token, db)
			if err := w.Close(); err != nil {
				t.Fatal(err)
			}
			if err := os.WriteFile(filepath.Join(project, "prod.env.age"), buf.Bytes(), 0o600); err != nil {
				t.Fatal(err)
			}
		}},
	}
	for _, tt := range tests {
		t.Run(tt.provider, func(t *testing.T) {
			tt.setup(t)
			cfg := fmt.Sprintf(`name: my-app
server: prod.haloy.com
image:
  repository: my-org/my-app
api_token:
  from:
    secret: %[1]s:prod:API_TOKEN
env:
  - name: DB_PASSWORD
    from:
      secret: %[1]s:prod:DB_PASSWORD
secret_providers:
  %[1]s:
    prod:
      %[2]s
`, tt.provider, tt.settings)
			file := filepath.Join(project, tt.provider+".haloy.yaml")
			if err := os.WriteFile(file, []byte(cfg), 0o600); err != nil {
				t.Fatal(err)
			}
			t.Setenv("HALOY_CONFIG_DIR", t.TempDir())
			scan := leakscan.New(t)
			scan.Secret("api token", token)
			scan.Secret("db password", db)
			for _, args := range [][]string{{"validate-config", "-c", file}, {"secrets", "check", "-c", file}, {"secrets", "check", "--json", "-c", file}} {
				var stdout, stderr bytes.Buffer
				code := run(context.Background(), append([]string{"haloy"}, args...), strings.NewReader(""), &stdout, &stderr, &app.Wiring{})
				scan.Output(strings.Join(args[:2], " ")+" stdout", stdout.Bytes())
				scan.Output(strings.Join(args[:2], " ")+" stderr", stderr.Bytes())
				if code != 0 {
					t.Errorf("haloy %v = %d, want 0\nstdout:\n%s\nstderr:\n%s", args, code, stdout.String(), stderr.String())
				}
				if args[0] == "secrets" && args[2] != "--json" && !strings.Contains(stdout.String(), "resolves  DB_PASSWORD") {
					t.Errorf("haloy %v stdout = %q, want DB_PASSWORD to resolve", args, stdout.String())
				}
			}
			for name, f := range fakes {
				for _, argv := range f.Calls(t) {
					scan.Output(name+" argv", []byte(strings.Join(argv, " ")))
				}
			}
		})
	}
}
