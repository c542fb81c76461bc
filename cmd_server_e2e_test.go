package main

import (
	"bytes"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/haloy-auth/haloy/internal/leakscan"
)

// TestServerBinary builds haloy once and drives it as a user would.
func TestServerBinary(t *testing.T) {
	bin, _ := builtBinary(t)
	t.Run("add_list_delete", func(t *testing.T) { testAddListDelete(t, bin) })
	t.Run("prompt", func(t *testing.T) { testAddPrompt(t, bin) })
	t.Run("prompt_interrupt", func(t *testing.T) { testPromptInterrupt(t, bin) })
	t.Run("prompt_eof", func(t *testing.T) { testPromptEOF(t, bin) })
}

// testAddListDelete drives server add, list and delete in a throwaway config
// directory: every command does what it says, and no output holds the token.
func testAddListDelete(t *testing.T, bin string) {
	cfg := filepath.Join(t.TempDir(), "cfg")
	const token = "e2e-Secret-Token-0042#x"
	const token2 = "00123"
	scan := leakscan.New(t) // every output, and the config files but .env
	scan.Secret("token", token)
	scan.Secret("token2", token2)
	scan.Dir(cfg, ".env")
	haloy := func(stdin string, args ...string) (string, int) {
		t.Helper()
		cmd := exec.Command(bin, args...)
		cmd.Env = []string{"HALOY_CONFIG_DIR=" + cfg, "PATH=" + os.Getenv("PATH")}
		cmd.Stdin = strings.NewReader(stdin)
		var out bytes.Buffer
		cmd.Stdout, cmd.Stderr = &out, &out
		err := cmd.Run()
		code := 0
		if ee, ok := err.(*exec.ExitError); ok {
			code = ee.ExitCode()
		} else if err != nil {
			t.Fatal(err)
		}
		scan.Output("haloy "+strings.Join(args, " "), out.Bytes())
		for _, tok := range []string{token, token2} {
			if strings.Contains(out.String(), tok) {
				t.Errorf("haloy %q printed the token:\n%s", args, out.String())
			}
		}
		return out.String(), code
	}
	steps := []struct {
		stdin    string
		args     []string
		wantCode int
		want     string
	}{
		{token + "\n", []string{"server", "add", "Production.Haloy.com", "--token-stdin"}, 0, "added production.haloy.com"},
		{"", []string{"server", "add", "localhost:9922", token2}, 0, "added localhost:9922"},
		{"", []string{"server", "add", "production.haloy.com", token2}, 2, "--force"},
		{"", []string{"server", "list"}, 0, "production.haloy.com  HALOY_API_TOKEN_PRODUCTION_HALOY_COM  yes (config .env)"},
		{"", []string{"server", "list", "--json"}, 0, `"token_env": "HALOY_API_TOKEN_LOCALHOST_9922"`},
		{"", []string{"server", "delete", "LOCALHOST:9922"}, 0, "deleted localhost:9922"},
		{"", []string{"server", "delete", "localhost:9922"}, 2, "configured: production.haloy.com"},
	}
	for _, s := range steps {
		out, code := haloy(s.stdin, s.args...)
		if code != s.wantCode || !strings.Contains(out, s.want) {
			t.Errorf("haloy %q = exit %d, output:\n%s\nwant exit %d and %q", s.args, code, out, s.wantCode, s.want)
		}
	}
	env, err := os.ReadFile(filepath.Join(cfg, ".env"))
	if err != nil {
		t.Fatal(err)
	}
	if want := "HALOY_API_TOKEN_PRODUCTION_HALOY_COM='" + token + "'\n"; string(env) != want {
		t.Errorf(".env = %q, want %q", env, want)
	}
	yaml, _ := os.ReadFile(filepath.Join(cfg, "client.yaml"))
	if strings.Contains(string(yaml), token) {
		t.Errorf("client.yaml holds the token")
	}
}
