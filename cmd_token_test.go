package main

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/haloy-auth/haloy/core"
)

func (w *netWorld) stored(t *testing.T, name string) string {
	t.Helper()
	st, err := w.client.Load(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	return st.Tokens[name]
}

func TestServerRotateCLI(t *testing.T) {
	w := newNetWorld()
	code, stdout, stderr := w.run(t, "", "server", "rotate", "--all")
	want := `rotated the token of prod.haloy.com ("prod-ci", in HALOY_API_TOKEN_PROD_HALOY_COM, never expires); the old one is revoked
rotated the token of staging.haloy.com ("staging-ci", in HALOY_API_TOKEN_STAGING_HALOY_COM, never expires); the old one is revoked
`
	if code != 0 || stderr != "" {
		t.Errorf("rotate --all: code %d, stderr %q; want 0, none", code, stderr)
	}
	if diff := cmp.Diff(want, stdout); diff != "" {
		t.Errorf("rotate --all stdout mismatch (-want +got):\n%s", diff)
	}
	for _, s := range []struct{ server, env, old string }{
		{"prod.haloy.com", "HALOY_API_TOKEN_PROD_HALOY_COM", netProdToken},
		{"staging.haloy.com", "HALOY_API_TOKEN_STAGING_HALOY_COM", netStagingToken},
	} {
		now := w.stored(t, s.env)
		if now == s.old || !core.LooksLikeAPIToken(now) {
			t.Errorf("%s after rotate holds the old token or none", s.env)
		}
		if strings.Contains(stdout+stderr, now) {
			t.Errorf("rotate printed the new token")
		}
		toks := w.api.Server(s.server).Tokens
		if _, ok := toks[s.old]; ok {
			t.Errorf("%s still accepts the old token", s.server)
		}
		if _, ok := toks[now]; !ok {
			t.Errorf("%s does not accept the stored token", s.server)
		}
	}
}

func TestServerRotateRefusesForeignTokens(t *testing.T) {
	w := newNetWorld()
	w.env["HALOY_API_TOKEN_PROD_HALOY_COM"] = netProdToken
	code, stdout, stderr := w.run(t, "", "server", "rotate", "prod.haloy.com")
	want := `haloy: error: cannot rotate the token of "prod.haloy.com"
haloy: its token comes from the environment variable HALOY_API_TOKEN_PROD_HALOY_COM, which haloy does not keep and which overrides the config directory's .env
haloy: hint: on the server: sudo haloyadm api token, then put the new token in HALOY_API_TOKEN_PROD_HALOY_COM where it is set; or unset HALOY_API_TOKEN_PROD_HALOY_COM to use the stored token
`
	if code != 2 || stdout != "" {
		t.Errorf("rotate of an env token: code %d, stdout %q; want 2, none", code, stdout)
	}
	if diff := cmp.Diff(want, stderr); diff != "" {
		t.Errorf("rotate of an env token stderr mismatch (-want +got):\n%s", diff)
	}
	if len(w.api.Calls("prod.haloy.com")) != 0 {
		t.Errorf("rotate of an env token called the server: %v", w.api.Calls("prod.haloy.com"))
	}
	if code, _, stderr := w.run(t, "", "server", "rotate"); code != 2 || !strings.Contains(stderr, "no server given") {
		t.Errorf("rotate without a server = %d %q", code, stderr)
	}
}

func TestServerDeleteRevoke(t *testing.T) {
	w := newNetWorld()
	code, stdout, stderr := w.run(t, "", "server", "delete", "staging.haloy.com", "--revoke")
	if code != 0 || stderr != "haloy: revoked token \"staging-ci\" on staging.haloy.com\n" || !strings.HasPrefix(stdout, "deleted staging.haloy.com") {
		t.Errorf("delete --revoke = %d %q %q", code, stdout, stderr)
	}
	if _, ok := w.api.Server("staging.haloy.com").Tokens[netStagingToken]; ok {
		t.Errorf("the server still accepts the deleted server's token")
	}
	// a failed revoke deletes nothing
	w.api.Revoke("prod.haloy.com", netProdToken)
	code, _, stderr = w.run(t, "", "server", "delete", "prod.haloy.com", "--revoke")
	if code != 3 || w.stored(t, "HALOY_API_TOKEN_PROD_HALOY_COM") != netProdToken {
		t.Errorf("delete --revoke with a rejected token = %d %q, want 3 and the server kept", code, stderr)
	}
}

func TestTokenCLI(t *testing.T) {
	w := newNetWorld()
	code, stdout, stderr := w.run(t, "", "token", "create", "--server", "prod.haloy.com", "--name", "ci-shop", "--scope", "deploy", "--app", "shop")
	tok := strings.TrimSuffix(stdout, "\n")
	if code != 0 || !core.LooksLikeAPIToken(tok) || strings.Count(stdout, "\n") != 1 {
		t.Fatalf("token create = %d, stdout %q; want the token alone", code, stdout)
	}
	if want := "haloy: created token \"ci-shop\" (id 0) on prod.haloy.com, expires never, scopes deploy, apps shop; it is shown only this once\n"; stderr != want {
		t.Errorf("token create stderr = %q, want %q", stderr, want)
	}
	if strings.Contains(stderr, tok) {
		t.Errorf("token create shows the token on stderr")
	}
	code, stdout, _ = w.run(t, "", "token", "list", "-s", "prod.haloy.com")
	if code != 0 || !strings.Contains(stdout, "ci-shop") || strings.Contains(stdout, tok) {
		t.Errorf("token list = %d %q", code, stdout)
	}
	code, stdout, _ = w.run(t, "", "token", "revoke", "-s", "prod.haloy.com", "ci-shop")
	if code != 0 || stdout != "revoked token \"ci-shop\" (id 0) on prod.haloy.com; the server refuses it from its next request\n" {
		t.Errorf("token revoke = %d %q", code, stdout)
	}
	// bad flags are refused before any call, with haloyadm's messages
	code, _, stderr = w.run(t, "", "token", "create", "-s", "prod.haloy.com", "--scope", "write")
	if code != 2 || !strings.HasPrefix(stderr, "haloy: error: unknown scope \"write\"\n") {
		t.Errorf("token create --scope write = %d %q", code, stderr)
	}
	if code, _, stderr := w.run(t, "", "token", "list"); code != 2 || !strings.Contains(stderr, "--server") {
		t.Errorf("token list without --server = %d %q", code, stderr)
	}
}

// Exactly one expiry warning per server per command, with the fix where
// the token lives; --quiet and HALOY_NO_EXPIRY_WARNING=1 silence it.
func TestExpiryWarningsCLI(t *testing.T) {
	soon := time.Now().Add(3*24*time.Hour + time.Hour)
	tests := []struct {
		name  string
		args  []string
		env   string
		wants []string
	}{
		{"deploy_two_targets_one_server", []string{"deploy", "-c", "bluegreen.haloy.yaml", "-a"}, "",
			[]string{`haloy: warning: token "prod-ci" for prod.haloy.com expires in 3 days (` + soon.UTC().Format(time.DateOnly) + `); replace it: haloy server rotate prod.haloy.com`}},
		{"status_from_env", []string{"status", "-a"}, "",
			[]string{`haloy: warning: the token for prod.haloy.com expires in 3 days (` + soon.UTC().Format(time.DateOnly) + `); on the server: sudo haloyadm api token, then: export PROD_TOKEN=<new-token>, or put PROD_TOKEN=<new-token> in .env beside haloy.yaml`}},
		{"version", []string{"server", "version", "-s", "prod.haloy.com"}, "",
			[]string{`haloy: warning: token "prod-ci" for prod.haloy.com expires in 3 days (` + soon.UTC().Format(time.DateOnly) + `); replace it: haloy server rotate prod.haloy.com`}},
		{"check", []string{"server", "check"}, "",
			[]string{`haloy: warning: token "prod-ci" for prod.haloy.com expires in 3 days (` + soon.UTC().Format(time.DateOnly) + `); replace it: haloy server rotate prod.haloy.com`}},
		{"deploy_quiet", []string{"deploy", "-c", "bluegreen.haloy.yaml", "-a", "--quiet"}, "", nil},
		{"status_quiet", []string{"status", "-a", "-q"}, "", nil},
		{"version_env", []string{"server", "version", "-s", "prod.haloy.com"}, "1", nil},
		{"check_quiet", []string{"server", "check", "--quiet"}, "", nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			w := newNetWorld()
			w.api.Server("prod.haloy.com").TokenExpiresAt = &soon
			if code, _, stderr := w.run(t, "", "deploy", "-a", "-q"); code != 0 {
				t.Fatalf("deploy: %d %s", code, stderr)
			}
			if tt.env != "" {
				w.env["HALOY_NO_EXPIRY_WARNING"] = tt.env
			}
			_, _, stderr := w.run(t, "", tt.args...)
			var got []string
			for _, l := range strings.Split(stderr, "\n") {
				if strings.Contains(l, "expires in") {
					got = append(got, l)
				}
			}
			if diff := cmp.Diff(tt.wants, got); diff != "" {
				t.Errorf("haloy %q expiry warnings mismatch (-want +got):\n%s", tt.args, diff)
			}
		})
	}
}
