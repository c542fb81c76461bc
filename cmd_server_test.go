package main

import (
	"bytes"
	"context"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	"go.uber.org/fx"

	"github.com/haloy-auth/haloy/adapters/memory"
	"github.com/haloy-auth/haloy/app"
	"github.com/haloy-auth/haloy/core"
	"github.com/haloy-auth/haloy/ports"
)

// serverWiring binds the memory twins the server commands use.
func serverWiring(store *memory.ClientStore, env memory.Env) *app.Wiring {
	return &app.Wiring{Adapters: fx.Options(
		fx.Supply(fx.Annotate(store, fx.As(new(ports.ClientStore)))),
		fx.Supply(fx.Annotate(env, fx.As(new(ports.Env)))),
		fx.Supply(fx.Annotate(memory.CACerts{"ca.pem": "/work/ca.pem"}, fx.As(new(ports.CACerts)))),
	)}
}

// serverTokens are the secrets of these tests: no output may contain them.
var serverTokens = []string{"tok-prod-123", "tok-ab-456", "tok-stdin-789", "tok-other-000"}

func twoServerState() core.ClientState {
	return core.ClientState{
		Servers: map[string]core.ServerRef{
			"production.haloy.com": {TokenEnv: "HALOY_API_TOKEN_PRODUCTION_HALOY_COM"},
			"a-b.example.com":      {TokenEnv: "HALOY_API_TOKEN_A_B_EXAMPLE_COM", CACert: "/etc/ca.pem"},
		},
		Tokens: map[string]string{"HALOY_API_TOKEN_PRODUCTION_HALOY_COM": "tok-prod-123"},
	}
}

