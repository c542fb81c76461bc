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

// A config directory as Haloy's client writes it: server names stored as
// typed (capitals, a port on LOCALHOST), .env lines in Haloy's format. Every
// command uses it with no second entry and no lost token (issue 16).
func TestUpstreamConfigDir(t *testing.T) {
	haloy, _ := builtBinary(t)
	// the default location, as Haloy's client has it: ~/.config/haloy, even
	// with XDG_CONFIG_HOME set (and a haloy directory there)
	root := t.TempDir()
	cfg, appDir, xdg := filepath.Join(root, ".config", "haloy"), filepath.Join(root, "app"), filepath.Join(root, "xdg")
	for _, d := range []string{cfg, appDir, filepath.Join(xdg, "haloy")} {
		if err := os.MkdirAll(d, 0o700); err != nil {
			t.Fatal(err)
		}
	}
	const tok1, tok2, tok3 = "Up-Secret-Token-1x9", "Up-Secret-Token-2y8", "Up-Secret-Token-3z7"
	scan := leakscan.New(t)
	scan.Secret("tok1", tok1)
	scan.Secret("tok2", tok2)
	scan.Secret("tok3", tok3)
	// Haloy writes both files with mode 0644; haloy tightens them and
	// loses nothing
	write := func(path, body string) {
		if err := os.WriteFile(path, []byte(body), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	write(filepath.Join(cfg, "client.yaml"), "servers:\n"+
		"  HALOY.Example.COM:\n    token_env: HALOY_API_TOKEN_HALOY_EXAMPLE_COM\n"+
		"  LOCALHOST:39922:\n    token_env: HALOY_API_TOKEN_LOCALHOST_39922\n")
	write(filepath.Join(cfg, ".env"), "HALOY_API_TOKEN_HALOY_EXAMPLE_COM="+tok1+"\nHALOY_API_TOKEN_LOCALHOST_39922="+tok2+"\n")
	write(filepath.Join(appDir, "haloy.yaml"), "name: my-app\nserver: localhost:39922\nimage:\n  repository: nginx\n")

	run := func(stdin string, args ...string) (int, string) {
		t.Helper()
		cmd := exec.Command(haloy, args...)
		cmd.Dir = appDir
		cmd.Env = []string{"HOME=" + root, "XDG_CONFIG_HOME=" + xdg, "PATH=" + os.Getenv("PATH")}
		cmd.Stdin = strings.NewReader(stdin)
		var out bytes.Buffer
		cmd.Stdout, cmd.Stderr = &out, &out
		err := cmd.Run()
		scan.Output("haloy "+strings.Join(args, " "), out.Bytes())
		if ee, ok := err.(*exec.ExitError); ok {
			return ee.ExitCode(), out.String()
		} else if err != nil {
			t.Fatal(err)
		}
		return 0, out.String()
	}
	steps := []struct {
		stdin    string
		args     []string
		wantCode int
		want     string
	}{
		{"", []string{"server", "list"}, 0, "HALOY.Example.COM  HALOY_API_TOKEN_HALOY_EXAMPLE_COM  yes (config .env)"},
		// add in another case finds the entry: no second one with a disambiguated variable
		{tok3 + "\n", []string{"server", "add", "haloy.example.com", "--token-stdin"}, 2, `server "HALOY.Example.COM" is already configured`},
		{tok3 + "\n", []string{"server", "add", "Haloy.Example.Com.", "--force", "--token-stdin"}, 0, "replaced the token of HALOY.Example.COM; its token is in HALOY_API_TOKEN_HALOY_EXAMPLE_COM"},
		// server: in haloy.yaml in lower case finds LOCALHOST:39922 and its token
		{"", []string{"validate-config"}, 0, "token   client store HALOY_API_TOKEN_LOCALHOST_39922 (set in the config directory's .env)"},
		// the loopback entry is called over http, as a loopback server is
		{"", []string{"server", "check", "LOCALHOST:39922"}, 1, "http://localhost:39922/health"},
		{"", []string{"server", "delete", "haloy.example.com"}, 0, "deleted HALOY.Example.COM and its token HALOY_API_TOKEN_HALOY_EXAMPLE_COM"},
		// the one server left, as stored, is a loopback server: http, not https
		{"", []string{"server", "version"}, 1, "at http://LOCALHOST:39922/v1/version"},
	}
	for _, s := range steps {
		code, out := run(s.stdin, s.args...)
		if code != s.wantCode || !strings.Contains(out, s.want) {
			t.Errorf("haloy %q = %d:\n%s\nwant %d and %q", s.args, code, out, s.wantCode, s.want)
		}
	}
	yml, _ := os.ReadFile(filepath.Join(cfg, "client.yaml"))
	env, _ := os.ReadFile(filepath.Join(cfg, ".env"))
	if want := "servers:\n  LOCALHOST:39922:\n    token_env: HALOY_API_TOKEN_LOCALHOST_39922\n"; string(yml) != want {
		t.Errorf("client.yaml =\n%s\nwant\n%s", yml, want)
	}
	if want := "HALOY_API_TOKEN_LOCALHOST_39922=" + tok2 + "\n"; string(env) != want {
		t.Errorf(".env = %q, want only LOCALHOST's token", env)
	}
	if ents, _ := os.ReadDir(filepath.Join(xdg, "haloy")); len(ents) != 0 {
		t.Errorf("haloy wrote into $XDG_CONFIG_HOME/haloy: %v", ents)
	}
}

// Haloy's client reads ~/.config/haloy/.env.local over .env: so does haloy,
// tightening it as it tightens .env and never writing it. A token kept
// there is used, listed as such, and not rotated (haloy would write the new
// one to .env, under the old one).
func TestUpstreamConfigDirEnvLocal(t *testing.T) {
	haloy, _ := builtBinary(t)
	root := t.TempDir()
	cfg, appDir := filepath.Join(root, ".config", "haloy"), filepath.Join(root, "app")
	for _, d := range []string{cfg, appDir} {
		if err := os.MkdirAll(d, 0o700); err != nil {
			t.Fatal(err)
		}
	}
	const stored, local = "Up-Secret-Stored-4a1", "Up-Secret-Local-5b2"
	scan := leakscan.New(t)
	scan.Secret("stored", stored)
	scan.Secret("local", local)
	write := func(path, body string, mode os.FileMode) {
		if err := os.WriteFile(path, []byte(body), mode); err != nil {
			t.Fatal(err)
		}
	}
	write(filepath.Join(cfg, "client.yaml"), "servers:\n  localhost:39922:\n    token_env: HALOY_API_TOKEN_LOCALHOST_39922\n", 0o600)
	write(filepath.Join(cfg, ".env"), "HALOY_API_TOKEN_LOCALHOST_39922="+stored+"\n", 0o600)
	localBody := "# mine\nHALOY_API_TOKEN_LOCALHOST_39922=" + local + "\n"
	write(filepath.Join(cfg, ".env.local"), localBody, 0o644)
	write(filepath.Join(appDir, "haloy.yaml"), "name: my-app\nserver: localhost:39922\nimage:\n  repository: nginx\n", 0o600)
	steps := []struct {
		args     []string
		wantCode int
		want     string
	}{
		{[]string{"validate-config"}, 0, "token   client store HALOY_API_TOKEN_LOCALHOST_39922 (set in the config directory's .env.local)"},
		{[]string{"server", "list"}, 0, "localhost:39922  HALOY_API_TOKEN_LOCALHOST_39922  yes (config .env.local)"},
		{[]string{"server", "rotate", "localhost:39922"}, 2, "HALOY_API_TOKEN_LOCALHOST_39922 is set in the config directory's .env.local"},
	}
	for _, s := range steps {
		cmd := exec.Command(haloy, s.args...)
		cmd.Dir = appDir
		cmd.Env = []string{"HOME=" + root, "PATH=" + os.Getenv("PATH")}
		out, err := cmd.CombinedOutput()
		scan.Output("haloy "+strings.Join(s.args, " "), out)
		code := 0
		if ee, ok := err.(*exec.ExitError); ok {
			code = ee.ExitCode()
		} else if err != nil {
			t.Fatal(err)
		}
		if code != s.wantCode || !strings.Contains(string(out), s.want) {
			t.Errorf("haloy %q = %d:\n%s\nwant %d and %q", s.args, code, out, s.wantCode, s.want)
		}
	}
	got, _ := os.ReadFile(filepath.Join(cfg, ".env.local"))
	info, _ := os.Stat(filepath.Join(cfg, ".env.local"))
	if string(got) != localBody || info.Mode().Perm() != 0o600 {
		t.Errorf(".env.local = %q, mode %04o; want it unchanged, tightened to 0600", got, info.Mode().Perm())
	}
	if env, _ := os.ReadFile(filepath.Join(cfg, ".env")); string(env) != "HALOY_API_TOKEN_LOCALHOST_39922="+stored+"\n" {
		t.Errorf(".env = %q, want it unchanged", env)
	}
}
