package main

import (
	"bytes"
	"context"
	"encoding/json"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"go.uber.org/fx"

	"github.com/haloy-auth/haloy/adapters/memory"
	"github.com/haloy-auth/haloy/app"
	"github.com/haloy-auth/haloy/core"
	"github.com/haloy-auth/haloy/ports"
)

// adminWorld is one server's state behind the memory twins.
type adminWorld struct {
	config *memory.ServerConfig
	tokens *memory.Tokens
	api    *memory.APIServer
}

func newAdminWorld(domain string) *adminWorld {
	w := &adminWorld{config: &memory.ServerConfig{}, tokens: &memory.Tokens{},
		api: &memory.APIServer{Addr: "http://127.0.0.1:9922", Up: make(chan string, 1)}}
	if domain != "-" {
		w.config.Settings = &core.ServerSettings{APIDomain: domain}
	}
	return w
}

func (w *adminWorld) wiring() *app.Wiring {
	return &app.Wiring{Adapters: fx.Options(
		fx.Supply(fx.Annotate(w.config, fx.As(new(ports.ServerConfig)))),
		fx.Supply(fx.Annotate(w.tokens, fx.As(new(ports.TokenStore)))),
		fx.Supply(fx.Annotate(w.api, fx.As(new(ports.APIServer)))),
		// run with sudo by alice: tokens record "haloyadm (alice)"
		fx.Supply(fx.Annotate(memory.Env{"USER": "root", "SUDO_USER": "alice"}, fx.As(new(ports.Env)))),
	)}
}

// adminRun runs haloyadm with args and returns its exit code, stdout and
// stderr, with times and derived names masked.
func (w *adminWorld) run(t *testing.T, args ...string) (int, string, string) {
	t.Helper()
	var stdout, stderr bytes.Buffer
	code := run(context.Background(), append([]string{"/usr/local/bin/haloyadm"}, args...), strings.NewReader(""), &stdout, &stderr, w.wiring())
	return code, stdout.String(), mask(stderr.String())
}

var (
	timeRE = regexp.MustCompile(`\d{4}-\d{2}-\d{2} \d{2}:\d{2} UTC`)
	nameRE = regexp.MustCompile(`token-\d{8}-\d{6}`)
)

// mask replaces times and derived names with placeholders of the same
// width, so that tables keep their alignment.
func mask(s string) string {
	return nameRE.ReplaceAllString(timeRE.ReplaceAllString(s, "0000-00-00 00:00 UTC"), "token-00000000-000000")
}

