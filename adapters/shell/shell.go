// Package shell runs the commands of an app config's deploy hooks with the
// system shell: $SHELL -c (when SHELL is an absolute path) or /bin/sh -c on
// Unix, %COMSPEC% /C or cmd /C on Windows.
package shell

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"time"

	"github.com/haloy-auth/haloy/ports"
)

var _ ports.Commands = (*Shell)(nil)

// maxLine is the longest line passed on whole; a longer one is passed on
// in pieces of this size, so that a command printing no newline cannot
// grow memory without bound.
const maxLine = 64 << 10

// Shell runs commands with the system shell. New does no I/O.
type Shell struct {
	// WaitDelay is how long a stopped command's output pipe is kept open
	// for a child that outlives it (a backgrounded process) before it is
	// closed.
	WaitDelay time.Duration
}

// New returns the adapter.
func New() *Shell { return &Shell{WaitDelay: 2 * time.Second} }

// Run runs command as ports.Commands says.
func (s *Shell) Run(ctx context.Context, dir, command string, line func(string)) error {
	name, flag := shellOf(os.Getenv)
	cmd := commandOf(ctx, name, flag, command)
	cmd.Dir = dir
	cmd.Env = os.Environ()
	cmd.Stdin = nil // the null device
	w := &lines{emit: line}
	// one writer for both: exec gives the child one pipe for stdout and
	// stderr, so their lines arrive in the order the command wrote them
	cmd.Stdout, cmd.Stderr = w, w
	cmd.WaitDelay = s.WaitDelay
	err := cmd.Run()
	w.flush()
	if ctx.Err() != nil {
		return fmt.Errorf("stopped: %w", ctx.Err())
	}
	var ee *exec.ExitError
	switch {
	case err == nil:
		return nil
	case errors.As(err, &ee):
		return errors.New(ee.Error()) // "exit status 3", "signal: killed"
	case errors.Is(err, exec.ErrWaitDelay):
		return nil // the command exited 0; a child it left kept the pipe open
	default:
		return fmt.Errorf("cannot run %s: %w", name, err)
	}
}

// lines splits what it is written into lines, without their line ends.
// exec calls Write from one goroutine, so it needs no lock.
type lines struct {
	buf  []byte
	emit func(string)
}

func (l *lines) Write(p []byte) (int, error) {
	l.buf = append(l.buf, p...)
	for {
		i := bytes.IndexByte(l.buf, '\n')
		if i < 0 {
			break
		}
		l.emit(string(bytes.TrimSuffix(l.buf[:i], []byte("\r"))))
		l.buf = l.buf[i+1:]
	}
	for len(l.buf) >= maxLine {
		l.emit(string(l.buf[:maxLine]))
		l.buf = l.buf[maxLine:]
	}
	return len(p), nil
}

// flush passes on a last line without a line end.
func (l *lines) flush() {
	if len(l.buf) > 0 {
		l.emit(string(bytes.TrimSuffix(l.buf, []byte("\r"))))
		l.buf = nil
	}
}
