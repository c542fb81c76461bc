package porttest

import (
	"context"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/haloy-auth/haloy/ports"
)

// Command is how a command of the Commands contract behaves, for a twin
// that cannot run it: the lines it prints, its exit status, whether it
// runs until stopped.
type Command struct {
	Lines []string
	Exit  int
	Block bool
}

// The commands of the contract, as a POSIX shell runs them.
const (
	cmdLines = "echo one; echo two >&2; printf 'three'"
	cmdExit  = "echo before; exit 3"
	cmdBlock = "sleep 60"
)

// Commands runs the contract of ports.Commands. newCommands returns the
// port; a twin must behave as behave says for each command.
func Commands(t *testing.T, newCommands func(t *testing.T, behave map[string]Command) ports.Commands) {
	behave := map[string]Command{
		cmdLines: {Lines: []string{"one", "two", "three"}},
		cmdExit:  {Lines: []string{"before"}, Exit: 3},
		cmdBlock: {Block: true},
	}
	run := func(t *testing.T, ctx context.Context, command string) ([]string, error) {
		var got []string
		err := newCommands(t, behave).Run(ctx, t.TempDir(), command, func(l string) { got = append(got, l) })
		return got, err
	}
	t.Run("lines_of_stdout_and_stderr_in_order", func(t *testing.T) {
		got, err := run(t, context.Background(), cmdLines)
		if err != nil {
			t.Fatalf("Run(%q) error: %v", cmdLines, err)
		}
		if diff := cmp.Diff([]string{"one", "two", "three"}, got); diff != "" {
			t.Errorf("Run(%q) lines mismatch (-want +got):\n%s", cmdLines, diff)
		}
	})
	t.Run("exit_status_in_the_error", func(t *testing.T) {
		got, err := run(t, context.Background(), cmdExit)
		if err == nil || !strings.Contains(err.Error(), "exit status 3") {
			t.Errorf("Run(%q) error = %v, want one saying exit status 3", cmdExit, err)
		}
		if diff := cmp.Diff([]string{"before"}, got); diff != "" {
			t.Errorf("Run(%q) lines mismatch (-want +got):\n%s", cmdExit, diff)
		}
	})
	t.Run("context_end_stops_the_command", func(t *testing.T) {
		ctx, cancel := context.WithCancel(context.Background())
		time.AfterFunc(100*time.Millisecond, cancel)
		done := make(chan error, 1)
		go func() {
			_, err := run(t, ctx, cmdBlock)
			done <- err
		}()
		select {
		case err := <-done:
			if !errors.Is(err, context.Canceled) {
				t.Errorf("Run(%q) after cancel error = %v, want one wrapping context.Canceled", cmdBlock, err)
			}
		case <-time.After(20 * time.Second):
			t.Fatalf("Run(%q) still running 20s after its context ended", cmdBlock)
		}
	})
}
