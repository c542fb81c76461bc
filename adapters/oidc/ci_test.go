package oidc_test

import (
	"context"
	"errors"
	"slices"
	"testing"

	"github.com/haloy-auth/haloy/adapters/memory"
	"github.com/haloy-auth/haloy/adapters/oidc"
	"github.com/haloy-auth/haloy/adapters/porttest"
	"github.com/haloy-auth/haloy/core"
	"github.com/haloy-auth/haloy/internal/oidctest"
	"github.com/haloy-auth/haloy/ports"
)

func githubJobEnv(gh *oidctest.GitHub, more map[string]string) memory.Env {
	env := memory.Env{core.GitHubTokenURLEnv: gh.URL, core.GitHubTokenRequestEnv: gh.RequestToken}
	for k, v := range more {
		env[k] = v
	}
	return env
}

func TestCIContract(t *testing.T) {
	porttest.CIIdentity(t, func(t *testing.T, job porttest.CIJob) (ports.CIIdentity, func(string) string) {
		env := memory.Env{}
		for k, v := range job.Env {
			env[k] = v
		}
		var gh *oidctest.GitHub
		if job.InGitHub {
			gh = oidctest.NewGitHub(oidctest.NewIssuer(t))
			env = githubJobEnv(gh, job.Env)
		}
		return oidc.NewCI(env), func(aud string) string {
			issued := gh.Issued()
			if len(issued) == 0 || !slices.Equal(gh.Audiences(), []string{aud}) {
				return "<no token issued for " + aud + ">"
			}
			return issued[len(issued)-1]
		}
	})
}

func TestCIGitHub(t *testing.T) {
	ctx := context.Background()
	gh := oidctest.NewGitHub(oidctest.NewIssuer(t))
	t.Run("wrong_request_token", func(t *testing.T) {
		env := githubJobEnv(gh, nil)
		env[core.GitHubTokenRequestEnv] = "wrong"
		_, err := oidc.NewCI(env).IdentityToken(ctx, core.OIDCSource{Provider: "github"}, "haloy:x")
		var ce *core.Error
		if !errors.As(err, &ce) || ce.Kind != core.Unavailable || ce.Why != "the token endpoint answered 401 Unauthorized" {
			t.Errorf("IdentityToken() = %#v, want Unavailable with the status", err)
		}
	})
	t.Run("plain_http_to_a_remote_host", func(t *testing.T) {
		// the request token must not cross a network in clear
		env := githubJobEnv(gh, nil)
		env[core.GitHubTokenURLEnv] = "http://actions.example.com/idtoken?api-version=2.0"
		_, err := oidc.NewCI(env).IdentityToken(ctx, core.OIDCSource{Provider: "github"}, "haloy:x")
		var ce *core.Error
		if !errors.As(err, &ce) || ce.Kind != core.Unsafe {
			t.Errorf("IdentityToken() = %#v, want Unsafe", err)
		}
	})
}
