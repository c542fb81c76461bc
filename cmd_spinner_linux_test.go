//go:build linux

package main

import (
	"bytes"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/creack/pty"
)

// The spinner shows what haloy waits for when stderr is a terminal, after
// a moment, and never when stderr is not a terminal or NO_COLOR or --quiet
// is set (issue 16: seconds of silence while a server was slow).
func TestSpinnerOnTerminal(t *testing.T) {
	haloy, _ := builtBinary(t)
	slow := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		time.Sleep(1200 * time.Millisecond)
		http.Error(w, "busy", http.StatusServiceUnavailable)
	}))
	defer slow.Close()
	server := "localhost:" + slow.URL[strings.LastIndex(slow.URL, ":")+1:]
	cfg := filepath.Join(t.TempDir(), "cfg")
	env := []string{"HALOY_CONFIG_DIR=" + cfg, "PATH=" + os.Getenv("PATH"), "TERM=xterm"}
	add := exec.Command(haloy, "server", "add", server, "--token-stdin")
	add.Env, add.Stdin = env, strings.NewReader("spin-Secret-Token-5\n")
	if out, err := add.CombinedOutput(); err != nil {
		t.Fatalf("server add: %v\n%s", err, out)
	}
	onTTY := func(extraEnv []string, args ...string) string {
		t.Helper()
		cmd := exec.Command(haloy, args...)
		cmd.Env = append(append([]string{}, env...), extraEnv...)
		tty, err := pty.Start(cmd)
		if err != nil {
			t.Fatal(err)
		}
		defer tty.Close()
		out, _ := io.ReadAll(tty) // ends with EIO when the process exits
		cmd.Wait()
		return string(out)
	}
	want := "waiting for " + server
	if out := onTTY(nil, "server", "check"); !strings.Contains(out, want) || !strings.Contains(out, "\r\x1b[K") {
		t.Errorf("server check on a terminal showed no spinner:\n%q", out)
	}
	for _, tt := range []struct {
		name string
		env  []string
		args []string
	}{
		{"no_color", []string{"NO_COLOR=1"}, []string{"server", "check"}},
		{"quiet", nil, []string{"server", "check", "--quiet"}},
	} {
		if out := onTTY(tt.env, tt.args...); strings.Contains(out, want) || strings.Contains(out, "\x1b[K") {
			t.Errorf("%s: spinner shown:\n%q", tt.name, out)
		}
	}
	// stderr not a terminal (a pipe): nothing
	cmd := exec.Command(haloy, "server", "check")
	cmd.Env = env
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	cmd.Run()
	if strings.Contains(stderr.String(), want) || strings.Contains(stderr.String(), "\x1b[K") {
		t.Errorf("stderr to a pipe shows a spinner:\n%q", stderr.String())
	}
}
