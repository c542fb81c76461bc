//go:build unix

package fs

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"syscall"
	"testing"

	"github.com/haloy-auth/haloy/core"
)

// The umask exists on Unix only; on Windows the modes are not enforced
// (docs/file-formats.md, "Windows").
func TestModesUnderUmaskZero(t *testing.T) {
	old := syscall.Umask(0)
	defer syscall.Umask(old)
	s, dir, _ := newStore(t)
	addServer(t, s, "production.haloy.com", "tok")
	for _, tt := range []struct {
		path string
		want os.FileMode
	}{
		{dir, 0o700},
		{filepath.Join(dir, EnvFile), 0o600},
		{filepath.Join(dir, ClientFile), 0o600},
		{filepath.Join(dir, LockFile), 0o600},
	} {
		info, err := os.Stat(tt.path)
		if err != nil {
			t.Fatal(err)
		}
		if got := info.Mode().Perm(); got != tt.want {
			t.Errorf("mode of %s = %04o, want %04o", tt.path, got, tt.want)
		}
	}
}

// TestModeBitsOneByOne sets each group and other bit of .env, client.yaml
// and the directory alone: a read bit of a file is tightened away, a write
// bit of a file or of the directory is refused, and nothing else counts.
func TestModeBitsOneByOne(t *testing.T) {
	type outcome int
	const (
		ok outcome = iota
		tightened
		refused
	)
	files := []struct {
		mode os.FileMode
		want outcome
	}{
		{0o600, ok}, {0o400, ok}, {0o700, ok},
		{0o640, tightened}, {0o604, tightened}, {0o644, tightened},
		{0o660, refused}, {0o606, refused}, {0o620, refused}, {0o602, refused},
		// execute bits alone give others nothing to read or write
		{0o610, ok}, {0o601, ok},
	}
	for _, name := range []string{EnvFile, ClientFile} {
		for _, tt := range files {
			t.Run(fmt.Sprintf("%s_%04o", name, tt.mode), func(t *testing.T) {
				s, dir, n := newStore(t)
				addServer(t, s, "a.example.com", "tok")
				path := filepath.Join(dir, name)
				if err := os.Chmod(path, tt.mode); err != nil {
					t.Fatal(err)
				}
				_, err := s.Load(context.Background())
				info, _ := os.Stat(path)
				got := info.Mode().Perm()
				switch tt.want {
				case ok:
					if err != nil || got != tt.mode || len(n.warns) != 0 {
						t.Errorf("Load() with %s %04o = %v, mode after %04o, warnings %q; want it read as is", name, tt.mode, err, got, n.warns)
					}
				case tightened:
					if err != nil || got != 0o600 || len(n.warns) != 1 {
						t.Errorf("Load() with %s %04o = %v, mode after %04o, warnings %q; want 0600 and one warning", name, tt.mode, err, got, n.warns)
					}
				case refused:
					var ce *core.Error
					if !errors.As(err, &ce) || ce.Kind != core.Unsafe || got != tt.mode {
						t.Errorf("Load() with %s %04o = %v, mode after %04o; want a *core.Error of Kind Unsafe and the mode left alone", name, tt.mode, err, got)
					}
				}
			})
		}
	}
	dirs := []struct {
		mode    os.FileMode
		refused bool
	}{
		{0o700, false}, {0o750, false}, {0o705, false}, {0o755, false}, {0o710, false}, {0o701, false},
		{0o770, true}, {0o707, true}, {0o720, true}, {0o702, true}, {0o730, true}, {0o703, true},
	}
	for _, tt := range dirs {
		t.Run(fmt.Sprintf("dir_%04o", tt.mode), func(t *testing.T) {
			s, dir, _ := newStore(t)
			addServer(t, s, "a.example.com", "tok")
			if err := os.Chmod(dir, tt.mode); err != nil {
				t.Fatal(err)
			}
			_, err := s.Load(context.Background())
			var ce *core.Error
			if refused := errors.As(err, &ce) && ce.Kind == core.Unsafe; refused != tt.refused || (!tt.refused && err != nil) {
				t.Errorf("Load() in a %04o directory = %v, want refused: %v", tt.mode, err, tt.refused)
			}
		})
	}
}
