package main

import (
	"bytes"
	"context"
	"encoding/json"
	goruntime "runtime"
	"strings"
	"testing"

	"github.com/alecthomas/kong"
	"github.com/google/go-cmp/cmp"

	"github.com/haloy-auth/haloy/adapters/configfile"
	"github.com/haloy-auth/haloy/adapters/memory"
)

func TestHelpTeaches(t *testing.T) {
	tests := []struct {
		name       string
		args       []string
		wantCode   int
		wantStdout []string // each must appear, in this order
		wantStderr string
	}{
		{
			// a new user's first command: help, not an error
			name: "program_alone",
			args: []string{"haloy"},
			wantStdout: []string{"Usage: haloy <command>", "server add", "Examples:", "haloy deploy -t production", "HALOY_CONFIG_DIR", ".env.local", "~/.config/haloy", "HALOY_API_TOKEN", "HALOY_DATA_DIR",
				// the app config's names in the order they are looked for
				strings.Join(configfile.Names[:len(configfile.Names)-1], ", ") + "\n  and " + configfile.Names[len(configfile.Names)-1], "Exit codes: 0 ok"},
		},
		{
			name:       "group_alone",
			args:       []string{"haloy", "server"},
			wantStdout: []string{"Usage: haloy server <command>", "server delete", "Examples:", "haloy server check", "HALOY_CONFIG_DIR"},
		},
		{
			name:       "help_command",
			args:       []string{"haloy", "help", "server", "add"},
			wantStdout: []string{"Usage: haloy server add <server> [<token>]", "--token-stdin", "Examples:", "haloy server add haloy.example.com --token-stdin", "Exit codes"},
		},
		{
			name:       "help_alone",
			args:       []string{"haloy", "help"},
			wantStdout: []string{"Usage: haloy <command>", "Commands:"},
		},
		{
			name:       "admin_group_alone",
			args:       []string{"haloyadm", "api"},
			wantStdout: []string{"Usage: haloyadm api <command>", "api token revoke", "HALOY_DATA_DIR", "/var/lib/haloy", "127.0.0.1:9922", "90d"},
		},
		{
			name:     "help_unknown_command",
			args:     []string{"haloy", "help", "nope"},
			wantCode: 2,
			wantStderr: "haloy: error: no help for \"nope\": unexpected argument nope\n" +
				"haloy: hint: run 'haloy help' for the list of commands\n",
		},
		{
			// the hint names the command's own help, not the program's
			name:     "parse_error_points_at_subcommand_help",
			args:     []string{"haloy", "server", "list", "--bogus"},
			wantCode: 2,
			wantStderr: "haloy: error: unknown flag --bogus\n" +
				"haloy: hint: run 'haloy server list --help' for usage\n",
		},
		{
			name:     "missing_argument_points_at_subcommand_help",
			args:     []string{"haloy", "server", "add"},
			wantCode: 2,
			wantStderr: "haloy: error: expected \"<server>\"\n" +
				"haloy: hint: run 'haloy server add --help' for usage\n",
		},
		{
			name:     "unknown_command",
			args:     []string{"haloy", "sever", "list"},
			wantCode: 2,
			wantStderr: "haloy: error: unexpected argument sever, did you mean \"server\"?\n" +
				"haloy: hint: run 'haloy --help' for usage\n",
		},
		{
			name:       "version_flag",
			args:       []string{"haloy", "--version"},
			wantStdout: []string{"haloy dev\n"},
		},
		{
			// --version after a command was the client's version, silently
			name:     "version_flag_after_command",
			args:     []string{"haloy", "server", "version", "--version"},
			wantCode: 2,
			wantStderr: "haloy: error: --version is a flag of haloy alone, not of \"haloy server version\"; run 'haloy version' for the version\n" +
				"haloy: hint: run 'haloy server version --help' for usage\n",
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var stdout, stderr bytes.Buffer
			code := run(context.Background(), tt.args, strings.NewReader(""), &stdout, &stderr, serverWiring(memory.NewClientStore(twoServerState()), nil))
			if code != tt.wantCode {
				t.Errorf("run(%q) = %d, want %d; stderr:\n%s", tt.args, code, tt.wantCode, stderr.String())
			}
			if diff := cmp.Diff(tt.wantStderr, stderr.String()); diff != "" {
				t.Errorf("run(%q) stderr mismatch (-want +got):\n%s", tt.args, diff)
			}
			rest := stdout.String()
			for _, w := range tt.wantStdout {
				i := strings.Index(rest, w)
				if i < 0 {
					t.Fatalf("run(%q) stdout lacks %q (or has it out of order):\n%s", tt.args, w, stdout.String())
				}
				rest = rest[i+len(w):]
			}
			if len(tt.wantStdout) == 0 && stdout.Len() > 0 {
				t.Errorf("run(%q) stdout = %q, want nothing", tt.args, stdout.String())
			}
		})
	}
}

