package porttest

import (
	"context"
	"strings"
	"testing"

	"github.com/haloy-auth/haloy/core"
	"github.com/haloy-auth/haloy/ports"
)

// CIJob describes the CI job a CIIdentity under test runs in.
type CIJob struct {
	InGitHub bool              // a GitHub Actions job with id-token: write
	Env      map[string]string // other variables
}

// CIIdentity runs the contract of ports.CIIdentity. open returns the
// identity of job and, for a GitHub job, the token GitHub hands out for
// audience (how the test knows it).
func CIIdentity(t *testing.T, open func(t *testing.T, job CIJob) (ports.CIIdentity, func(audience string) string)) {
	ctx := context.Background()
	const aud = "haloy:api.example.com"
	t.Run("github_in_job", func(t *testing.T) {
		ci, want := open(t, CIJob{InGitHub: true})
		got, err := ci.IdentityToken(ctx, core.OIDCSource{Provider: "github"}, aud)
		if err != nil {
			t.Fatal(err)
		}
		if got.Reveal() != want(aud) {
			t.Errorf("IdentityToken() is not the token GitHub handed out for %s", aud)
		}
	})
	t.Run("github_outside_ci", func(t *testing.T) {
		ci, _ := open(t, CIJob{})
		_, err := ci.IdentityToken(ctx, core.OIDCSource{Provider: "github"}, aud)
		ce := wantKind(t, "IdentityToken()", err, core.Missing)
		if !strings.Contains(ce.Fix, "id-token: write") || !strings.Contains(ce.Fix, "stored token") {
			t.Errorf("IdentityToken() fix = %q, want the job permission and the stored-token alternative", ce.Fix)
		}
	})
	t.Run("env_set", func(t *testing.T) {
		ci, _ := open(t, CIJob{Env: map[string]string{"GITLAB_OIDC_TOKEN": "eyJ.a.b"}})
		got, err := ci.IdentityToken(ctx, core.OIDCSource{Env: "GITLAB_OIDC_TOKEN"}, aud)
		if err != nil || got.Reveal() != "eyJ.a.b" {
			t.Errorf("IdentityToken() = %v, %v; want the variable's value", got, err)
		}
	})
	t.Run("env_unset", func(t *testing.T) {
		ci, _ := open(t, CIJob{})
		_, err := ci.IdentityToken(ctx, core.OIDCSource{Env: "GITLAB_OIDC_TOKEN"}, aud)
		ce := wantKind(t, "IdentityToken()", err, core.Missing)
		if !strings.Contains(ce.Fix, "id_tokens") {
			t.Errorf("IdentityToken() fix = %q, want GitLab's id_tokens", ce.Fix)
		}
	})
}
