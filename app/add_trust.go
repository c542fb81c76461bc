package app

import (
	"context"
	"strconv"
	"strings"
	"time"

	"github.com/haloy-auth/haloy/core"
	"github.com/haloy-auth/haloy/ports"
)

// AddTrust is `haloyadm trust add github|gitlab|oidc`: a policy that lets
// matching CI jobs trade their identity token for a short-lived token.
type AddTrust struct {
	config ports.ServerConfig
	trust  ports.TrustStore
	now    func() time.Time
}

// NewAddTrust returns the use case.
func NewAddTrust(config ports.ServerConfig, trust ports.TrustStore) *AddTrust {
	return &AddTrust{config: config, trust: trust, now: time.Now}
}

// AddTrustInput is what `haloyadm trust add` was given.
type AddTrustInput struct {
	Provider core.TrustProvider
	// Issuer is empty for GitHub (GitHub Actions' issuer) and GitLab
	// (https://gitlab.com).
	Issuer      string
	Repository  string // --repository (GitHub) or --project (GitLab)
	Ref         string
	Environment string
	Workflow    string
	Claims      []string // NAME=VALUE
	Audience    string
	// RepositoryID and OwnerID pin the numeric ids now; empty records them
	// at the first accepted exchange.
	RepositoryID string
	OwnerID      string
	Apps         []string
	Scopes       []string // default: deploy
	TTL          string   // default: 15m
}

// AddedTrust is a policy just added, with the audience CI jobs must ask for.
type AddedTrust struct {
	Policy   core.TrustPolicy
	Audience string
}

// GitLabIssuer is GitLab.com's issuer, the default of 'trust add gitlab'.
const GitLabIssuer = "https://gitlab.com"

// Run checks the policy and records it. Returns a *core.Error of Kind
// Missing if haloyadm is not initialized, and of Kind Invalid for a bad
// policy (checked before anything is written).
func (uc *AddTrust) Run(ctx context.Context, in AddTrustInput) (AddedTrust, error) {
	p := core.TrustPolicy{Provider: in.Provider, Issuer: in.Issuer, Audience: in.Audience, Repository: in.Repository,
		Ref: in.Ref, Environment: in.Environment, Workflow: in.Workflow, RepositoryID: in.RepositoryID, OwnerID: in.OwnerID}
	if p.Issuer == "" {
		switch p.Provider {
		case core.TrustGitHub:
			p.Issuer = core.GitHubIssuer
		case core.TrustGitLab:
			p.Issuer = GitLabIssuer
		}
	}
	for _, c := range in.Claims {
		k, v, ok := strings.Cut(c, "=")
		if !ok || k == "" || v == "" {
			return AddedTrust{}, &core.Error{Kind: core.Invalid, What: "invalid --claim " + strconv.Quote(c),
				Why: "a claim condition is NAME=VALUE", Fix: "--claim sub=repo:acme/web:ref:refs/heads/main"}
		}
		if p.Claims == nil {
			p.Claims = map[string]string{}
		}
		p.Claims[k] = v
	}
	var err error
	if len(in.Apps) > 0 {
		if p.Apps, err = core.ParseTokenApps(in.Apps); err != nil {
			return AddedTrust{}, err
		}
	}
	scopes := in.Scopes
	if len(scopes) == 0 {
		scopes = []string{string(core.DefaultTrustScope)}
	}
	if p.Scopes, err = core.ParseScopes(scopes); err != nil {
		return AddedTrust{}, err
	}
	if p.TTL, err = core.ParseTrustTTL(in.TTL); err != nil {
		return AddedTrust{}, err
	}
	if err := p.Validate(); err != nil {
		return AddedTrust{}, err
	}
	settings, err := uc.config.Load(ctx)
	if err != nil {
		return AddedTrust{}, err
	}
	p.CreatedAt = uc.now()
	added, err := uc.trust.AddPolicy(ctx, p)
	if err != nil {
		return AddedTrust{}, err
	}
	return AddedTrust{Policy: added, Audience: added.EffectiveAudience(core.DefaultAudience(settings.APIDomain, "<listen address>"))}, nil
}
