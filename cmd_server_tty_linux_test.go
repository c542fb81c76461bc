//go:build linux

package main

import (
	"bytes"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/creack/pty"
	"golang.org/x/sys/unix"
)

// testAddPrompt runs haloy server add on a terminal (a pty) without a
// token, and with --token-stdin (which on a terminal would echo): it
// prompts, reads the token without echoing it, and stores it.
func testAddPrompt(t *testing.T, bin string) {
	for _, extra := range [][]string{nil, {"--token-stdin"}} {
		t.Run(strings.Join(append([]string{"add"}, extra...), " "), func(t *testing.T) {
			testAddPromptArgs(t, bin, extra)
		})
	}
}

func testAddPromptArgs(t *testing.T, bin string, extra []string) {
	cfg := filepath.Join(t.TempDir(), "cfg")
	const token = "typed-Secret-Token-77"
	cmd := exec.Command(bin, append([]string{"server", "add", "haloy.example.com"}, extra...)...)
	cmd.Env = []string{"HALOY_CONFIG_DIR=" + cfg}
	tty, err := pty.Start(cmd)
	if err != nil {
		t.Fatal(err)
	}
	defer tty.Close()
	var out bytes.Buffer
	buf := make([]byte, 256)
	for !strings.Contains(out.String(), "(input hidden): ") {
		n, err := tty.Read(buf)
		if err != nil {
			t.Fatalf("no prompt; output so far %q: %v", out.String(), err)
		}
		out.Write(buf[:n])
	}
	// Type only once the terminal stops echoing, as a person would: what
	// is typed before the prompt's echo-off is echoed by the kernel.
	waitEchoOff(t, tty)
	if _, err := tty.Write([]byte(token + "\r")); err != nil {
		t.Fatal(err)
	}
	rest, _ := io.ReadAll(tty) // ends with EIO when the process exits
	out.Write(rest)
	if err := cmd.Wait(); err != nil {
		t.Fatalf("haloy server add: %v\n%s", err, out.String())
	}
	if strings.Contains(out.String(), token) {
		t.Errorf("the terminal showed the token:\n%s", out.String())
	}
	if !strings.Contains(out.String(), "added haloy.example.com; its token is in HALOY_API_TOKEN_HALOY_EXAMPLE_COM") {
		t.Errorf("output = %q, want the added line", out.String())
	}
	env, _ := os.ReadFile(filepath.Join(cfg, ".env"))
	if want := "HALOY_API_TOKEN_HALOY_EXAMPLE_COM=" + token + "\n"; string(env) != want {
		t.Errorf(".env = %q, want %q", env, want)
	}
}

// waitEchoOff waits until the terminal behind tty no longer echoes input.
func waitEchoOff(t *testing.T, tty *os.File) {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for {
		tio, err := unix.IoctlGetTermios(int(tty.Fd()), unix.TCGETS)
		if err != nil {
			t.Fatalf("read terminal modes: %v", err)
		}
		if tio.Lflag&unix.ECHO == 0 {
			return
		}
		if time.Now().After(deadline) {
			t.Fatal("the prompt never turned echo off")
		}
		time.Sleep(time.Millisecond)
	}
}

// testPromptInterrupt: Ctrl-C at the prompt ends haloy at once (main catches
// SIGINT, so the prompt must give up by itself), writes nothing, and leaves
// the terminal echoing again.
func testPromptInterrupt(t *testing.T, bin string) {
	cfg := filepath.Join(t.TempDir(), "cfg")
	cmd := exec.Command(bin, "server", "add", "haloy.example.com")
	cmd.Env = []string{"HALOY_CONFIG_DIR=" + cfg}
	tty, err := pty.Start(cmd)
	if err != nil {
		t.Fatal(err)
	}
	defer tty.Close()
	var out bytes.Buffer
	buf := make([]byte, 256)
	for !strings.Contains(out.String(), "(input hidden): ") {
		n, err := tty.Read(buf)
		if err != nil {
			t.Fatalf("no prompt; output so far %q: %v", out.String(), err)
		}
		out.Write(buf[:n])
	}
	waitEchoOff(t, tty)
	// A prompt that ignores Ctrl-C would block forever: give up after a while.
	guard := time.AfterFunc(10*time.Second, func() { cmd.Process.Kill() })
	defer guard.Stop()
	if _, err := tty.Write([]byte{3}); err != nil { // Ctrl-C
		t.Fatal(err)
	}
	rest, _ := io.ReadAll(tty)
	out.Write(rest)
	err = cmd.Wait()
	if ee, ok := err.(*exec.ExitError); !ok || ee.ExitCode() != 130 {
		t.Errorf("haloy after Ctrl-C: %v, want exit 130\n%s", err, out.String())
	}
	if !strings.Contains(out.String(), "haloy: error: interrupted; nothing was written") {
		t.Errorf("output = %q, want the interrupted error", out.String())
	}
	tio, err := unix.IoctlGetTermios(int(tty.Fd()), unix.TCGETS)
	if err != nil || tio.Lflag&unix.ECHO == 0 {
		t.Errorf("terminal echo not restored after Ctrl-C (%v)", err)
	}
	if _, err := os.Stat(cfg); !os.IsNotExist(err) {
		t.Errorf("config directory created after Ctrl-C: %v", err)
	}
}

// testPromptEOF: Ctrl-D at the prompt (end of input) ends haloy with a
// clear error and exit 2, writes nothing, and gives the terminal its echo
// back. Issue 16: it was reported as an internal error.
func testPromptEOF(t *testing.T, bin string) {
	cfg := filepath.Join(t.TempDir(), "cfg")
	cmd := exec.Command(bin, "server", "add", "haloy.example.com")
	cmd.Env = []string{"HALOY_CONFIG_DIR=" + cfg}
	tty, err := pty.Start(cmd)
	if err != nil {
		t.Fatal(err)
	}
	defer tty.Close()
	var out bytes.Buffer
	buf := make([]byte, 256)
	for !strings.Contains(out.String(), "(input hidden): ") {
		n, err := tty.Read(buf)
		if err != nil {
			t.Fatalf("no prompt; output so far %q: %v", out.String(), err)
		}
		out.Write(buf[:n])
	}
	waitEchoOff(t, tty)
	guard := time.AfterFunc(10*time.Second, func() { cmd.Process.Kill() })
	defer guard.Stop()
	if _, err := tty.Write([]byte{4}); err != nil { // Ctrl-D
		t.Fatal(err)
	}
	rest, _ := io.ReadAll(tty)
	out.Write(rest)
	err = cmd.Wait()
	if ee, ok := err.(*exec.ExitError); !ok || ee.ExitCode() != 2 {
		t.Errorf("haloy after Ctrl-D: %v, want exit 2\n%s", err, out.String())
	}
	if !strings.Contains(out.String(), "haloy: error: no token typed; nothing was written") {
		t.Errorf("output = %q, want the no-token error", out.String())
	}
	tio, err := unix.IoctlGetTermios(int(tty.Fd()), unix.TCGETS)
	if err != nil || tio.Lflag&unix.ECHO == 0 {
		t.Errorf("terminal echo not restored after Ctrl-D (%v)", err)
	}
	if _, err := os.Stat(cfg); !os.IsNotExist(err) {
		t.Errorf("config directory created after Ctrl-D: %v", err)
	}
}
