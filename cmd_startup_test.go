package main

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"github.com/haloy-auth/haloy/adapters/memory"
	"github.com/haloy-auth/haloy/app"
)

// writeCounter counts the Write calls a command makes: each is a system
// call on a real stdout.
type writeCounter struct {
	bytes.Buffer
	writes int
}

func (w *writeCounter) Write(p []byte) (int, error) {
	w.writes++
	return w.Buffer.Write(p)
}

// Listings print with one write call, not one per cell or line: with 100
// servers or targets the unbuffered calls were 600 and 300, about a tenth
// of the command's CPU time (docs/performance.md).
func TestListingsWriteOnce(t *testing.T) {
	tests := []struct {
		name   string
		args   []string
		wiring *app.Wiring
		lines  int
	}{
		{"server_list", []string{"haloy", "server", "list"}, serverWiring(memory.NewClientStore(twoServerState()), nil), 3},
		{"validate_config", []string{"haloy", "validate-config"}, multiTarget.wiring(), 8},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var stdout writeCounter
			var stderr bytes.Buffer
			if code := run(context.Background(), tt.args, strings.NewReader(""), &stdout, &stderr, tt.wiring); code != 0 {
				t.Fatalf("run(%q) = %d, want 0; stderr:\n%s", tt.args, code, stderr.String())
			}
			if got := strings.Count(stdout.String(), "\n"); got != tt.lines {
				t.Errorf("run(%q) printed %d lines, want %d:\n%s", tt.args, got, tt.lines, stdout.String())
			}
			if stdout.writes != 1 {
				t.Errorf("run(%q) made %d write calls, want 1", tt.args, stdout.writes)
			}
		})
	}
}

func TestGCPolicy(t *testing.T) {
	tests := []struct {
		name        string
		prog        string
		env         map[string]string
		wantPercent int
		wantLimit   int64
		wantOK      bool
	}{
		{"haloy_collector_off_with_limit", "haloy", nil, -1, 64 << 20, true},
		// serve runs for months: Go's defaults
		{"haloyadm_defaults", "haloyadm", nil, 0, 0, false},
		{"gogc_set_wins", "haloy", map[string]string{"GOGC": "100"}, 0, 0, false},
		{"gomemlimit_set_wins", "haloy", map[string]string{"GOMEMLIMIT": "1GiB"}, 0, 0, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			percent, limit, ok := gcPolicy(tt.prog, func(k string) string { return tt.env[k] })
			if percent != tt.wantPercent || limit != tt.wantLimit || ok != tt.wantOK {
				t.Errorf("gcPolicy(%q, %v) = %d, %d, %v; want %d, %d, %v", tt.prog, tt.env, percent, limit, ok, tt.wantPercent, tt.wantLimit, tt.wantOK)
			}
		})
	}
}

func TestProgName(t *testing.T) {
	for in, want := range map[string]string{"haloy": "haloy", "/usr/bin/haloyadm": "haloyadm", "bin/haloyadm.exe": "haloyadm",
		"./haloy.exe": "haloy", "haloy-dev": "haloy", "": "haloy"} {
		if got := progName(filepath.FromSlash(in)); got != want {
			t.Errorf("progName(%q) = %q, want %q", in, got, want)
		}
	}
}

