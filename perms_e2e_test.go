package main

import (
	"bytes"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/haloy-auth/haloy/internal/leakscan"
)

// TestLoosePermissionsBinary runs the built binary on files whose modes let
// other users in: haloy refuses a .env others (or the group) can write and
// tightens, with a warning, one they can read; haloyadm refuses a token
// store others can read. Each refusal says the chmod that fixes it.
func TestLoosePermissionsBinary(t *testing.T) {
	bin, adm := builtBinary(t)
	dir := t.TempDir()
	cfg := filepath.Join(dir, "client")
	srvEnv := []string{"HALOY_CONFIG_DIR=" + filepath.Join(dir, "etc"), "HALOY_DATA_DIR=" + filepath.Join(dir, "data"), "PATH=" + os.Getenv("PATH")}
	scan := leakscan.New(t)
	scan.Dir(cfg, ".env")
	const token = "perm-Secret-Token-31415926"
	scan.Secret("client token", token)
	exe := func(env []string, stdin, prog string, args ...string) (string, string, int) {
		t.Helper()
		cmd := exec.Command(prog, args...)
		cmd.Env = env
		cmd.Stdin = strings.NewReader(stdin)
		var stdout, stderr bytes.Buffer
		cmd.Stdout, cmd.Stderr = &stdout, &stderr
		err := cmd.Run()
		code := 0
		if ee, ok := err.(*exec.ExitError); ok {
			code = ee.ExitCode()
		} else if err != nil {
			t.Fatal(err)
		}
		scan.Output(filepath.Base(prog)+" "+strings.Join(args, " ")+" (stderr)", stderr.Bytes())
		return stdout.String(), stderr.String(), code
	}
	haloy := func(stdin string, args ...string) (string, string, int) {
		t.Helper()
		out, errOut, code := exe([]string{"HALOY_CONFIG_DIR=" + cfg, "PATH=" + os.Getenv("PATH")}, stdin, bin, args...)
		scan.Output("haloy "+strings.Join(args, " "), []byte(out))
		return out, errOut, code
	}
	if _, stderr, code := haloy(token+"\n", "server", "add", "a.example.com", "--token-stdin"); code != 0 {
		t.Fatalf("haloy server add = exit %d\n%s", code, stderr)
	}
	envPath := filepath.Join(cfg, ".env")
	mode := func(p string) os.FileMode {
		t.Helper()
		info, err := os.Stat(p)
		if err != nil {
			t.Fatal(err)
		}
		return info.Mode().Perm()
	}

	// writable by others or by the group: refused, file untouched, for every command that reads it
	for _, m := range []os.FileMode{0o602, 0o620, 0o666} {
		if err := os.Chmod(envPath, m); err != nil {
			t.Fatal(err)
		}
		for _, args := range [][]string{{"server", "list"}, {"server", "add", "b.example.com", "other-token-value"}, {"server", "delete", "a.example.com"}} {
			_, stderr, code := haloy("", args...)
			want := fmt.Sprintf("haloy: error: %q is writable by other users\n", envPath) +
				fmt.Sprintf("haloy: its mode is %04o; whoever can write it can swap a server's API token\n", m) +
				"haloy: hint: chmod 600 " + envPath + "\n"
			if code != 2 || stderr != want {
				t.Errorf("haloy %q with .env %04o = exit %d, stderr:\n%s\nwant exit 2, stderr:\n%s", args, m, code, stderr, want)
			}
			if got := mode(envPath); got != m {
				t.Errorf("haloy %q changed the refused .env's mode to %04o", args, got)
			}
		}
	}

	// readable by others: tightened to 0600 with a warning, and used
	if err := os.Chmod(envPath, 0o644); err != nil {
		t.Fatal(err)
	}
	out, stderr, code := haloy("", "server", "list")
	if want := fmt.Sprintf("haloy: warning: %s was readable by other users (mode 0644); changed it to 0600", envPath); code != 0 || !strings.Contains(stderr, want) {
		t.Errorf("haloy server list with .env 0644 = exit %d, stderr %q; want exit 0 and %q", code, stderr, want)
	}
	if !strings.Contains(out, "a.example.com") {
		t.Errorf("haloy server list after tightening = %q, want a.example.com listed", out)
	}
	if got := mode(envPath); got != 0o600 {
		t.Errorf(".env mode after the warning = %04o, want 0600", got)
	}
	if _, stderr, _ := haloy("", "server", "list"); strings.Contains(stderr, "warning") {
		t.Errorf("second run warns again: %q", stderr)
	}

	// haloyadm: a token store (or its WAL) that others or the group can read is refused
	first, stderr, code := exe(srvEnv, "", adm, "init")
	if code != 0 {
		t.Fatalf("haloyadm init = exit %d\n%s", code, stderr)
	}
	scan.Secret("first API token", strings.TrimSpace(first))
	db := filepath.Join(dir, "data", "haloyadm.db")
	for _, m := range []os.FileMode{0o604, 0o640} {
		if err := os.Chmod(db, m); err != nil {
			t.Fatal(err)
		}
		for _, args := range [][]string{{"serve", "--listen", "127.0.0.1:0"}, {"api", "token", "list"}} {
			_, stderr, code := exe(srvEnv, "", adm, args...)
			wantHint := fmt.Sprintf("haloyadm: hint: chmod 600 %s*\n", db)
			if code != 2 || !strings.HasSuffix(stderr, wantHint) || !strings.Contains(stderr, fmt.Sprintf("its mode is %04o", m)) {
				t.Errorf("haloyadm %q with the store %04o = exit %d, stderr:\n%s\nwant exit 2, the mode, and %q", args, m, code, stderr, wantHint)
			}
		}
	}
	if err := os.Chmod(db, 0o600); err != nil {
		t.Fatal(err)
	}
	if _, stderr, code := exe(srvEnv, "", adm, "api", "token", "list"); code != 0 {
		t.Errorf("haloyadm api token list after chmod 600 = exit %d\n%s", code, stderr)
	}
	scan.Dir(filepath.Join(dir, "data"))
	scan.Dir(filepath.Join(dir, "etc"))
}
