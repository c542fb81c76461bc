//go:build unix

package fs

import (
	"os"
	"path/filepath"
	"syscall"
	"testing"
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