// The built haloy makes no garbage collection in a command that would make
// some under Go's defaults (which GOGC=100 restores, proving the command
// allocates enough for one): the collector is off in main, not in run.
func TestBinaryClientCollectsNoGarbage(t *testing.T) {
	haloy, _ := builtBinary(t)
	dir := t.TempDir()
	cfg, work := filepath.Join(dir, "config"), filepath.Join(dir, "app")
	if err := os.MkdirAll(work, 0o700); err != nil {
		t.Fatal(err)
	}
	env := append(os.Environ(), "HALOY_CONFIG_DIR="+cfg, "HOME="+dir, "GODEBUG=gctrace=1")
	add := exec.Command(haloy, "server", "add", "one.example.com", "--token-stdin")
	add.Env, add.Stdin = env, strings.NewReader("haloy_abcdefghijklmnopqrstuvwxyz0123456789ABCDEFG\n")
	if out, err := add.CombinedOutput(); err != nil {
		t.Fatalf("haloy server add: %v\n%s", err, out)
	}
	var yaml strings.Builder
	yaml.WriteString("name: app\nimage:\n  repository: ghcr.io/example/app\n  tag: latest\ntargets:\n")
	for i := range 600 {
		fmt.Fprintf(&yaml, "  t%d:\n    server: one.example.com\n", i)
	}
	if err := os.WriteFile(filepath.Join(work, "haloy.yaml"), []byte(yaml.String()), 0o600); err != nil {
		t.Fatal(err)
	}
	gcLine := regexp.MustCompile(`(?m)^gc \d+ @`)
	collections := func(extra ...string) int {
		t.Helper()
		cmd := exec.Command(haloy, "validate-config")
		cmd.Dir, cmd.Env = work, append(append([]string(nil), env...), extra...)
		var stderr bytes.Buffer
		cmd.Stderr = &stderr
		if err := cmd.Run(); err != nil {
			t.Fatalf("haloy validate-config %v: %v\n%s", extra, err, stderr.String())
		}
		return len(gcLine.FindAllString(stderr.String(), -1))
	}
	if n := collections("GOGC=100"); n == 0 {
		t.Fatalf("haloy validate-config with GOGC=100 made no collection; the test needs a larger config")
	}
	if n := collections(); n != 0 {
		t.Errorf("haloy validate-config made %d garbage collections, want 0 (collector off for haloy)", n)
	}
}

// BenchmarkStartup runs a whole command in process with the production
// wiring, from kong's grammar to the printed listing, on 100 servers (and
// an app config with a target on each): what a run costs after the
// runtime and package initialization. For profiles of start-up:
//
//	go test -run '^$' -bench Startup -cpuprofile cpu.out .
func BenchmarkStartup(b *testing.B) {
	dir := b.TempDir()
	cfg, work := filepath.Join(dir, "config"), filepath.Join(dir, "app")
	b.Setenv("HALOY_CONFIG_DIR", cfg)
	b.Setenv("HOME", dir)
	var yaml strings.Builder
	yaml.WriteString("name: app\nimage:\n  repository: ghcr.io/example/app\n  tag: latest\ntargets:\n")
	for i := range 100 {
		server := fmt.Sprintf("server-%03d.example.com", i)
		var stderr bytes.Buffer
		if code := run(context.Background(), []string{"haloy", "server", "add", server, "--token-stdin"},
			strings.NewReader(fmt.Sprintf("haloy_bench-token-%03d-padding-to-look-like-a-real-one\n", i)), io.Discard, &stderr, &app.Wiring{}); code != 0 {
			b.Fatalf("server add %s = %d: %s", server, code, stderr.String())
		}
		fmt.Fprintf(&yaml, "  t%03d:\n    server: %s\n", i, server)
	}
	if err := os.MkdirAll(work, 0o700); err != nil {
		b.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(work, "haloy.yaml"), []byte(yaml.String()), 0o600); err != nil {
		b.Fatal(err)
	}
	b.Chdir(work)
	for _, args := range [][]string{{"haloy", "--version"}, {"haloy", "server", "list"}, {"haloy", "validate-config"}} {
		b.Run(strings.Join(args[1:], "_"), func(b *testing.B) {
			b.ReportAllocs()
			for b.Loop() {
				var stderr bytes.Buffer
				if code := run(context.Background(), args, strings.NewReader(""), io.Discard, &stderr, &app.Wiring{}); code != 0 {
					b.Fatalf("run(%q) = %d: %s", args, code, stderr.String())
				}
			}
		})
	}
}
