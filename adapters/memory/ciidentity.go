package memory

import (
	"context"
	"sync"

	"github.com/haloy-auth/haloy/core"
	"github.com/haloy-auth/haloy/ports"
)

var _ ports.CIIdentity = (*CIIdentity)(nil)

// CIIdentity is the twin of a CI job's identity: GitHub hands out
// GitHubToken (empty: not a GitHub Actions job), and Env holds the job's
// variables.
type CIIdentity struct {
	GitHubToken string
	Env         map[string]string

	mu        sync.Mutex
	audiences []string
}

// IdentityToken implements ports.CIIdentity, with the real one's errors.
func (c *CIIdentity) IdentityToken(_ context.Context, src core.OIDCSource, audience string) (core.Secret, error) {
	if !src.GitHub() {
		v := c.Env[src.Env]
		if v == "" {
			return "", &core.Error{Kind: core.Missing, What: "no OIDC identity token in " + src.Env,
				Why: src.Env + " is not set: this is not a CI job that provides one",
				Fix: "in .gitlab-ci.yml give the job 'id_tokens: " + src.Env + ": aud: " + audience + "', or use a stored token (api_token.from.env)"}
		}
		return core.Secret(v), nil
	}
	if c.GitHubToken == "" {
		return "", &core.Error{Kind: core.Missing, What: "no GitHub Actions identity token",
			Why: core.GitHubTokenURLEnv + " is not set: this is not a GitHub Actions job, or the job lacks the id-token permission",
			Fix: "run it in a job with 'permissions: id-token: write', or use a stored token (api_token.from.env)"}
	}
	c.mu.Lock()
	c.audiences = append(c.audiences, audience)
	c.mu.Unlock()
	return core.Secret(c.GitHubToken), nil
}

// Audiences returns the audiences GitHub was asked for.
func (c *CIIdentity) Audiences() []string {
	c.mu.Lock()
	defer c.mu.Unlock()
	return append([]string(nil), c.audiences...)
}
