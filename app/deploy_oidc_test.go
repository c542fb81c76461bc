package app

import (
	"context"
	"slices"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/haloy-auth/haloy/adapters/memory"
	"github.com/haloy-auth/haloy/core"
)

// oidcWorld deploys my-app's production target with api_token.from.oidc.
func oidcWorld(src core.OIDCSource) *deployWorld {
	w := newDeployWorld()
	cfg := multiTargetConfig()
	prod := cfg.Targets["production"]
	prod.APIToken = &core.APITokenConfig{From: &core.ValueFrom{OIDC: &src}}
	cfg.Targets["production"] = prod
	w.configs["haloy.yaml"] = cfg
	w.api.Server("prod.haloy.com").Identities = map[string]string{"gh-job-jwt": "gh-my-org.my-app-main-run7.1-abc123"}
	return w
}

func TestDeployOIDCGitHub(t *testing.T) {
	w := oidcWorld(core.OIDCSource{Provider: "github"})
	w.ci.GitHubToken = "gh-job-jwt"
	uc, _ := w.deploy()
	var p progress
	res, err := uc.Run(context.Background(), DeployInput{Targets: []string{"production"}, Progress: p.add})
	if err != nil {
		t.Fatalf("Run() = %v", errLines(err))
	}
	if res.Targets[0].DeploymentID == "" {
		t.Fatalf("production not deployed: %+v", res.Targets[0])
	}
	// GitHub was asked for the server's audience
	if diff := cmp.Diff([]string{"haloy:prod.haloy.com"}, w.ci.Audiences()); diff != "" {
		t.Errorf("audiences asked mismatch (-want +got):\n%s", diff)
	}
	// the output says which identity was used, and which token it gave
	joined := strings.Join(p.lines, "\n")
	for _, want := range []string{
		"production: server prod.haloy.com (server: in haloy.yaml); token: OIDC (GitHub Actions)",
		`production: identity OIDC (GitHub Actions) (audience haloy:prod.haloy.com) exchanged at prod.haloy.com for token "gh-my-org.my-app-main-run7.1-abc123", valid until `,
		`token accepted ("gh-my-org.my-app-main-run7.1-abc123")`,
	} {
		if !strings.Contains(joined, want) {
			t.Errorf("progress lines:\n%s\nwant a line with %q", joined, want)
		}
	}
	// the minted token did the deploy, after one exchange with no API token
	calls := w.api.Calls("prod.haloy.com")
	methods := make([]string, len(calls))
	for i, c := range calls {
		methods[i] = c.Method
	}
	if diff := cmp.Diff([]string{"ExchangeOIDC", "Version", "Deploy", "DeployLog"}, methods); diff != "" {
		t.Errorf("calls to prod mismatch (-want +got):\n%s", diff)
	}
	if calls[0].Token != "" || !strings.HasPrefix(calls[2].Token.Reveal(), "haloy_memoryMinted") {
		t.Errorf("exchange sent token %q, deploy used %q; want none, then the minted one", calls[0].Token, calls[2].Token)
	}
	if recs := w.api.Deployments("prod.haloy.com"); len(recs) != 1 || recs[0].TokenName != "gh-my-org.my-app-main-run7.1-abc123" {
		t.Errorf("recorded deployments = %+v, want one by the minted token", recs)
	}
}

func TestDeployOIDCFailures(t *testing.T) {
	tests := []struct {
		name  string
		src   core.OIDCSource
		setup func(w *deployWorld)
		want  []string
	}{
		{name: "outside_ci", src: core.OIDCSource{Provider: "github"}, want: []string{
			`target "production": no GitHub Actions identity token: ACTIONS_ID_TOKEN_REQUEST_URL is not set: this is not a GitHub Actions job, or the job lacks the id-token permission|ACTIONS_ID_TOKEN_REQUEST_URL is not set: this is not a GitHub Actions job, or the job lacks the id-token permission|run it in a job with 'permissions: id-token: write', or use a stored token (api_token.from.env)`,
			"nothing was deployed||",
		}},
		{name: "refused_by_server", src: core.OIDCSource{Provider: "github"},
			setup: func(w *deployWorld) { w.ci.GitHubToken = "a-job-the-server-does-not-trust" },
			want: []string{
				`target "production": server "prod.haloy.com" refused the CI identity token: no trust policy there accepts it, or it was replayed or too old; haloyadm serve's log on the server says which rule failed|no trust policy there accepts it, or it was replayed or too old; haloyadm serve's log on the server says which rule failed|on the server: haloyadm trust list (repository, ref, environment, audience haloy:prod.haloy.com by default); see docs/ci.md`,
				"nothing was deployed||",
			}},
		{name: "gitlab_env_unset", src: core.OIDCSource{Env: "HALOY_ID_TOKEN"}, want: []string{
			`target "production": no OIDC identity token in HALOY_ID_TOKEN: HALOY_ID_TOKEN is not set: this is not a CI job that provides one|HALOY_ID_TOKEN is not set: this is not a CI job that provides one|in .gitlab-ci.yml give the job 'id_tokens: HALOY_ID_TOKEN: aud: haloy:prod.haloy.com', or use a stored token (api_token.from.env)`,
			"nothing was deployed||",
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			w := oidcWorld(tt.src)
			if tt.setup != nil {
				tt.setup(w)
			}
			uc, _ := w.deploy()
			_, err := uc.Run(context.Background(), DeployInput{Targets: []string{"production"}})
			if diff := cmp.Diff(tt.want, errLines(err)); diff != "" {
				t.Errorf("Run() error mismatch (-want +got):\n%s", diff)
			}
			if slices.ContainsFunc(w.api.Calls("prod.haloy.com"), func(c memory.Call) bool { return c.Method == "Deploy" }) {
				t.Errorf("a deployment was sent")
			}
		})
	}
}

// haloy status in the same job exchanges a fresh identity too, instead of
// sending no token.
func TestStatusOIDCGitHub(t *testing.T) {
	w := oidcWorld(core.OIDCSource{Provider: "github"})
	w.ci.GitHubToken = "gh-job-jwt"
	r, store := w.resolve(&memory.Notes{})
	got, err := NewStatus(r, store, w.api, w.ci, &memory.Notes{}).Run(context.Background(), StatusInput{Targets: []string{"production"}})
	if err != nil || len(got) != 1 || got[0].Err != nil {
		t.Fatalf("Status.Run() = %+v, %v", got, err)
	}
	calls := w.api.Calls("prod.haloy.com")
	if len(calls) != 2 || calls[0].Method != "ExchangeOIDC" || calls[1].Method != "Status" || !strings.HasPrefix(calls[1].Token.Reveal(), "haloy_memoryMinted") {
		t.Errorf("calls to prod = %+v, want an exchange then status with the minted token", calls)
	}
}
