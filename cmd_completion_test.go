package main

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"go.uber.org/fx"

	"github.com/haloy-auth/haloy/adapters/memory"
	"github.com/haloy-auth/haloy/app"
	"github.com/haloy-auth/haloy/core"
	"github.com/haloy-auth/haloy/internal/leakscan"
	"github.com/haloy-auth/haloy/ports"
)

// completionWiring holds two servers, the multi-target app config (and a
// second one under other/), and three tokens of which one is revoked.
func completionWiring() *app.Wiring {
	tokens := &memory.Tokens{}
	ctx := context.Background()
	now := time.Now()
	for i, n := range []string{"ci-production", "ci-staging", "old-laptop"} {
		if _, err := tokens.Create(ctx, core.NewTokenRecord{Name: n, Hash: core.TokenHash{byte(i + 1)}, CreatedAt: now}); err != nil {
			panic(err)
		}
	}
	if _, err := tokens.Revoke(ctx, "old-laptop", now, "haloyadm"); err != nil {
		panic(err)
	}
	configs := memory.AppConfigs{"haloy.yaml": multiTarget.configs["haloy.yaml"],
		"other/haloy.yaml": {Targets: map[string]core.TargetConfig{"eu": {}, "us": {}}}}
	return &app.Wiring{Adapters: fx.Options(
		fx.Supply(fx.Annotate(memory.NewClientStore(twoServerState()), fx.As(new(ports.ClientStore)))),
		fx.Supply(fx.Annotate(memory.Env{}, fx.As(new(ports.Env)))),
		fx.Supply(fx.Annotate(configs, fx.As(new(ports.AppConfigs)))),
		fx.Supply(fx.Annotate(&memory.ServerConfig{Settings: &core.ServerSettings{}}, fx.As(new(ports.ServerConfig)))),
		fx.Supply(fx.Annotate(tokens, fx.As(new(ports.TokenStore)))),
	)}
}

// TestCompletion drives the completion entry point as a shell does: the
// program runs with COMP_LINE set to the line typed so far.
func TestCompletion(t *testing.T) {
	tests := []struct {
		name   string
		prog   string
		line   string
		wiring *app.Wiring
		want   []string // sorted
	}{
		{name: "command", line: "haloy ser", want: []string{"server"}},
		{name: "subcommands", line: "haloy server ", want: []string{"add", "check", "delete", "list", "rotate", "version"}},
		{name: "flags", line: "haloy deploy --", want: []string{"--all", "--config", "--help", "--include-protected", "--no-logs", "--quiet", "--target"}},
		{name: "version_flag_top_level_only", line: "haloy --v", want: []string{"--version"}},
		{name: "shell_names", line: "haloy completion ", want: []string{"bash", "fish", "zsh"}},
		{name: "server_delete", line: "haloy server delete ", want: []string{"a-b.example.com", "production.haloy.com"}},
		{name: "server_delete_prefix", line: "haloy server delete pro", want: []string{"production.haloy.com"}},
		{name: "server_version_flag", line: "haloy server version --server ", want: []string{"a-b.example.com", "production.haloy.com"}},
		{name: "server_version_short_flag", line: "haloy server version -s a", want: []string{"a-b.example.com"}},
		{name: "server_check_many", line: "haloy server check production.haloy.com ", want: []string{"a-b.example.com", "production.haloy.com"}},
		{name: "targets_cwd", line: "haloy deploy -t ", want: []string{"production", "staging"}},
		{name: "targets_prefix", line: "haloy status --target st", want: []string{"staging"}},
		{name: "targets_of_config_flag", line: "haloy validate-config -c other -t ", want: []string{"eu", "us"}},
		{name: "token_names_not_revoked", prog: "haloyadm", line: "haloyadm api token revoke ", want: []string{"ci-production", "ci-staging"}},
		{name: "admin_commands", prog: "haloyadm", line: "haloyadm api token ", want: []string{"create", "list", "prune", "revoke"}},
		{
			// static completion never builds a graph: a wiring that cannot
			// build still completes commands
			name: "static_needs_no_graph", line: "haloy server l",
			wiring: &app.Wiring{Adapters: fx.Error(errors.New("graph built"))}, want: []string{"list"},
		},
		{
			// a lookup that fails completes nothing and prints nothing
			name: "lookup_failure_is_silent", line: "haloy server delete ",
			wiring: &app.Wiring{Adapters: fx.Error(errors.New("graph built"))},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Setenv("COMP_LINE", tt.line)
			t.Setenv("COMP_POINT", "")
			prog, w := tt.prog, tt.wiring
			if prog == "" {
				prog = "haloy"
			}
			if w == nil {
				w = completionWiring()
			}
			var stdout, stderr bytes.Buffer
			// bash passes the command, the word and the previous word
			code := run(context.Background(), []string{"/usr/bin/" + prog, prog, "", ""}, strings.NewReader(""), &stdout, &stderr, w)
			if code != 0 || stderr.Len() > 0 {
				t.Fatalf("completing %q: exit %d, stderr %q; want 0 and nothing", tt.line, code, stderr.String())
			}
			got := strings.Fields(stdout.String())
			sort.Strings(got)
			if len(got) == 0 {
				got = nil
			}
			if diff := cmp.Diff(tt.want, got); diff != "" {
				t.Errorf("completing %q mismatch (-want +got):\n%s", tt.line, diff)
			}
		})
	}
}

