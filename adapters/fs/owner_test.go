package fs

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/haloy-auth/haloy/core"
)

// nobody is the uid files are given to play another user on the machine.
const nobody = 65534

func needRoot(t *testing.T) {
	t.Helper()
	if os.Geteuid() != 0 {
		t.Skip("chown to another user needs root")
	}
}

// wantUnsafe fails unless err is a *core.Error of Kind Unsafe whose text holds want.
func wantUnsafe(t *testing.T, op string, err error, want string) {
	t.Helper()
	var ce *core.Error
	if !errors.As(err, &ce) || ce.Kind != core.Unsafe || !strings.Contains(err.Error(), want) {
		t.Errorf("%s error = %v, want a *core.Error of Kind Unsafe saying %q", op, err, want)
	}
}

// TestClientYAMLModes: client.yaml says which token goes to which server, so
// it is held to .env's rules: refused when others can write it, tightened
// when they can read it.
func TestClientYAMLModes(t *testing.T) {
	s, dir, n := newStore(t)
	addServer(t, s, "a.example.com", "tok")
	path := filepath.Join(dir, ClientFile)
	os.Chmod(path, 0o666)
	_, err := s.Load(context.Background())
	wantUnsafe(t, "Load() of a 0666 client.yaml", err, strconv.Quote(path)+" is writable by other users: its mode is 0666; whoever can write it can send one server's token to another")
	err = s.Update(context.Background(), func(*core.ClientState) error { return nil })
	wantUnsafe(t, "Update() of a 0666 client.yaml", err, "is writable by other users")

	os.Chmod(path, 0o644)
	if _, err := s.Load(context.Background()); err != nil {
		t.Fatalf("Load() of a 0644 client.yaml: %v", err)
	}
	if info, _ := os.Stat(path); info.Mode().Perm() != 0o600 {
		t.Errorf("client.yaml mode after Load = %04o, want 0600", info.Mode().Perm())
	}
	want := []string{path + " was readable by other users (mode 0644); changed it to 0600, as it says which token goes to which server"}
	if diff := cmp.Diff(want, n.warns); diff != "" {
		t.Errorf("warnings mismatch (-want +got):\n%s", diff)
	}
}

// TestStolenTokenEnvRefused: a client.yaml in which server b names a's token
// variable would send a's token to b; so would a variable haloy never
// derives. Load refuses both; deleting the bad entry repairs the file.
func TestStolenTokenEnvRefused(t *testing.T) {
	s, dir, _ := newStore(t)
	addServer(t, s, "a.example.com", "tok-a")
	path := filepath.Join(dir, ClientFile)
	for _, bad := range []string{"HALOY_API_TOKEN_A_EXAMPLE_COM", "MY_TOKEN"} {
		os.WriteFile(path, []byte("servers:\n  a.example.com:\n    token_env: HALOY_API_TOKEN_A_EXAMPLE_COM\n  b.evil.example:\n    token_env: "+bad+"\n"), 0o600)
		_, err := s.Load(context.Background())
		wantUnsafe(t, "Load() with b naming "+bad, err, `"b.evil.example"`)
		err = s.Update(context.Background(), func(st *core.ClientState) error {
			_, err := st.Add(core.AddServer{Server: "c.example.com", Token: "tok-c"})
			return err
		})
		wantUnsafe(t, "Update() that keeps b naming "+bad, err, `"b.evil.example"`)
	}
	err := s.Update(context.Background(), func(st *core.ClientState) error {
		_, err := st.Delete("b.evil.example")
		return err
	})
	if err != nil {
		t.Fatalf("Update() deleting the bad entry: %v", err)
	}
	st, err := s.Load(context.Background())
	if err != nil || st.Tokens["HALOY_API_TOKEN_A_EXAMPLE_COM"] != "tok-a" || len(st.Servers) != 1 {
		t.Errorf("Load() after the repair = %v, %v; want a.example.com and its token", st.Servers, err)
	}
}

// TestForeignOwnedRefused: a config directory, .env, client.yaml or lock
// file of another user is refused, whatever its mode: they could change it,
// or replace it with a link to a file of ours.
func TestForeignOwnedRefused(t *testing.T) {
	needRoot(t)
	for _, name := range []string{"", EnvFile, ClientFile, LockFile} {
		t.Run("owned_"+strings.TrimPrefix(name, "."), func(t *testing.T) {
			s, dir, _ := newStore(t)
			addServer(t, s, "a.example.com", "tok")
			path := filepath.Join(dir, name)
			if err := os.Chown(path, nobody, nobody); err != nil {
				t.Fatal(err)
			}
			if name != LockFile {
				_, err := s.Load(context.Background())
				wantUnsafe(t, "Load()", err, "owned by another user (uid 65534)")
			}
			err := s.Update(context.Background(), func(*core.ClientState) error {
				t.Error("Update ran fn with a file of another user")
				return nil
			})
			wantUnsafe(t, "Update()", err, "owned by another user (uid 65534)")
		})
	}
}

