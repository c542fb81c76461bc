//go:build !windows

package shell

import (
	"context"
	"os/exec"
	"path/filepath"
)

// shellOf returns the shell and its flag: $SHELL when it names an absolute
// path (a relative one would be looked up in the hook's directory), else
// /bin/sh, which POSIX guarantees.
func shellOf(getenv func(string) string) (string, string) {
	if sh := getenv("SHELL"); filepath.IsAbs(sh) {
		return sh, "-c"
	}
	return "/bin/sh", "-c"
}

// commandOf runs line with the shell.
func commandOf(ctx context.Context, name, flag, line string) *exec.Cmd {
	return exec.CommandContext(ctx, name, flag, line)
}
