package runcli_test

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/haloy-auth/haloy/adapters/internal/runcli"
	"github.com/haloy-auth/haloy/core"
)

func TestObjectFields(t *testing.T) {
	tests := []struct {
		name   string
		in     string
		want   map[string]core.Secret
		wantOK bool
	}{
		{"strings", `{"a":"x","b":"y"}`, map[string]core.Secret{"a": "x", "b": "y"}, true},
		{"other_types", `{"n":5432,"t":true,"o":{"k":[1, 2]},"z":null}`, map[string]core.Secret{"n": "5432", "t": "true", "o": `{"k":[1,2]}`}, true},
		{"not_an_object", `"just a token"`, nil, false},
		{"array", `[1]`, nil, false},
		{"two_objects", `{"a":"x"}{"b":"y"}`, nil, false},
		{"plain_text", `tok-1234`, nil, false},
		{"null", `null`, nil, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, ok := runcli.ObjectFields([]byte(tt.in))
			if ok != tt.wantOK {
				t.Fatalf("ObjectFields(%s) ok = %v, want %v", tt.in, ok, tt.wantOK)
			}
			if diff := cmp.Diff(tt.want, got); diff != "" {
				t.Errorf("ObjectFields(%s) mismatch (-want +got):\n%s", tt.in, diff)
			}
		})
	}
}

func TestRun(t *testing.T) {
	dir := t.TempDir()
	script := func(name, body string) string {
		p := filepath.Join(dir, name)
		if err := os.WriteFile(p, []byte("#!/bin/sh\n"+body), 0o700); err != nil {
			t.Fatal(err)
		}
		return p
	}
	ctx := context.Background()
	t.Run("stdin_and_output", func(t *testing.T) {
		out, errOut, err := runcli.Run(ctx, runcli.Cmd{Bin: script("cat", "cat; echo oops >&2"), Stdin: []byte("hello"), Timeout: 10 * time.Second})
		if err != nil || string(out) != "hello" || string(errOut) != "oops\n" {
			t.Errorf("Run() = %q, %q, %v, want hello, oops, nil", out, errOut, err)
		}
	})
	t.Run("not_installed_in_path", func(t *testing.T) {
		t.Setenv("PATH", t.TempDir())
		if _, _, err := runcli.Run(ctx, runcli.Cmd{Bin: "no-such-tool", Timeout: time.Second}); !errors.Is(err, runcli.ErrNotInstalled) {
			t.Errorf("Run(missing) error = %v, want ErrNotInstalled", err)
		}
	})
	t.Run("not_installed_at_path", func(t *testing.T) {
		if _, _, err := runcli.Run(ctx, runcli.Cmd{Bin: filepath.Join(dir, "nope"), Timeout: time.Second}); !errors.Is(err, runcli.ErrNotInstalled) {
			t.Errorf("Run(missing) error = %v, want ErrNotInstalled", err)
		}
	})
	t.Run("timeout", func(t *testing.T) {
		start := time.Now()
		_, _, err := runcli.Run(ctx, runcli.Cmd{Bin: script("slow", "exec sleep 30"), Timeout: 200 * time.Millisecond})
		if !errors.Is(err, runcli.ErrTimeout) || time.Since(start) > 10*time.Second {
			t.Errorf("Run(slow) error = %v after %v, want ErrTimeout soon", err, time.Since(start))
		}
	})
	t.Run("exit_status", func(t *testing.T) {
		_, errOut, err := runcli.Run(ctx, runcli.Cmd{Bin: script("fail", "echo bad >&2; exit 3"), Timeout: 10 * time.Second})
		if err == nil || runcli.FirstLine(errOut) != "bad" {
			t.Errorf("Run(fail) = %q, %v, want bad and an error", errOut, err)
		}
	})
}
