// Package runcli runs the command-line tools of secret backends (pass,
// bw, doppler, aws, gcloud, vault, credential helpers) the one way they all
// need: no shell, a timeout, stdin from memory, stdout and stderr captured,
// and the two failures every backend reports alike told apart (the tool is
// not installed; it did not answer in time).
package runcli

import (
	"bytes"
	"context"
	"errors"
	"io/fs"
	"os/exec"
	"strings"
	"time"
)

// ErrNotInstalled is returned when the program is not on PATH (or not at
// the path given).
var ErrNotInstalled = errors.New("program not found")

// ErrTimeout is returned when the program did not finish within the timeout.
var ErrTimeout = errors.New("program did not answer in time")

// Cmd is one run of a program. Secrets go in Stdin or the environment the
// program inherits, never in Args.
type Cmd struct {
	// Bin is the program: a name looked up in PATH, or a path.
	Bin string
	// Args are the arguments, without the program's name.
	Args []string
	// Stdin is written to the program's standard input; nil for none.
	Stdin []byte
	// Env, when not nil, replaces the inherited environment.
	Env []string
	// Dir is the working directory; "" for the current one.
	Dir string
	// Timeout bounds the run.
	Timeout time.Duration
}

// Run runs c and returns its stdout and stderr. err is ErrNotInstalled,
// ErrTimeout, the context's error when ctx ended first, an *exec.ExitError
// when the program failed, or another start error.
func Run(ctx context.Context, c Cmd) (stdout, stderr []byte, err error) {
	ctx, cancel := context.WithTimeout(ctx, c.Timeout)
	defer cancel()
	cmd := exec.CommandContext(ctx, c.Bin, c.Args...)
	// A program that leaves a child holding its pipes (an agent it starts)
	// must not keep us waiting past the timeout.
	cmd.WaitDelay = time.Second
	cmd.Env, cmd.Dir = c.Env, c.Dir
	if c.Stdin != nil {
		cmd.Stdin = bytes.NewReader(c.Stdin)
	}
	var out, errOut bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &errOut
	err = cmd.Run()
	switch {
	case err == nil:
		return out.Bytes(), errOut.Bytes(), nil
	case errors.Is(err, exec.ErrNotFound), errors.Is(err, fs.ErrNotExist) && cmd.Process == nil:
		return nil, nil, ErrNotInstalled
	case errors.Is(ctx.Err(), context.DeadlineExceeded):
		// Run's own deadline or an earlier one of the caller's: either way
		// the program did not answer in time.
		return out.Bytes(), errOut.Bytes(), ErrTimeout
	case ctx.Err() != nil:
		return out.Bytes(), errOut.Bytes(), ctx.Err()
	}
	return out.Bytes(), errOut.Bytes(), err
}

// FirstLine returns the first non-empty line of a program's error output,
// trimmed: the part worth quoting to a user.
func FirstLine(stderr []byte) string {
	for _, l := range strings.Split(string(stderr), "\n") {
		if l = strings.TrimSpace(l); l != "" {
			return l
		}
	}
	return ""
}
