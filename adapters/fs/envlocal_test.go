package fs

import (
	"context"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/haloy-auth/haloy/core"
)

// Haloy's client reads the config directory's .env.local over its .env:
// Load reads it into Local, with the checks of .env (a loose one
// tightened, a writable one refused, a bad line located, never quoted),
// and no Update ever writes it, whatever fn does to Local.
func TestEnvLocal(t *testing.T) {
	const local = "# mine\nHALOY_API_TOKEN=haloy_localFALLBACKtoken00000000000000000000\nHALOY_API_TOKEN_A_EXAMPLE_COM=haloy_localAtoken000000000000000000000000000\n"
	setup := func(t *testing.T, mode os.FileMode) (*Store, string, *notes) {
		s, dir, n := newStore(t)
		addServer(t, s, "a.example.com", "haloy_storedAtoken00000000000000000000000000")
		path := filepath.Join(dir, LocalFile)
		if err := os.WriteFile(path, []byte(local), 0o600); err != nil {
			t.Fatal(err)
		}
		if err := os.Chmod(path, mode); err != nil {
			t.Fatal(err)
		}
		return s, path, n
	}
	t.Run("read", func(t *testing.T) {
		s, path, n := setup(t, 0o600)
		st, err := s.Load(context.Background())
		if err != nil {
			t.Fatalf("Load() error: %v", err)
		}
		want := map[string]string{"HALOY_API_TOKEN": "haloy_localFALLBACKtoken00000000000000000000",
			"HALOY_API_TOKEN_A_EXAMPLE_COM": "haloy_localAtoken000000000000000000000000000"}
		if diff := cmp.Diff(want, st.Local); diff != "" {
			t.Errorf("Local mismatch (-want +got):\n%s", diff)
		}
		if st.Tokens["HALOY_API_TOKEN_A_EXAMPLE_COM"] != "haloy_storedAtoken00000000000000000000000000" {
			t.Errorf("Tokens = %v, want .env's token apart from .env.local's", st.Tokens)
		}
		if len(n.warns) != 0 {
			t.Errorf("warnings %q for a 0600 .env.local", n.warns)
		}
		_ = path
	})
	t.Run("never_written", func(t *testing.T) {
		s, path, _ := setup(t, 0o600)
		err := s.Update(context.Background(), func(st *core.ClientState) error {
			if st.Local["HALOY_API_TOKEN_A_EXAMPLE_COM"] == "" {
				t.Error("Update's fn sees no .env.local")
			}
			st.Local = map[string]string{"HALOY_API_TOKEN": "haloy_changedINfn00000000000000000000000000"}
			st.Tokens["OTHER"] = "x"
			return nil
		})
		if err != nil {
			t.Fatalf("Update() error: %v", err)
		}
		if got, _ := os.ReadFile(path); string(got) != local {
			t.Errorf(".env.local after Update = %q, want it untouched", got)
		}
		st, err := s.Load(context.Background())
		if err != nil || st.Local["HALOY_API_TOKEN"] != "haloy_localFALLBACKtoken00000000000000000000" || st.Tokens["OTHER"] != "x" {
			t.Errorf("Load() after Update = %v, %v; want .env changed and .env.local as it was", st, err)
		}
	})
	t.Run("missing", func(t *testing.T) {
		s, _, _ := newStore(t)
		addServer(t, s, "a.example.com", "haloy_storedAtoken00000000000000000000000000")
		st, err := s.Load(context.Background())
		if err != nil || len(st.Local) != 0 {
			t.Errorf("Load() = Local %v, %v; want none, no error", st.Local, err)
		}
	})
	t.Run("readable_tightened", func(t *testing.T) {
		s, path, n := setup(t, 0o640)
		if _, err := s.Load(context.Background()); err != nil {
			t.Fatalf("Load() error: %v", err)
		}
		if info, _ := os.Stat(path); info.Mode().Perm() != 0o600 {
			t.Errorf("mode after Load = %04o, want 0600", info.Mode().Perm())
		}
		want := []string{path + " was readable by other users (mode 0640); changed it to 0600, as it may hold API tokens"}
		if diff := cmp.Diff(want, n.warns); diff != "" {
			t.Errorf("warnings mismatch (-want +got):\n%s", diff)
		}
	})
	t.Run("writable_refused", func(t *testing.T) {
		s, path, _ := setup(t, 0o620)
		want := &core.Error{Kind: core.Unsafe, What: strconv.Quote(path) + " is writable by other users",
			Why: "its mode is 0620; whoever can write it can swap a server's API token", Fix: "chmod 600 " + path}
		_, err := s.Load(context.Background())
		if diff := cmp.Diff(want, err); diff != "" {
			t.Errorf("Load() error mismatch (-want +got):\n%s", diff)
		}
		err = s.Update(context.Background(), func(*core.ClientState) error {
			t.Error("Update ran fn with an unsafe .env.local")
			return nil
		})
		if diff := cmp.Diff(want, err); diff != "" {
			t.Errorf("Update() error mismatch (-want +got):\n%s", diff)
		}
	})
	t.Run("bad_line", func(t *testing.T) {
		s, dir, _ := newStore(t)
		if err := os.MkdirAll(dir, 0o700); err != nil {
			t.Fatal(err)
		}
		path := filepath.Join(dir, LocalFile)
		os.WriteFile(path, []byte("GOOD=1\nthis s3cret-token is not an assignment\n"), 0o600)
		_, err := s.Load(context.Background())
		want := &core.Error{Kind: core.Invalid, What: "cannot read " + strconv.Quote(path),
			Why: "line 2 is neither NAME=value nor a # comment", Fix: "fix or remove that line (" + path + ")"}
		if diff := cmp.Diff(want, err); diff != "" {
			t.Errorf("Load() error (-want +got):\n%s", diff)
		}
		if err != nil && strings.Contains(err.Error(), "s3cret") {
			t.Errorf("Load() error holds the line's content: %v", err)
		}
	})
}