func TestServerCLI(t *testing.T) {
	tests := []struct {
		name       string
		state      core.ClientState
		env        memory.Env
		args       []string
		stdin      string
		wantCode   int
		wantStdout string
		wantStderr string
	}{
		{
			name:       "add",
			args:       []string{"server", "add", "Production.Haloy.com", "tok-prod-123"},
			wantStdout: "added production.haloy.com; its token is in HALOY_API_TOKEN_PRODUCTION_HALOY_COM\n",
		},
		{
			name:       "add_token_stdin",
			args:       []string{"server", "add", "localhost:9922", "--token-stdin"},
			stdin:      "tok-stdin-789\r\nignored second line\n",
			wantStdout: "added localhost:9922; its token is in HALOY_API_TOKEN_LOCALHOST_9922\n",
		},
		{
			name:       "add_collision_says_which",
			state:      twoServerState(),
			args:       []string{"server", "add", "a.b.example.com", "tok-other-000"},
			wantStdout: "added a.b.example.com; its token is in HALOY_API_TOKEN_A_B_EXAMPLE_COM_532E2DC4\n",
			wantStderr: "haloy: HALOY_API_TOKEN_A_B_EXAMPLE_COM already holds the token of a-b.example.com; a.b.example.com gets HALOY_API_TOKEN_A_B_EXAMPLE_COM_532E2DC4, so neither token replaces the other\n",
		},
		{
			name:       "add_force",
			state:      twoServerState(),
			args:       []string{"server", "add", "production.haloy.com", "tok-other-000", "--force"},
			wantStdout: "replaced the token of production.haloy.com; its token is in HALOY_API_TOKEN_PRODUCTION_HALOY_COM\n",
		},
		{
			name:     "add_existing",
			state:    twoServerState(),
			args:     []string{"server", "add", "production.haloy.com", "tok-other-000"},
			wantCode: 2,
			wantStderr: "haloy: error: server \"production.haloy.com\" is already configured\n" +
				"haloy: its token is in HALOY_API_TOKEN_PRODUCTION_HALOY_COM; nothing was changed\n" +
				"haloy: hint: to replace its token: haloy server add production.haloy.com --force --token-stdin\n",
		},
		{
			name:     "add_scheme",
			args:     []string{"server", "add", "https://haloy.example.com", "tok-prod-123"},
			wantCode: 2,
			wantStderr: "haloy: error: invalid server \"https://haloy.example.com\"\n" +
				"haloy: it starts with https://, and haloy adds https:// itself\n" +
				"haloy: hint: remove https://: haloy server add haloy.example.com --token-stdin\n",
		},
		{
			name:     "add_port",
			args:     []string{"server", "add", "haloy.example.com:443", "tok-prod-123"},
			wantCode: 2,
			wantStderr: "haloy: error: invalid server \"haloy.example.com:443\"\n" +
				"haloy: a port is accepted only on a loopback host (localhost, 127.0.0.1, [::1]); haloy reaches a remote server on https's port 443\n" +
				"haloy: hint: remove the port :443: haloy server add haloy.example.com --token-stdin\n",
		},
		{
			name:     "add_placeholder",
			args:     []string{"server", "add", "haloy.example.com", "<token>"},
			wantCode: 2,
			wantStderr: "haloy: error: the token \"<token>\" is a placeholder\n" +
				"haloy: text in <angle brackets> in documentation stands for a value you supply; expected the API token your server's administrator issued (sudo haloyadm api token prints it once)\n" +
				"haloy: hint: pass the real token, e.g. printf '%s\\n' \"$TOKEN\" | haloy server add <server> --token-stdin\n",
		},
		{
			name:     "add_swapped_arguments",
			args:     []string{"server", "add", "tok-prod-123", "production.haloy.com"},
			wantCode: 2,
			wantStderr: "haloy: error: the server and the token look swapped\n" +
				"haloy: the token argument is a host name, and the server argument is not one\n" +
				"haloy: hint: give the server first: haloy server add <server> --token-stdin, with the token on stdin\n",
		},
		{
			name:     "add_no_token_not_a_terminal",
			args:     []string{"server", "add", "haloy.example.com"},
			wantCode: 2,
			wantStderr: "haloy: error: no token for haloy.example.com\n" +
				"haloy: no token argument, no --token-stdin, and stdin is not a terminal to prompt on\n" +
				"haloy: hint: printf '%s\\n' \"$TOKEN\" | haloy server add haloy.example.com --token-stdin\n",
		},
		{
			name:     "add_empty_stdin",
			args:     []string{"server", "add", "haloy.example.com", "--token-stdin"},
			wantCode: 2,
			wantStderr: "haloy: error: no token on stdin\n" +
				"haloy: --token-stdin reads the first line of stdin, and it was empty\n" +
				"haloy: hint: pipe the token in: printf '%s\\n' \"$TOKEN\" | haloy server add <server> --token-stdin\n",
		},
		{
			name:     "add_two_tokens",
			args:     []string{"server", "add", "haloy.example.com", "tok-prod-123", "--token-stdin"},
			stdin:    "tok-stdin-789\n",
			wantCode: 2,
			wantStderr: "haloy: error: two tokens given\n" +
				"haloy: --token-stdin reads the token from stdin, and a token argument was given too\n" +
				"haloy: hint: drop the token argument: printf '%s\\n' \"$TOKEN\" | haloy server add haloy.example.com --token-stdin\n",
		},
		{
			name:     "add_usage_error",
			args:     []string{"server", "add"},
			wantCode: 2,
			wantStderr: "haloy: error: expected \"<server>\"\n" +
				"haloy: hint: run 'haloy server add --help' for usage\n",
		},
		{
			// issue 16: the hint was "haloy server add localhost"
			name:     "delete_scheme_hint_is_delete",
			state:    twoServerState(),
			args:     []string{"server", "delete", "HTTPS://localhost"},
			wantCode: 2,
			wantStderr: "haloy: error: invalid server \"HTTPS://localhost\"\n" +
				"haloy: it starts with HTTPS://, and haloy adds https:// itself\n" +
				"haloy: hint: remove HTTPS://: haloy server delete localhost\n",
		},
		{
			// issue 16: a scheme and a trailing slash gave no corrected command
			name:     "add_scheme_and_slash_corrected",
			args:     []string{"server", "add", "https://haloy.example.com/", "tok-prod-123"},
			wantCode: 2,
			wantStderr: "haloy: error: invalid server \"https://haloy.example.com/\"\n" +
				"haloy: it starts with https://, and haloy adds https:// itself\n" +
				"haloy: hint: remove https://: haloy server add haloy.example.com --token-stdin\n",
		},
		{
			// issue 16: "$TOKEN" with TOKEN unset was "no token argument"
			name:     "add_empty_token_argument",
			args:     []string{"server", "add", "haloy.example.com", ""},
			wantCode: 2,
			wantStderr: "haloy: error: the token argument is empty\n" +
				"haloy: a variable that is not set expands to nothing: \"$TOKEN\" with TOKEN unset gives an empty argument\n" +
				"haloy: hint: set the variable first (echo ${#TOKEN} prints its length), then: printf '%s\\n' \"$TOKEN\" | haloy server add haloy.example.com --token-stdin\n",
		},
		{
			// issue 16: refused as unquotable for .env, which it is not
			name:     "add_token_too_long",
			args:     []string{"server", "add", "haloy.example.com", "--token-stdin"},
			stdin:    strings.Repeat("a", 65536) + "\n",
			wantCode: 2,
			wantStderr: "haloy: error: the token is too long: 65536 bytes, and a token has at most 4096\n" +
				"haloy: an API token is one short word (haloyadm's have under 100 characters); this looks like a file or several values pasted together\n" +
				"haloy: hint: pass the real token, e.g. printf '%s\\n' \"$TOKEN\" | haloy server add <server> --token-stdin\n",
		},
		{
			name:       "list_empty",
			args:       []string{"server", "list"},
			wantStdout: "No servers yet. Add one with: haloy server add <server> --token-stdin\n",
		},
		{
			name:       "list_empty_json",
			args:       []string{"server", "list", "--json"},
			wantStdout: "[]\n",
		},
		{
			name:  "list",
			state: twoServerState(),
			args:  []string{"server", "list"},
			wantStdout: "SERVER                TOKEN VARIABLE                        TOKEN              CA CERT\n" +
				"a-b.example.com       HALOY_API_TOKEN_A_B_EXAMPLE_COM       missing            /etc/ca.pem\n" +
				"production.haloy.com  HALOY_API_TOKEN_PRODUCTION_HALOY_COM  yes (config .env)  -\n",
			// issue 16: "missing" came without the fix
			wantStderr: "haloy: hint: a-b.example.com has no token: export HALOY_API_TOKEN_A_B_EXAMPLE_COM=<token>, or haloy server add a-b.example.com --force --token-stdin\n",
		},
		{
			name:  "list_json",
			state: twoServerState(),
			env:   memory.Env{"HALOY_API_TOKEN_A_B_EXAMPLE_COM": "tok-ab-456"},
			args:  []string{"server", "list", "--json"},
			wantStdout: `[
  {
    "server": "a-b.example.com",
    "token_env": "HALOY_API_TOKEN_A_B_EXAMPLE_COM",
    "token_available": true,
    "token_source": "environment",
    "ca_cert": "/etc/ca.pem"
  },
  {
    "server": "production.haloy.com",
    "token_env": "HALOY_API_TOKEN_PRODUCTION_HALOY_COM",
    "token_available": true,
    "token_source": "config .env"
  }
]
`,
		},
		{
			name:       "delete",
			state:      twoServerState(),
			args:       []string{"server", "delete", "Production.Haloy.com."},
			wantStdout: "deleted production.haloy.com and its token HALOY_API_TOKEN_PRODUCTION_HALOY_COM\n",
		},
		{
			name:       "delete_without_token_line",
			state:      twoServerState(),
			args:       []string{"server", "delete", "a-b.example.com"},
			wantStdout: "deleted a-b.example.com; HALOY_API_TOKEN_A_B_EXAMPLE_COM was not removed (not in the config directory's .env, or another server uses it)\n",
		},
		{
			name:     "delete_unknown",
			state:    twoServerState(),
			args:     []string{"server", "delete", "prod2.haloy.com"},
			wantCode: 2,
			wantStderr: "haloy: error: unknown server \"prod2.haloy.com\"\n" +
				"haloy: configured: a-b.example.com, production.haloy.com\n" +
				"haloy: hint: haloy server list\n",
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var stdout, stderr bytes.Buffer
			store := memory.NewClientStore(tt.state)
			args := append([]string{"haloy"}, tt.args...)
			code := run(context.Background(), args, strings.NewReader(tt.stdin), &stdout, &stderr, serverWiring(store, tt.env))
			if code != tt.wantCode {
				t.Errorf("run(%q) = %d, want %d; stderr:\n%s", tt.args, code, tt.wantCode, stderr.String())
			}
			if diff := cmp.Diff(tt.wantStdout, stdout.String()); diff != "" {
				t.Errorf("run(%q) stdout mismatch (-want +got):\n%s", tt.args, diff)
			}
			if diff := cmp.Diff(tt.wantStderr, stderr.String()); diff != "" {
				t.Errorf("run(%q) stderr mismatch (-want +got):\n%s", tt.args, diff)
			}
			for _, tok := range serverTokens {
				if strings.Contains(stdout.String()+stderr.String(), tok) {
					t.Errorf("run(%q) output contains the token %q", tt.args, tok)
				}
			}
			if tt.wantCode != 0 && store.Writes() != 0 {
				t.Errorf("run(%q) failed but wrote the store", tt.args)
			}
		})
	}
}