// completionWorld is a config directory with two servers and an app config
// with two targets, for the binary run by a real shell.
func completionWorld(t *testing.T) (haloy string, env []string, dir string, scan *leakscan.Scan) {
	t.Helper()
	haloy, _ = builtBinary(t)
	scan = leakscan.New(t) // completions name servers, never their tokens
	dir = t.TempDir()
	cfg := filepath.Join(dir, "cfg")
	env = append(os.Environ(), "HALOY_CONFIG_DIR="+cfg, "HOME="+dir)
	for i, s := range []string{"prod.example.com", "staging.example.com"} {
		tok := fmt.Sprintf("Kq7-secret-%d-Zx9", i)
		scan.Secret(s, tok)
		cmd := exec.Command(haloy, "server", "add", s, tok)
		cmd.Env = env
		if out, err := cmd.CombinedOutput(); err != nil {
			t.Fatalf("server add %s: %v\n%s", s, err, out)
		}
	}
	app := "name: my-app\nimage:\n  repository: nginx\ntargets:\n  production:\n    server: prod.example.com\n  staging:\n    server: staging.example.com\n"
	if err := os.WriteFile(filepath.Join(dir, "haloy.yaml"), []byte(app), 0o644); err != nil {
		t.Fatal(err)
	}
	return haloy, env, dir, scan
}

// shell runs script with the named shell in dir and returns its stdout.
func shell(t *testing.T, scan *leakscan.Scan, env []string, dir string, name string, args ...string) string {
	t.Helper()
	path, err := exec.LookPath(name)
	if err != nil {
		t.Fatalf("%s is not installed (go tool task deps installs it): %v", name, err)
	}
	cmd := exec.Command(path, args...)
	cmd.Dir, cmd.Env = dir, env
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	if err := cmd.Run(); err != nil {
		t.Fatalf("%s %q: %v\nstdout:\n%s\nstderr:\n%s", name, args, err, stdout.String(), stderr.String())
	}
	scan.Output(name+" stdout", stdout.Bytes())
	scan.Output(name+" stderr", stderr.Bytes())
	return stdout.String()
}

func script(t *testing.T, haloy string, env []string, sh string) string {
	t.Helper()
	cmd := exec.Command(haloy, "completion", sh)
	cmd.Env = env
	out, err := cmd.Output()
	if err != nil {
		t.Fatalf("haloy completion %s: %v", sh, err)
	}
	return string(out)
}

