package main

import (
	"bytes"
	"context"
	"encoding/json"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	"go.uber.org/fx"

	"github.com/haloy-auth/haloy/adapters/memory"
	"github.com/haloy-auth/haloy/app"
	"github.com/haloy-auth/haloy/ports"
)

type trustWorld struct {
	*adminWorld
	trust *memory.Trust
}

func newTrustWorld(domain string) *trustWorld {
	return &trustWorld{adminWorld: newAdminWorld(domain), trust: &memory.Trust{}}
}

func (w *trustWorld) run(t *testing.T, args ...string) (int, string, string) {
	t.Helper()
	wiring := &app.Wiring{Adapters: fx.Options(w.adminWorld.wiring().Adapters,
		fx.Supply(fx.Annotate(w.trust, fx.As(new(ports.TrustStore)))))}
	var stdout, stderr bytes.Buffer
	code := run(context.Background(), append([]string{"/usr/local/bin/haloyadm"}, args...), strings.NewReader(""), &stdout, &stderr, wiring)
	return code, mask(stdout.String()), mask(stderr.String())
}

func TestTrustCLI(t *testing.T) {
	tests := []struct {
		name       string
		domain     string
		setup      [][]string
		args       []string
		wantCode   int
		wantStdout string
		wantStderr string
	}{
		{
			name: "add_github", domain: "api.example.com",
			args: []string{"trust", "add", "github", "--repository", "acme/web", "--ref", "refs/heads/main", "--environment", "production",
				"--workflow", ".github/workflows/deploy.yml", "--app", "web,api"},
			wantStdout: "added trust policy 1: GitHub Actions acme/web, ref refs/heads/main, environment production, workflow .github/workflows/deploy.yml; tokens for apps api,web, scopes deploy, living 15m\n",
			wantStderr: "haloyadm: jobs must ask for audience haloy:api.example.com (docs/ci.md)\n" +
				"haloyadm: the numeric repository and owner ids are recorded at the first accepted exchange; 'haloyadm trust list' shows them\n",
		},
		{
			name: "add_gitlab_pinned", domain: "api.example.com",
			args: []string{"trust", "add", "gitlab", "--issuer", "https://gitlab.example.com", "--project", "acme/team/web",
				"--project-id", "12", "--namespace-id", "3", "--app", "web", "--scope", "read", "--ttl", "1h"},
			wantStdout: "added trust policy 1: GitLab CI acme/team/web, issuer https://gitlab.example.com; tokens for apps web, scopes read, living 1h\n",
			wantStderr: "haloyadm: jobs must ask for audience haloy:api.example.com (docs/ci.md)\n",
		},
		{
			name: "add_oidc_without_domain", domain: "",
			args:       []string{"trust", "add", "oidc", "--issuer", "https://ci.example.com", "--claim", "sub=deployer", "--app", "web", "--audience", "deploy-prod"},
			wantStdout: "added trust policy 1: OIDC https://ci.example.com, sub=deployer, audience deploy-prod; tokens for apps web, scopes deploy, living 15m\n",
			wantStderr: "haloyadm: jobs must ask for audience deploy-prod (docs/ci.md)\n",
		},
		{
			name: "github_owner_audience_refused", domain: "api.example.com",
			args:     []string{"trust", "add", "github", "--repository", "acme/web", "--app", "web", "--audience", "https://github.com/acme"},
			wantCode: 2,
			wantStderr: "haloyadm: error: audience \"https://github.com/acme\" is refused\n" +
				"haloyadm: it is GitHub's default audience, which every workflow of the owner gets without asking for this server\n" +
				"haloyadm: hint: leave --audience out (the default is haloy:<api domain>) or use one that names this server\n",
		},
		{
			name: "admin_scope_refused", domain: "api.example.com",
			args:     []string{"trust", "add", "github", "--repository", "acme/web", "--app", "web", "--scope", "admin"},
			wantCode: 2,
			wantStderr: "haloyadm: error: a trust policy cannot grant the admin scope\n" +
				"haloyadm: a CI job's token should deploy, not manage the server's tokens\n" +
				"haloyadm: hint: --scope deploy (the default) or --scope read\n",
		},
		{
			name: "http_issuer_refused", domain: "api.example.com",
			args:     []string{"trust", "add", "gitlab", "--issuer", "http://gitlab.example.com", "--project", "a/b", "--app", "web"},
			wantCode: 2,
			wantStderr: "haloyadm: error: invalid issuer \"http://gitlab.example.com\"\n" +
				"haloyadm: an issuer is an https URL with a host and no query (discovery and keys are fetched only over HTTPS)\n" +
				"haloyadm: hint: --issuer https://gitlab.example.com\n",
		},
		{
			name: "not_initialized", domain: "-",
			args:     []string{"trust", "add", "github", "--repository", "acme/web", "--app", "web"},
			wantCode: 2,
			wantStderr: "haloyadm: error: haloyadm is not initialized on this server\n" +
				"haloyadm: there is no config file \"/etc/haloy/haloyadm.yaml\"\n" +
				"haloyadm: hint: sudo haloyadm init --api-domain <api-domain>\n",
		},
		{
			name: "list", domain: "api.example.com",
			setup: [][]string{
				{"trust", "add", "github", "--repository", "acme/web", "--ref", "refs/heads/main", "--app", "web"},
				{"trust", "add", "gitlab", "--project", "acme/api", "--project-id", "12", "--app", "api", "--ttl", "30m"},
			},
			args: []string{"trust", "list"},
			wantStdout: "ID  PROVIDER  TRUSTS    CONDITIONS           PINNED IDS       APPS  SCOPES  TTL  CREATED\n" +
				"1   github    acme/web  ref refs/heads/main  pending/pending  web   deploy  15m  0000-00-00 00:00 UTC\n" +
				"2   gitlab    acme/api  -                    12/pending       api   deploy  30m  0000-00-00 00:00 UTC\n",
			wantStderr: "haloyadm: jobs must ask for audience haloy:api.example.com unless a policy names its own\n",
		},
		{
			name: "list_empty", domain: "api.example.com", args: []string{"trust", "list"},
			wantStderr: "haloyadm: no trust policies; add one with: haloyadm trust add github --repository OWNER/NAME --app APP\n",
		},
		{
			name: "remove", domain: "api.example.com",
			setup:      [][]string{{"trust", "add", "github", "--repository", "acme/web", "--app", "web"}},
			args:       []string{"trust", "remove", "1"},
			wantStdout: "removed trust policy 1 (GitHub Actions acme/web); the next exchange no longer sees it\n",
			wantStderr: "haloyadm: tokens it minted live at most 15m more; revoke one at once with: haloyadm api token revoke <name>\n",
		},
		{
			name: "remove_unknown", domain: "api.example.com", args: []string{"trust", "remove", "4"},
			wantCode: 2,
			wantStderr: "haloyadm: error: unknown trust policy 4\n" +
				"haloyadm: there are no trust policies\n" +
				"haloyadm: hint: run 'haloyadm trust list' for ids\n",
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			w := newTrustWorld(tt.domain)
			for _, args := range tt.setup {
				if code, _, stderr := w.run(t, args...); code != 0 {
					t.Fatalf("setup %v: exit %d, %s", args, code, stderr)
				}
			}
			code, stdout, stderr := w.run(t, tt.args...)
			if code != tt.wantCode {
				t.Errorf("exit code = %d, want %d (stderr %q)", code, tt.wantCode, stderr)
			}
			if diff := cmp.Diff(tt.wantStdout, stdout); diff != "" {
				t.Errorf("stdout mismatch (-want +got):\n%s", diff)
			}
			if diff := cmp.Diff(tt.wantStderr, stderr); diff != "" {
				t.Errorf("stderr mismatch (-want +got):\n%s", diff)
			}
		})
	}
}

func TestTrustListJSON(t *testing.T) {
	w := newTrustWorld("api.example.com")
	w.run(t, "trust", "add", "github", "--repository", "acme/web", "--repository-id", "4242", "--app", "web")
	code, stdout, _ := w.run(t, "trust", "list", "--json")
	if code != 0 {
		t.Fatalf("exit %d", code)
	}
	var got []map[string]any
	if err := json.Unmarshal([]byte(stdout), &got); err != nil {
		t.Fatal(err)
	}
	delete(got[0], "created_at")
	want := []map[string]any{{"id": 1.0, "provider": "github", "issuer": "https://token.actions.githubusercontent.com",
		"audience": "haloy:api.example.com", "repository": "acme/web", "repository_id": "4242", "owner_id": nil,
		"apps": []any{"web"}, "scopes": []any{"deploy"}, "ttl_seconds": 900.0}}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("trust list --json mismatch (-want +got):\n%s", diff)
	}
}
