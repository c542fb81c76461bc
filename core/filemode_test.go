package core

import (
	"io/fs"
	"testing"
)

func TestOctalMode(t *testing.T) {
	tests := []struct {
		in   fs.FileMode
		want string
	}{
		{0o600, "0600"},
		{fs.ModeDir | 0o777 | fs.ModeSticky, "1777"}, // reported as 0777 before
		{0o755 | fs.ModeSetuid, "4755"},
		{fs.ModeDir | 0o770 | fs.ModeSetgid, "2770"},
	}
	for _, tt := range tests {
		if got := OctalMode(tt.in); got != tt.want {
			t.Errorf("OctalMode(%v) = %q, want %q", tt.in, got, tt.want)
		}
	}
}
