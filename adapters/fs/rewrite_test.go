package fs

import (
	"context"
	"os"
	"path/filepath"
	"testing"

	"github.com/haloy-auth/haloy/core"
)

// A file an update does not change is not written again: a user's
// comments in client.yaml stay when only a token changes, and an update
// that changes nothing replaces neither file (same inode).
func TestUnchangedFilesNotRewritten(t *testing.T) {
	s, dir, _ := newStore(t)
	addServer(t, s, "a.example.com", "tok-a")
	yamlPath, envPath := filepath.Join(dir, ClientFile), filepath.Join(dir, EnvFile)
	data, err := os.ReadFile(yamlPath)
	if err != nil {
		t.Fatal(err)
	}
	commented := "# my servers\n" + string(data)
	if err := os.WriteFile(yamlPath, []byte(commented), 0o600); err != nil {
		t.Fatal(err)
	}
	stat := func(p string) os.FileInfo {
		t.Helper()
		fi, err := os.Stat(p)
		if err != nil {
			t.Fatal(err)
		}
		return fi
	}
	yamlBefore, envBefore := stat(yamlPath), stat(envPath)
	if err := s.Update(context.Background(), func(*core.ClientState) error { return nil }); err != nil {
		t.Fatal(err)
	}
	if !os.SameFile(yamlBefore, stat(yamlPath)) {
		t.Errorf("an update that changed nothing replaced %s", ClientFile)
	}
	if !os.SameFile(envBefore, stat(envPath)) {
		t.Errorf("an update that changed nothing replaced %s", EnvFile)
	}
	err = s.Update(context.Background(), func(st *core.ClientState) error {
		_, err := st.Add(core.AddServer{Server: "a.example.com", Token: "tok-a2", Force: true})
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	if got, _ := os.ReadFile(yamlPath); string(got) != commented {
		t.Errorf("after a token-only change, %s = %q, want it unchanged: %q", ClientFile, got, commented)
	}
	if !os.SameFile(yamlBefore, stat(yamlPath)) {
		t.Errorf("a token-only change replaced %s", ClientFile)
	}
}

// A write that fails leaves the old file and no temporary file beside it.
func TestFailedAtomicWriteLeavesNoTemp(t *testing.T) {
	dir := t.TempDir()
	// a non-empty directory where the file should be: the rename fails
	target := filepath.Join(dir, EnvFile)
	if err := os.MkdirAll(filepath.Join(target, "x"), 0o700); err != nil {
		t.Fatal(err)
	}
	if err := atomicWrite(target, []byte("A=1\n")); err == nil {
		t.Fatal("atomicWrite over a non-empty directory = nil error")
	}
	ents, err := os.ReadDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	for _, e := range ents {
		if e.Name() != EnvFile {
			t.Errorf("after a failed write, %s is left in the directory", e.Name())
		}
	}
}

// hideContent checks every 12-byte window of the message, the last one
// included.
func TestHideContentLastWindow(t *testing.T) {
	data := []byte("servers:\n  x: haloy_SECRETVALUE1\n")
	for msg, want := range map[string]string{
		"[2:6] unknown value haloy_SECRETVALUE1": "[2:6] invalid YAML here",
		"[2:6] unknown value SECRETVALUE1":       "[2:6] invalid YAML here",
		// 11 bytes of the file are not a value worth hiding
		"[2:6] unknown value ECRETVALUE1": "[2:6] unknown value ECRETVALUE1",
	} {
		if got := hideContent(msg, data); got != want {
			t.Errorf("hideContent(%q) = %q, want %q", msg, got, want)
		}
	}
}

// A path in a command to paste is quoted when it needs to be.
func TestShellQuote(t *testing.T) {
	for in, want := range map[string]string{
		"/home/me/.config/haloy/.env": "/home/me/.config/haloy/.env",
		"/home/my name/.env":          "'/home/my name/.env'",
		"/tmp/it's":                   `'/tmp/it'\''s'`,
		"/a$b":                        "'/a$b'",
		"":                            "",
	} {
		if got := shellQuote(in); got != want {
			t.Errorf("shellQuote(%q) = %q, want %q", in, got, want)
		}
	}
}