// Only the program's own help lists --version: a command's help does not
// offer a flag it refuses.
func TestVersionFlagListedAtTopOnly(t *testing.T) {
	for _, tt := range []struct {
		args []string
		want bool
	}{
		{[]string{"haloy", "--help"}, true},
		{[]string{"haloy", "server", "add", "--help"}, false},
		{[]string{"haloy", "--help"}, true}, // after a command's help, the flag is back
	} {
		var stdout, stderr bytes.Buffer
		if code := run(context.Background(), tt.args, strings.NewReader(""), &stdout, &stderr, serverWiring(memory.NewClientStore(twoServerState()), nil)); code != 0 {
			t.Fatalf("run(%q) = %d, want 0", tt.args, code)
		}
		if got := strings.Contains(stdout.String(), "--version"); got != tt.want {
			t.Errorf("run(%q) lists --version: %v, want %v", tt.args, got, tt.want)
		}
	}
}

// Every command's help shows examples: a command added without them fails
// here, and so does an example for a command that no longer exists.
func TestEveryCommandHasExamples(t *testing.T) {
	seen := map[string]bool{}
	for _, g := range []struct {
		prog    string
		grammar any
	}{{"haloy", &clientCLI{}}, {"haloyadm", &adminCLI{}}} {
		k, err := kong.New(g.grammar, kong.Name(g.prog))
		if err != nil {
			t.Fatal(err)
		}
		var walk func(n *kong.Node)
		walk = func(n *kong.Node) {
			path := g.prog
			if n.Parent != nil {
				path = n.FullPath()
			}
			seen[path] = true
			if strings.TrimSpace(examples[path]) == "" {
				t.Errorf("command %q has no examples", path)
			}
			for _, ex := range strings.Split(strings.TrimSpace(examples[path]), "\n") {
				if !strings.Contains(ex, g.prog+" ") {
					t.Errorf("example %q of %q does not run %s", ex, path, g.prog)
				}
			}
			for _, c := range n.Children {
				if c.Type == kong.CommandNode {
					walk(c)
				}
			}
		}
		walk(k.Model.Node)
	}
	for path := range examples {
		if !seen[path] {
			t.Errorf("examples for %q, which is not a command", path)
		}
	}
}

func TestVersionCommand(t *testing.T) {
	var stdout, stderr bytes.Buffer
	if code := run(context.Background(), []string{"haloy", "version"}, strings.NewReader(""), &stdout, &stderr, nil); code != 0 {
		t.Fatalf("haloy version = %d; stderr:\n%s", code, stderr.String())
	}
	want := "haloy dev (" + goruntime.Version() + ", " + goruntime.GOOS + "/" + goruntime.GOARCH + ")\n"
	if got := stdout.String(); got != want {
		t.Errorf("haloy version printed %q, want %q", got, want)
	}
	stdout.Reset()
	if code := run(context.Background(), []string{"haloyadm", "version", "--json"}, strings.NewReader(""), &stdout, &stderr, nil); code != 0 {
		t.Fatalf("haloyadm version --json = %d; stderr:\n%s", code, stderr.String())
	}
	var got map[string]string
	if err := json.Unmarshal(stdout.Bytes(), &got); err != nil {
		t.Fatalf("version --json printed %q: %v", stdout.String(), err)
	}
	wantJSON := map[string]string{"version": "dev", "go": goruntime.Version(), "platform": goruntime.GOOS + "/" + goruntime.GOARCH}
	if diff := cmp.Diff(wantJSON, got); diff != "" {
		t.Errorf("version --json mismatch (-want +got):\n%s", diff)
	}
}