func TestAdminCLI(t *testing.T) {
	tests := []struct {
		name       string
		domain     string // "-": not initialized
		setup      [][]string
		args       []string
		wantCode   int
		wantStdout string // "<token>": one token, alone
		wantStderr string
	}{
		{
			name: "init", domain: "-", args: []string{"init", "--api-domain", "API.example.com"},
			wantStdout: "<token>",
			wantStderr: "haloyadm: initialized\n" +
				"haloyadm: created token \"token-00000000-000000\" (id 1), expires 0000-00-00 00:00 UTC; it is shown only this once\n" +
				"haloyadm: next, on your machine: haloy server add api.example.com --token-stdin (then paste the token)\n",
		},
		{
			name: "init_twice", domain: "-", setup: [][]string{{"init"}}, args: []string{"init"},
			wantStderr: "haloyadm: already initialized; a token is shown only when it is created. Create a new one with: haloyadm api token\n" +
				"haloyadm: no API domain is set; set it with: haloyadm init --api-domain <api-domain>\n",
		},
		{
			// issue 16: a changed domain was reported only as "already initialized"
			name: "init_changes_domain", domain: "old.example.com", setup: [][]string{{"init"}},
			args: []string{"init", "--api-domain", "new.example.com"},
			wantStderr: "haloyadm: API domain changed from old.example.com to new.example.com; clients add the server with: haloy server add new.example.com --token-stdin\n" +
				"haloyadm: already initialized; a token is shown only when it is created. Create a new one with: haloyadm api token\n",
		},
		{
			name: "init_sets_domain", domain: "", setup: [][]string{{"init"}},
			args: []string{"init", "--api-domain", "new.example.com"},
			wantStderr: "haloyadm: API domain set to new.example.com\n" +
				"haloyadm: already initialized; a token is shown only when it is created. Create a new one with: haloyadm api token\n",
		},
		{
			// issue 16: exit 1 with an "address in use" hint
			name: "serve_bad_port", domain: "", args: []string{"serve", "--listen", "127.0.0.1:abc"}, wantCode: 2,
			wantStderr: "haloyadm: error: invalid listen address \"127.0.0.1:abc\"\n" +
				"haloyadm: the port \"abc\" is not a number from 0 to 65535 (0 picks a free port)\n" +
				"haloyadm: hint: use e.g. --listen 127.0.0.1:9922\n",
		},
		{
			name: "token_lifetime_too_long", domain: "", args: []string{"api", "token", "--expires", "999999d"}, wantCode: 2,
			wantStderr: "haloyadm: error: invalid token lifetime \"999999d\"\n" +
				"haloyadm: it is longer than the most a token may live, 3650d (ten years)\n" +
				"haloyadm: hint: use days (--expires 90d), a Go duration (--expires 12h, 30m, 1s) or --expires never\n",
		},
		{
			name: "init_bad_domain", domain: "-", args: []string{"init", "--api-domain", "https://api.example.com"}, wantCode: 2,
			wantStderr: "haloyadm: error: invalid API domain \"https://api.example.com\"\n" +
				"haloyadm: it starts with https://, and haloy adds https:// itself\n" +
				"haloyadm: hint: give the domain alone: haloyadm init --api-domain api.example.com\n",
		},
		{
			name: "token_default", domain: "api.example.com", args: []string{"api", "token"},
			wantStdout: "<token>",
			wantStderr: "haloyadm: created token \"token-00000000-000000\" (id 1), expires 0000-00-00 00:00 UTC; it is shown only this once\n" +
				"haloyadm: next, on your machine: haloy server add api.example.com --token-stdin (then paste the token)\n",
		},
		{
			name: "token_named_never", domain: "", args: []string{"api", "token", "--name", "laptop", "--expires", "never"},
			wantStdout: "<token>",
			wantStderr: "haloyadm: warning: token \"laptop\" never expires; revoke it when it is no longer needed: haloyadm api token revoke laptop\n" +
				"haloyadm: created token \"laptop\" (id 1), expires never; it is shown only this once\n" +
				"haloyadm: next, on your machine: haloy server add <api-domain> --token-stdin (then paste the token)\n",
		},
		{
			name: "token_create_explicit", domain: "", args: []string{"api", "token", "create", "--name", "ci", "--expires", "12h"},
			wantStdout: "<token>",
			wantStderr: "haloyadm: created token \"ci\" (id 1), expires 0000-00-00 00:00 UTC; it is shown only this once\n" +
				"haloyadm: next, on your machine: haloy server add <api-domain> --token-stdin (then paste the token)\n",
		},
		{
			name: "token_not_initialized", domain: "-", args: []string{"api", "token"}, wantCode: 2,
			wantStderr: "haloyadm: error: haloyadm is not initialized on this server\n" +
				"haloyadm: there is no config file \"/etc/haloy/haloyadm.yaml\"\n" +
				"haloyadm: hint: sudo haloyadm init --api-domain <api-domain>\n",
		},
		{
			name: "token_bad_expires", domain: "", args: []string{"api", "token", "--expires", "1y"}, wantCode: 2,
			wantStderr: "haloyadm: error: invalid token lifetime \"1y\"\n" +
				"haloyadm: it is neither a number of days nor a Go duration\n" +
				"haloyadm: hint: use days (--expires 90d), a Go duration (--expires 12h, 30m, 1s) or --expires never\n",
		},
		{
			name: "token_name_taken", domain: "", setup: [][]string{{"api", "token", "--name", "ci"}}, args: []string{"api", "token", "--name", "ci"}, wantCode: 2,
			wantStderr: "haloyadm: error: a token named \"ci\" already exists\n" +
				"haloyadm: token names are unique, and a revoked or expired token keeps its name until it is pruned\n" +
				"haloyadm: hint: choose another --name (see haloyadm api token list); to replace a token that still works under its name, rotate it: haloy server rotate <server>; " +
				"a token that ended over 30 days ago gives its name back to: sudo haloyadm api token prune\n",
		},
		{
			// revoking does not free a name: the hint must not say it does
			name: "token_name_of_revoked", domain: "", setup: [][]string{{"api", "token", "--name", "ci"}, {"api", "token", "revoke", "ci"}},
			args: []string{"api", "token", "--name", "ci"}, wantCode: 2,
			wantStderr: "haloyadm: error: a token named \"ci\" already exists\n" +
				"haloyadm: token names are unique, and a revoked or expired token keeps its name until it is pruned\n" +
				"haloyadm: hint: choose another --name (see haloyadm api token list); to replace a token that still works under its name, rotate it: haloy server rotate <server>; " +
				"a token that ended over 30 days ago gives its name back to: sudo haloyadm api token prune\n",
		},
		{
			name: "list_empty", domain: "", args: []string{"api", "token", "list"},
			wantStderr: "haloyadm: no tokens; create one with: haloyadm api token\n",
		},
		{
			name: "list", domain: "", setup: [][]string{{"api", "token", "--name", "ci"}, {"api", "token", "--name", "old", "--expires", "never"}, {"api", "token", "revoke", "old"}},
			args: []string{"api", "token", "list"},
			wantStdout: "ID  NAME  SCOPES  APPS  CREATED               CREATED BY        EXPIRES               LAST USED  STATUS\n" +
				"1   ci    all     all   0000-00-00 00:00 UTC  haloyadm (alice)  0000-00-00 00:00 UTC  never      active\n" +
				"2   old   all     all   0000-00-00 00:00 UTC  haloyadm (alice)  never                 never      revoked by haloyadm (alice)\n",
		},
		{
			name: "list_scoped", domain: "", setup: [][]string{{"api", "token", "--name", "ci", "--scope", "read", "--scope", "deploy", "--app", "shop,blog"}, {"api", "token", "--name", "dash", "--scope", "read"}},
			args: []string{"api", "token", "list"},
			wantStdout: "ID  NAME  SCOPES       APPS       CREATED               CREATED BY        EXPIRES               LAST USED  STATUS\n" +
				"1   ci    read,deploy  blog,shop  0000-00-00 00:00 UTC  haloyadm (alice)  0000-00-00 00:00 UTC  never      active\n" +
				"2   dash  read         all        0000-00-00 00:00 UTC  haloyadm (alice)  0000-00-00 00:00 UTC  never      active\n",
		},
		{
			name: "token_scoped", domain: "", args: []string{"api", "token", "--name", "ci-shop", "--scope", "deploy", "--app", "shop"},
			wantStdout: "<token>",
			wantStderr: "haloyadm: created token \"ci-shop\" (id 1), expires 0000-00-00 00:00 UTC, scopes deploy, apps shop; it is shown only this once\n" +
				"haloyadm: next, on your machine: haloy server add <api-domain> --token-stdin (then paste the token)\n",
		},
		{
			name: "token_bad_scope", domain: "", args: []string{"api", "token", "--scope", "deploy,write"}, wantCode: 2,
			wantStderr: "haloyadm: error: unknown scope \"write\"\n" +
				"haloyadm: the scopes are read (version, status, logs), deploy (deploy, plus read) and admin (the token API, plus everything)\n" +
				"haloyadm: hint: use --scope deploy, --scope read or --scope admin\n",
		},
		{
			name: "token_bad_app", domain: "", args: []string{"api", "token", "--scope", "deploy", "--app", "My App"}, wantCode: 2,
			wantStderr: "haloyadm: error: invalid app name \"My App\"\n" +
				"haloyadm: an app name is 1 to 255 lower-case letters, digits, '-' and '_', starting with a letter or digit\n" +
				"haloyadm: hint: name apps as in haloy.yaml: --app my-app, or --app a,b\n",
		},
		{
			name: "revoke_by_id", domain: "", setup: [][]string{{"api", "token", "--name", "ci"}}, args: []string{"api", "token", "revoke", "1"},
			wantStdout: "revoked token \"ci\" (id 1); the server refuses it from its next request\n",
		},
		{
			name: "revoke_twice", domain: "", setup: [][]string{{"api", "token", "--name", "ci"}, {"api", "token", "revoke", "ci"}}, args: []string{"api", "token", "revoke", "ci"},
			wantStdout: "token \"ci\" (id 1) was already revoked on 0000-00-00 00:00 UTC\n",
		},
		{
			name: "revoke_unknown", domain: "", setup: [][]string{{"api", "token", "--name", "ci"}, {"api", "token", "--name", "laptop"}},
			args: []string{"api", "token", "revoke", "cl"}, wantCode: 2,
			wantStderr: "haloyadm: error: unknown token \"cl\"\n" +
				"haloyadm: known tokens: ci, laptop\n" +
				"haloyadm: hint: did you mean \"ci\"? run 'haloyadm api token list' for ids and names\n",
		},
		{
			// issue 16: "did you mean" for a token name typed short
			name: "revoke_did_you_mean", domain: "", setup: [][]string{{"api", "token", "--name", "ci-production"}, {"api", "token", "--name", "laptop"}},
			args: []string{"api", "token", "revoke", "ci-prod"}, wantCode: 2,
			wantStderr: "haloyadm: error: unknown token \"ci-prod\"\n" +
				"haloyadm: known tokens: ci-production, laptop\n" +
				"haloyadm: hint: did you mean \"ci-production\"? run 'haloyadm api token list' for ids and names\n",
		},
		{
			name: "revoke_needs_arg", domain: "", args: []string{"api", "token", "revoke"}, wantCode: 2,
			wantStderr: "haloyadm: error: expected \"<id|name>\"\nhaloyadm: hint: run 'haloyadm api token revoke --help' for usage\n",
		},
		{
			name: "serve_cert_without_key", domain: "", args: []string{"serve", "--tls-cert", "/c.pem"}, wantCode: 2,
			wantStderr: "haloyadm: error: --tls-cert and --tls-key go together\n" +
				"haloyadm: a certificate needs its private key, and a key its certificate\n" +
				"haloyadm: hint: give both: haloyadm serve --tls-cert fullchain.pem --tls-key privkey.pem\n",
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			w := newAdminWorld(tt.domain)
			var toks []string
			for _, s := range tt.setup {
				code, out, errOut := w.run(t, s...)
				if code != 0 {
					t.Fatalf("setup haloyadm %q = %d\n%s", s, code, errOut)
				}
				toks = append(toks, strings.TrimSpace(out))
			}
			code, stdout, stderr := w.run(t, tt.args...)
			if tt.wantStdout == "<token>" {
				tok := strings.TrimSuffix(stdout, "\n")
				if !core.LooksLikeAPIToken(tok) || strings.Count(stdout, "\n") != 1 {
					t.Errorf("stdout = %q, want one token alone on a line", stdout)
				}
				toks = append(toks, tok)
				stdout = "<token>"
			}
			if code != tt.wantCode {
				t.Errorf("haloyadm %q exit = %d, want %d", tt.args, code, tt.wantCode)
			}
			if diff := cmp.Diff(tt.wantStdout, mask(stdout)); diff != "" {
				t.Errorf("haloyadm %q stdout mismatch (-want +got):\n%s", tt.args, diff)
			}
			if diff := cmp.Diff(tt.wantStderr, stderr); diff != "" {
				t.Errorf("haloyadm %q stderr mismatch (-want +got):\n%s", tt.args, diff)
			}
			for _, tok := range toks {
				if tok != "" && strings.Contains(stderr, tok) {
					t.Errorf("stderr shows a token")
				}
			}
		})
	}
}

