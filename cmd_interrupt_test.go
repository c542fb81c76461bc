package main

import (
	"bytes"
	"context"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/haloy-auth/haloy/adapters/memory"
	"github.com/haloy-auth/haloy/core"
)

// Ctrl-C during server check: the servers answered /health, then the token
// checks were interrupted. Issue 16: they showed "rejected", and the exit
// code was 3 (authentication rejected).
func TestServerCheckInterrupted(t *testing.T) {
	w := newNetWorld()
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	w.api.Server("prod.haloy.com").OnHealth = func(context.Context) { cancel() } // Ctrl-C right after /health
	var stdout, stderr bytes.Buffer
	code := run(ctx, []string{"haloy", "server", "check", "prod.haloy.com"}, strings.NewReader(""), &stdout, &stderr, w.wiring())
	if code != 130 {
		t.Errorf("server check interrupted = %d, want 130", code)
	}
	wantStdout := "SERVER          REACHABLE  TOKEN        EXPIRES  SCOPES  APPS  VERSION  TOKEN SOURCE\n" +
		"prod.haloy.com  yes        interrupted  -        -       -     1.4.0    client store HALOY_API_TOKEN_PROD_HALOY_COM (set in the config directory's .env)\n" +
		"prod.haloy.com: not checked: interrupted\n"
	if diff := cmp.Diff(wantStdout, stdout.String()); diff != "" {
		t.Errorf("server check stdout mismatch (-want +got):\n%s", diff)
	}
	wantStderr := "haloy: error: interrupted: 1 of 1 servers were not checked: prod.haloy.com\n" +
		"haloy: hint: run the check again: haloy server check prod.haloy.com\n"
	if diff := cmp.Diff(wantStderr, stderr.String()); diff != "" {
		t.Errorf("server check stderr mismatch (-want +got):\n%s", diff)
	}
}

// Any command that fails after an interrupt exits 130 and says it was
// interrupted, even when its own error does not.
func TestInterruptExits130(t *testing.T) {
	w := newNetWorld()
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	var stdout, stderr bytes.Buffer
	code := run(ctx, []string{"haloy", "server", "version", "--server", "prod.haloy.com"}, strings.NewReader(""), &stdout, &stderr, w.wiring())
	if code != 130 {
		t.Errorf("server version interrupted = %d, want 130", code)
	}
	if want := "haloy: interrupted: the command stopped before it finished; what it printed above is what was done\n"; !strings.HasSuffix(stderr.String(), want) {
		t.Errorf("stderr = %q, want it to end with %q", stderr.String(), want)
	}
}

// Every --json prints valid JSON, [] when there is nothing, even when the
// command fails. Issue 16: server check --json with no servers printed
// nothing.
func TestJSONAlwaysValid(t *testing.T) {
	tests := []struct {
		name     string
		args     []string
		wantCode int
	}{
		{"server_check_no_servers", []string{"haloy", "server", "check", "--json"}, 2},
		{"server_check_unknown_server", []string{"haloy", "server", "check", "nope.example.com", "--json"}, 2},
		{"server_list_no_servers", []string{"haloy", "server", "list", "--json"}, 0},
		{"token_list_not_initialized", []string{"haloyadm", "api", "token", "list", "--json"}, 2},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			w := newNetWorld()
			w.client = memory.NewClientStore(emptyState())
			wiring := w.wiring()
			if strings.HasPrefix(tt.args[0], "haloyadm") {
				wiring = newAdminWorld("-").wiring()
			}
			var stdout, stderr bytes.Buffer
			code := run(context.Background(), tt.args, strings.NewReader(""), &stdout, &stderr, wiring)
			if code != tt.wantCode || stdout.String() != "[]\n" {
				t.Errorf("run(%q) = %d, stdout %q; want %d, %q (stderr %q)", tt.args, code, stdout.String(), tt.wantCode, "[]\n", stderr.String())
			}
		})
	}
}

func emptyState() core.ClientState { return core.ClientState{} }

// An app without targets: its progress lines are prefixed with the app's
// name, as its summary row is (issue 16: they said "deploy |").
func TestDeployCLIAppWithoutTargets(t *testing.T) {
	w := newNetWorld()
	w.configs["single.haloy.yaml"] = core.AppConfig{TargetConfig: core.TargetConfig{Name: "my-app", Server: "prod.haloy.com",
		Image: &core.Image{Repository: "my-org/my-app"}}}
	code, stdout, stderr := w.run(t, "", "deploy", "-c", "single.haloy.yaml")
	if code != 0 {
		t.Fatalf("deploy = %d; stderr:\n%s", code, stderr)
	}
	progress, summary, _ := strings.Cut(stdout, "\n\n")
	for _, l := range strings.Split(progress, "\n") {
		if !strings.HasPrefix(l, "my-app | ") {
			t.Errorf("progress line %q, want it prefixed with %q", l, "my-app | ")
		}
	}
	if !strings.Contains(summary, "  my-app  prod.haloy.com  deployed") {
		t.Errorf("summary = %q, want a my-app row", summary)
	}
}

// status only reads: with several targets and no -t it shows them all
// (issue 16: it asked for -t or -a, as deploy does).
func TestStatusCLIAllTargetsByDefault(t *testing.T) {
	w := newNetWorld()
	code, stdout, stderr := w.run(t, "", "status")
	if code != 0 || stderr != "" {
		t.Fatalf("status = %d, stderr %q; want 0, none", code, stderr)
	}
	for _, row := range []string{"production  prod.haloy.com", "staging     staging.haloy.com"} {
		if !strings.Contains(stdout, row) {
			t.Errorf("status stdout lacks %q:\n%s", row, stdout)
		}
	}
}
