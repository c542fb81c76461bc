//go:build windows

package shell

import (
	"context"
	"os/exec"
	"syscall"
)

// shellOf returns the command interpreter and its flag: %COMSPEC%, else
// cmd (found on PATH).
func shellOf(getenv func(string) string) (string, string) {
	if c := getenv("COMSPEC"); c != "" {
		return c, "/C"
	}
	return "cmd", "/C"
}

// commandOf runs line with the interpreter. cmd.exe does not parse its
// command line the way Go quotes arguments, so the line is given as
// typed (os/exec's documented way for cmd /C).
func commandOf(ctx context.Context, name, flag, line string) *exec.Cmd {
	cmd := exec.CommandContext(ctx, name)
	cmd.SysProcAttr = &syscall.SysProcAttr{CmdLine: syscall.EscapeArg(name) + " " + flag + " " + line}
	return cmd
}