func TestAdminListJSON(t *testing.T) {
	w := newAdminWorld("")
	w.run(t, "api", "token", "--name", "ci", "--expires", "1d")
	w.run(t, "api", "token", "--name", "laptop", "--expires", "never")
	w.run(t, "api", "token", "--name", "ci-shop", "--scope", "deploy", "--app", "shop", "--expires", "never")
	w.run(t, "api", "token", "revoke", "laptop")
	code, out, _ := w.run(t, "api", "token", "list", "--json")
	if code != 0 {
		t.Fatalf("list --json exit = %d", code)
	}
	var got []map[string]any
	if err := json.Unmarshal([]byte(out), &got); err != nil {
		t.Fatalf("list --json output %q: %v", out, err)
	}
	for _, g := range got {
		delete(g, "created_at")
		for _, k := range []string{"expires_at", "revoked_at"} {
			if g[k] != nil {
				g[k] = "set"
			}
		}
	}
	// who made each, and who revoked laptop (revoked_by absent while not revoked)
	want := []map[string]any{
		{"id": 1.0, "name": "ci", "expires_at": "set", "last_used_at": nil, "revoked_at": nil, "status": "active", "scopes": nil, "apps": nil,
			"created_by": "haloyadm (alice)"},
		{"id": 2.0, "name": "laptop", "expires_at": nil, "last_used_at": nil, "revoked_at": "set", "status": "revoked", "scopes": nil, "apps": nil,
			"created_by": "haloyadm (alice)", "revoked_by": "haloyadm (alice)"},
		{"id": 3.0, "name": "ci-shop", "expires_at": nil, "last_used_at": nil, "revoked_at": nil, "status": "active", "scopes": []any{"deploy"}, "apps": []any{"shop"},
			"created_by": "haloyadm (alice)"},
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("list --json mismatch (-want +got):\n%s", diff)
	}
	if strings.Contains(out, "hash") || strings.Contains(out, core.APITokenPrefix) {
		t.Errorf("list --json shows a hash or a token:\n%s", out)
	}
}