// TestCompletionBash sources the script in an interactive bash, finds the
// function `complete -p` registered, and calls it as bash's completion does.
func TestCompletionBash(t *testing.T) {
	haloy, env, dir, scan := completionWorld(t)
	if err := os.WriteFile(filepath.Join(dir, "c.bash"), []byte(script(t, haloy, env, "bash")), 0o644); err != nil {
		t.Fatal(err)
	}
	const probe = `source ./c.bash
spec=$(complete -p haloy) || exit 1
echo "spec: $spec"
fn=${spec#*-F }; fn=${fn%% *}
try() { # try LINE: complete LINE as bash would
	COMP_LINE=$1; COMP_POINT=${#1}; read -ra COMP_WORDS <<<"$1"; [[ $1 == *' ' ]] && COMP_WORDS+=("")
	COMP_CWORD=$(( ${#COMP_WORDS[@]} - 1 )); COMPREPLY=()
	"$fn" haloy "${COMP_WORDS[COMP_CWORD]}" "${COMP_WORDS[COMP_CWORD-1]}"
	echo "$1|${COMPREPLY[*]}"
}
try 'haloy server delete '
try 'haloy server version --server st'
try 'haloy deploy -t '
try 'haloy val'
# compgen runs the function without COMP_LINE: it must offer nothing rather
# than the output of a plain run
unset COMP_LINE COMP_POINT COMP_WORDS COMP_CWORD
echo "compgen|$(compgen -F "$fn" -- x 2>/dev/null)"
`
	got := shell(t, scan, env, dir, "bash", "-i", "-c", probe)
	want := "spec: complete -o default -F _haloy_complete haloy\n" +
		"haloy server delete |prod.example.com staging.example.com\n" +
		"haloy server version --server st|staging.example.com\n" +
		"haloy deploy -t |production staging\n" +
		"haloy val|validate-config\n" +
		"compgen|\n"
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("bash completion mismatch (-want +got):\n%s", diff)
	}
}

// TestCompletionZsh sources the script in zsh and calls the function it
// registered with compdef, as the completion system does, with compadd and
// _files recording what they are given.
func TestCompletionZsh(t *testing.T) {
	haloy, env, dir, scan := completionWorld(t)
	if err := os.WriteFile(filepath.Join(dir, "c.zsh"), []byte(script(t, haloy, env, "zsh")), 0o644); err != nil {
		t.Fatal(err)
	}
	const probe = `compdef() { print -r -- "compdef $*" }
source ./c.zsh
compadd() { shift; print -r -- "${(j: :)@}" }
_files() { print -r -- "files" }
try() { words=(${(z)1}); [[ $1 == *' ' ]] && words+=(""); CURRENT=${#words}; print -n -r -- "$1|"; _haloy_complete }
try 'haloy server delete '
try 'haloy deploy -t prod'
try 'haloy deploy -c '
`
	got := shell(t, scan, env, dir, "zsh", "-f", "-c", probe)
	want := "compdef _haloy_complete haloy\n" +
		"haloy server delete |prod.example.com staging.example.com\n" +
		"haloy deploy -t prod|production\n" +
		"haloy deploy -c |files\n"
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("zsh completion mismatch (-want +got):\n%s", diff)
	}
}

// TestCompletionFish sources the script in fish and asks fish itself to
// complete lines (complete -C).
func TestCompletionFish(t *testing.T) {
	haloy, env, dir, scan := completionWorld(t)
	if err := os.WriteFile(filepath.Join(dir, "c.fish"), []byte(script(t, haloy, env, "fish")), 0o644); err != nil {
		t.Fatal(err)
	}
	const probe = `source ./c.fish
for line in 'haloy server delete ' 'haloy deploy -t st' 'haloy server '
    echo "$line|"(string join ' ' (complete -C "$line"))
end
`
	got := shell(t, scan, env, dir, "fish", "--no-config", "-c", probe)
	want := "haloy server delete |prod.example.com staging.example.com\n" +
		"haloy deploy -t st|staging\n" +
		"haloy server |add check delete list rotate version\n"
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("fish completion mismatch (-want +got):\n%s", diff)
	}
}