// TestServerAddStoresStdinToken: --token-stdin stores the first line, without its line break.
func TestServerAddStoresStdinToken(t *testing.T) {
	store := memory.NewClientStore(core.ClientState{})
	var stdout, stderr bytes.Buffer
	code := run(context.Background(), []string{"haloy", "server", "add", "haloy.example.com", "--token-stdin", "--ca-cert", "ca.pem"},
		strings.NewReader("tok-stdin-789\n"), &stdout, &stderr, serverWiring(store, nil))
	if code != 0 {
		t.Fatalf("exit %d: %s", code, stderr.String())
	}
	want := core.ClientState{
		Servers: map[string]core.ServerRef{"haloy.example.com": {TokenEnv: "HALOY_API_TOKEN_HALOY_EXAMPLE_COM", CACert: "/work/ca.pem"}},
		Tokens:  map[string]string{"HALOY_API_TOKEN_HALOY_EXAMPLE_COM": "tok-stdin-789"},
	}
	if diff := cmp.Diff(want, store.State()); diff != "" {
		t.Errorf("state (-want +got):\n%s", diff)
	}
}

// Adding a token that another value of its variable hides (an exported
// variable, or a line of the config directory's .env.local) stores it and
// warns that deploys use the other value, and how to use this one.
func TestServerAddWarnsWhenShadowed(t *testing.T) {
	for _, tt := range []struct {
		name  string
		local map[string]string
		env   memory.Env
		want  string
	}{
		{"env_local", map[string]string{"HALOY_API_TOKEN_HALOY_EXAMPLE_COM": "tok-other-000"}, nil,
			"haloy: warning: HALOY_API_TOKEN_HALOY_EXAMPLE_COM is also set in the config directory's .env.local, which wins over .env: deploys to haloy.example.com use that value, not the token just stored; remove its line from .env.local to use this one\n"},
		{"environment", nil, memory.Env{"HALOY_API_TOKEN_HALOY_EXAMPLE_COM": "tok-other-000"},
			"haloy: warning: HALOY_API_TOKEN_HALOY_EXAMPLE_COM is also set in the environment, which wins over .env: deploys to haloy.example.com use that value, not the token just stored; unset it to use this one\n"},
		{"not_shadowed", nil, nil, ""},
	} {
		t.Run(tt.name, func(t *testing.T) {
			store := memory.NewClientStore(core.ClientState{Local: tt.local})
			var stdout, stderr bytes.Buffer
			code := run(context.Background(), []string{"haloy", "server", "add", "haloy.example.com", "--token-stdin"},
				strings.NewReader("tok-stdin-789\n"), &stdout, &stderr, serverWiring(store, tt.env))
			if code != 0 || stderr.String() != tt.want {
				t.Errorf("exit %d, stderr:\n%s\nwant 0,\n%s", code, stderr.String(), tt.want)
			}
			if got := store.State().Tokens["HALOY_API_TOKEN_HALOY_EXAMPLE_COM"]; got != "tok-stdin-789" {
				t.Errorf("stored token = %q, want the one given", got)
			}
			for _, tok := range serverTokens {
				if strings.Contains(stdout.String()+stderr.String(), tok) {
					t.Errorf("output shows a token:\n%s%s", stdout.String(), stderr.String())
				}
			}
		})
	}
}