func TestAdminServeCLI(t *testing.T) {
	w := newAdminWorld("api.example.com")
	w.run(t, "api", "token", "--name", "ci")
	ctx, cancel := context.WithCancel(context.Background())
	var stdout, stderr bytes.Buffer
	done := make(chan int, 1)
	go func() {
		done <- run(ctx, []string{"haloyadm", "serve", "--listen", "127.0.0.1:0"}, strings.NewReader(""), &stdout, &stderr, w.wiring())
	}()
	select {
	case <-w.api.Up:
	case code := <-done:
		t.Fatalf("serve exited %d before serving: %s", code, stderr.String())
	case <-time.After(10 * time.Second):
		t.Fatal("serve did not start")
	}
	cancel() // what SIGINT and SIGTERM do in main
	if code := <-done; code != 0 {
		t.Errorf("serve exit = %d, want 0", code)
	}
	if want := "haloyadm: serving on http://127.0.0.1:9922\nhaloyadm: stopped\n"; stderr.String() != want {
		t.Errorf("serve stderr = %q, want %q", stderr.String(), want)
	}
	if diff := cmp.Diff([]core.ServeOptions{{Listen: "127.0.0.1:0", Version: version}}, w.api.Served); diff != "" {
		t.Errorf("serve options mismatch (-want +got):\n%s", diff)
	}
}

