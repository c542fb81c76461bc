package main

import (
	"bytes"
	"context"
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
