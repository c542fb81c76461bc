package serverconfig

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/haloy-auth/haloy/core"
)

type env map[string]string

func (e env) Lookup(k string) (string, bool) { v, ok := e[k]; return v, ok }

// TestHostileConfigFiles: a config file or directory of another user, one
// others can write, or a link in place of the file is refused.
func TestHostileConfigFiles(t *testing.T) {
	ctx := context.Background()
	setup := func(t *testing.T) (*File, string) {
		dir := filepath.Join(t.TempDir(), "etc")
		f := New(env{core.ServerConfigDirEnv: dir})
		if err := f.Save(ctx, core.ServerSettings{APIDomain: "api.example.com"}); err != nil {
			t.Fatal(err)
		}
		return f, dir
	}
	check := func(t *testing.T, f *File, want string) {
		t.Helper()
		_, err := f.Load(ctx)
		var ce *core.Error
		if !errors.As(err, &ce) || ce.Kind != core.Unsafe || !strings.Contains(err.Error(), want) {
			t.Errorf("Load() error = %v, want Kind Unsafe saying %q", err, want)
		}
	}
	t.Run("writable_file", func(t *testing.T) {
		f, _ := setup(t)
		os.Chmod(f.Path(), 0o666)
		check(t, f, "is writable by other users: its mode is 0666")
	})
	t.Run("link", func(t *testing.T) {
		f, dir := setup(t)
		other := filepath.Join(t.TempDir(), "theirs.yaml")
		os.Rename(f.Path(), other)
		os.Symlink(other, filepath.Join(dir, FileName))
		check(t, f, "is a symbolic link")
	})
	if os.Geteuid() != 0 {
		t.Skip("chown to another user needs root")
	}
	t.Run("dir_of_another_user", func(t *testing.T) {
		f, dir := setup(t)
		os.Chown(dir, 65534, 65534)
		check(t, f, "is owned by another user (uid 65534)")
	})
}