// A rotated-away token keeps its record and name, and the list says what
// became of it; revoking the name ends both.
func TestAdminListRotated(t *testing.T) {
	w := newAdminWorld("")
	w.run(t, "api", "token", "--name", "ci", "--scope", "deploy", "--app", "shop")
	list, _ := w.tokens.List(context.Background())
	now := time.Now()
	if _, err := w.tokens.Rotate(context.Background(), list[0].ID, core.NewTokenRecord{Hash: core.HashAPIToken("x"), CreatedAt: now, ExpiresAt: now.Add(time.Hour),
		CreatedBy: core.RotationActor(list[0].ID)}, now.Add(10*time.Minute)); err != nil {
		t.Fatal(err)
	}
	_, stdout, _ := w.run(t, "api", "token", "list")
	want := "ID  NAME  SCOPES  APPS  CREATED               CREATED BY                  EXPIRES               LAST USED  STATUS\n" +
		"1   ci    deploy  shop  0000-00-00 00:00 UTC  haloyadm (alice)            0000-00-00 00:00 UTC  never      rotated (replaced by id 2)\n" +
		"2   ci    deploy  shop  0000-00-00 00:00 UTC  rotation of id 1 by itself  0000-00-00 00:00 UTC  never      active\n"
	if diff := cmp.Diff(want, mask(stdout)); diff != "" {
		t.Errorf("list after a rotation mismatch (-want +got):\n%s", diff)
	}
	w.run(t, "api", "token", "revoke", "ci")
	_, stdout, _ = w.run(t, "api", "token", "list")
	if strings.Count(stdout, "revoked") != 2 {
		t.Errorf("list after revoking the name:\n%s\nwant both tokens revoked", stdout)
	}
}