// TestPlantedSymlinks: links planted in the config directory must not make
// haloy (often root) read, chmod, replace or create another file.
func TestPlantedSymlinks(t *testing.T) {
	needRoot(t)
	victimDir := t.TempDir()
	victim := filepath.Join(victimDir, "shadow")
	const victimText = "root:secret\n"
	setup := func(t *testing.T) (*Store, string) {
		s, dir, _ := newStore(t)
		addServer(t, s, "a.example.com", "tok")
		os.WriteFile(victim, []byte(victimText), 0o644)
		return s, dir
	}
	unchanged := func(t *testing.T) {
		t.Helper()
		data, _ := os.ReadFile(victim)
		info, _ := os.Stat(victim)
		if string(data) != victimText || info.Mode().Perm() != 0o644 {
			t.Errorf("victim file changed: %q, mode %04o", data, info.Mode().Perm())
		}
	}
	update := func(s *Store) error {
		return s.Update(context.Background(), func(st *core.ClientState) error {
			_, err := st.Add(core.AddServer{Server: "b.example.com", Token: "tok-b"})
			return err
		})
	}

	t.Run("env_link_owned_by_another_user", func(t *testing.T) {
		s, dir := setup(t)
		env := filepath.Join(dir, EnvFile)
		os.Remove(env)
		os.Symlink(victim, env)
		os.Lchown(env, nobody, nobody)
		_, err := s.Load(context.Background())
		wantUnsafe(t, "Load()", err, "symbolic link owned by another user")
		wantUnsafe(t, "Update()", update(s), "symbolic link owned by another user")
		unchanged(t)
	})
	t.Run("env_link_to_a_file_of_another_user", func(t *testing.T) {
		s, dir := setup(t)
		env := filepath.Join(dir, EnvFile)
		os.Remove(env)
		os.Symlink(victim, env)
		os.Chown(victim, nobody, nobody)
		defer os.Chown(victim, 0, 0)
		_, err := s.Load(context.Background())
		wantUnsafe(t, "Load()", err, "owned by another user")
		wantUnsafe(t, "Update()", update(s), "owned by another user")
		unchanged(t)
	})
	t.Run("env_link_into_a_directory_of_another_user", func(t *testing.T) {
		s, dir := setup(t)
		theirs := t.TempDir()
		os.Chown(theirs, nobody, nobody)
		env := filepath.Join(dir, EnvFile)
		os.Rename(env, filepath.Join(theirs, "env"))
		os.Symlink(filepath.Join(theirs, "env"), env)
		wantUnsafe(t, "Update()", update(s), "owned by another user")
	})
	t.Run("lock_link_is_not_followed", func(t *testing.T) {
		s, dir := setup(t)
		target := filepath.Join(victimDir, "created-through-link")
		lock := filepath.Join(dir, LockFile)
		os.Remove(lock)
		os.Symlink(target, lock)
		wantUnsafe(t, "Update()", update(s), "is a symbolic link")
		if _, err := os.Lstat(target); !errors.Is(err, os.ErrNotExist) {
			t.Errorf("Update created %s through the lock link (stat: %v)", target, err)
		}
	})
	t.Run("config_dir_link_owned_by_another_user", func(t *testing.T) {
		_, dir := setup(t)
		link := filepath.Join(t.TempDir(), "cfg-link")
		os.Symlink(dir, link)
		os.Lchown(link, nobody, nobody)
		s := New(mapEnv{"HALOY_CONFIG_DIR": link}, &notes{})
		_, err := s.Load(context.Background())
		wantUnsafe(t, "Load()", err, "symbolic link owned by another user")
	})
}

// TestStickyDirModeReported: a 1777 directory is reported as 1777, not 0777.
func TestStickyDirModeReported(t *testing.T) {
	s, dir, _ := newStore(t)
	addServer(t, s, "a.example.com", "tok")
	os.Chmod(dir, 0o777|os.ModeSticky)
	_, err := s.Load(context.Background())
	wantUnsafe(t, "Load()", err, "its mode is 1777;")
}
