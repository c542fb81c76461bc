//go:build !windows

package shell_test

import (
	"context"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/haloy-auth/haloy/adapters/porttest"
	"github.com/haloy-auth/haloy/adapters/shell"
	"github.com/haloy-auth/haloy/ports"
)

func TestContract(t *testing.T) {
	t.Setenv("SHELL", "/bin/sh")
	porttest.Commands(t, func(t *testing.T, _ map[string]porttest.Command) ports.Commands { return shell.New() })
}

// lines runs command in dir and returns its lines, failing the test on an error.
func lines(t *testing.T, dir, command string) []string {
	t.Helper()
	var got []string
	if err := shell.New().Run(context.Background(), dir, command, func(l string) { got = append(got, l) }); err != nil {
		t.Fatalf("Run(%q) error: %v", command, err)
	}
	return got
}

func TestRunsInDir(t *testing.T) {
	t.Setenv("SHELL", "/bin/sh")
	dir := t.TempDir()
	if err := os.WriteFile(filepath.Join(dir, "marker"), []byte("here\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff([]string{"here"}, lines(t, dir, "cat marker")); diff != "" {
		t.Errorf("Run(cat marker) in the config's directory mismatch (-want +got):\n%s", diff)
	}
}

// A hook gets the process environment and nothing else: the variables of a
// .env file beside it (the client config directory's holds API tokens) are
// not exported to it.
func TestEnvironmentIsTheProcess(t *testing.T) {
	t.Setenv("SHELL", "/bin/sh")
	t.Setenv("HOOK_PROCESS_VAR", "from-the-process")
	dir := t.TempDir()
	if err := os.WriteFile(filepath.Join(dir, ".env"), []byte("HOOK_DOTENV_VAR=from-dotenv\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	got := lines(t, dir, `echo "process=$HOOK_PROCESS_VAR dotenv=${HOOK_DOTENV_VAR:-unset}"`)
	if diff := cmp.Diff([]string{"process=from-the-process dotenv=unset"}, got); diff != "" {
		t.Errorf("hook environment mismatch (-want +got):\n%s", diff)
	}
}

func TestShellChoice(t *testing.T) {
	dir := t.TempDir()
	fake := filepath.Join(dir, "fakesh")
	if err := os.WriteFile(fake, []byte("#!/bin/sh\necho \"fakesh $1 $2\"\n"), 0o700); err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name, shell string
		want        []string
	}{
		{"absolute_shell_is_used", fake, []string{"fakesh -c echo hi"}},
		// a relative SHELL would be looked up in the hook's directory
		{"relative_shell_falls_back_to_sh", "fakesh", []string{"hi"}},
		{"no_shell_falls_back_to_sh", "", []string{"hi"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Setenv("SHELL", tt.shell)
			if diff := cmp.Diff(tt.want, lines(t, dir, "echo hi")); diff != "" {
				t.Errorf("Run with SHELL=%q mismatch (-want +got):\n%s", tt.shell, diff)
			}
		})
	}
}

func TestLongLineInPieces(t *testing.T) {
	t.Setenv("SHELL", "/bin/sh")
	got := lines(t, t.TempDir(), "head -c 70000 /dev/zero | tr '\\0' a")
	if len(got) != 2 || len(got[0]) != 64<<10 || len(got[0])+len(got[1]) != 70000 {
		t.Errorf("a 70000-byte line came as %d pieces, want 2 (64 KiB, then the rest)", len(got))
	}
}

func TestCannotStart(t *testing.T) {
	t.Setenv("SHELL", "/bin/sh")
	err := shell.New().Run(context.Background(), filepath.Join(t.TempDir(), "gone"), "true", func(string) {})
	if err == nil {
		t.Fatal("Run in a missing directory: no error")
	}
}

// A hook that starts a background process (a tunnel, a daemon) and exits
// 0 has succeeded: the child keeping the output pipe open delays the
// deploy by WaitDelay at most, never until the child ends.
func TestBackgroundChildDoesNotHold(t *testing.T) {
	t.Setenv("SHELL", "/bin/sh")
	s := shell.New()
	s.WaitDelay = 100 * time.Millisecond
	start := time.Now()
	var got []string
	err := s.Run(context.Background(), t.TempDir(), "sleep 30 & echo started", func(l string) { got = append(got, l) })
	if err != nil {
		t.Errorf("Run() error = %v, want nil: the command exited 0", err)
	}
	if d := time.Since(start); d > 20*time.Second {
		t.Errorf("Run() took %s: it waited for the background child", d)
	}
	if diff := cmp.Diff([]string{"started"}, got); diff != "" {
		t.Errorf("Run() lines mismatch (-want +got):\n%s", diff)
	}
}
