package fs

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"testing"

	"github.com/haloy-auth/haloy/core"
)

// HALOY_CONFIG_DIR naming a file is a usage error (Invalid: exit 2) that
// names the variable, and the file is left as it was. Issue 16: it was an
// internal error.
func TestConfigDirIsAFile(t *testing.T) {
	file := filepath.Join(t.TempDir(), "not-a-dir")
	if err := os.WriteFile(file, []byte("x"), 0o644); err != nil {
		t.Fatal(err)
	}
	s := New(mapEnv{"HALOY_CONFIG_DIR": file}, &notes{})
	ctx := context.Background()
	_, loadErr := s.Load(ctx)
	updateErr := s.Update(ctx, func(st *core.ClientState) error {
		_, err := st.Add(core.AddServer{Server: "a.example.com", Token: "tok-123"})
		return err
	})
	for name, err := range map[string]error{"Load": loadErr, "Update": updateErr} {
		var ce *core.Error
		if !errors.As(err, &ce) || ce.Kind != core.Invalid || ce.What != `haloy's config directory "`+file+`" is not a directory` {
			t.Errorf("%s with HALOY_CONFIG_DIR a file = %v, want Invalid: not a directory", name, err)
		}
	}
	info, err := os.Stat(file)
	if err != nil || info.Mode().Perm() != 0o644 || info.Size() != 1 {
		t.Errorf("the file changed: %v, %v", info.Mode(), err)
	}
}

// A .env that is a symbolic link to a file not yet created stays a link:
// the token goes to the link's target (issue 16: the link was replaced by
// a regular file).
func TestDanglingEnvLinkStaysALink(t *testing.T) {
	s, dir, _ := newStore(t)
	if err := os.MkdirAll(dir, 0o700); err != nil {
		t.Fatal(err)
	}
	target := filepath.Join(t.TempDir(), "secrets", "haloy.env")
	if err := os.MkdirAll(filepath.Dir(target), 0o700); err != nil {
		t.Fatal(err)
	}
	link := filepath.Join(dir, EnvFile)
	if err := os.Symlink(target, link); err != nil {
		t.Fatal(err)
	}
	err := s.Update(context.Background(), func(st *core.ClientState) error {
		_, err := st.Add(core.AddServer{Server: "a.example.com", Token: "tok-123"})
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	if li, err := os.Lstat(link); err != nil || li.Mode()&os.ModeSymlink == 0 {
		t.Fatalf(".env is no longer a symbolic link: %v, %v", li.Mode(), err)
	}
	b, err := os.ReadFile(target)
	if err != nil || string(b) != "HALOY_API_TOKEN_A_EXAMPLE_COM=tok-123\n" {
		t.Errorf("link target = %q, %v; want the token line", b, err)
	}
}

// A .env that is a directory is refused with exit 2 (a usage error, not an
// internal one), and nothing is changed: the directory keeps its mode and
// no client.yaml is written (issue 16: it was chmod 0600 first, then an
// internal error).
func TestEnvIsADirectory(t *testing.T) {
	s, dir, _ := newStore(t)
	envDir := filepath.Join(dir, EnvFile)
	if err := os.MkdirAll(envDir, 0o755); err != nil {
		t.Fatal(err)
	}
	os.Chmod(dir, 0o700)
	ctx := context.Background()
	_, loadErr := s.Load(ctx)
	updateErr := s.Update(ctx, func(st *core.ClientState) error {
		_, err := st.Add(core.AddServer{Server: "a.example.com", Token: "tok-123"})
		return err
	})
	for name, err := range map[string]error{"Load": loadErr, "Update": updateErr} {
		var ce *core.Error
		if !errors.As(err, &ce) || (ce.Kind != core.Invalid && ce.Kind != core.Unsafe) {
			t.Errorf("%s with .env a directory = %v, want a usage error (exit 2)", name, err)
		}
	}
	if info, err := os.Stat(envDir); err != nil || info.Mode().Perm() != 0o755 {
		t.Errorf(".env directory mode = %v, %v; want 0755, unchanged", info.Mode(), err)
	}
	if _, err := os.Stat(filepath.Join(dir, ClientFile)); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("client.yaml written: %v", err)
	}
}
