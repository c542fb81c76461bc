package main

import (
	"context"
	"encoding/json"
	"fmt"
	"slices"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/haloy-auth/haloy/app"
	"github.com/haloy-auth/haloy/core"
)

// AdminTrustCmd groups `haloyadm trust ...`: which CI jobs may trade their
// OIDC identity token for a short-lived API token (docs/ci.md).
type AdminTrustCmd struct {
	Add    AdminTrustAddCmd    `cmd:"" help:"Trust the identity tokens of a GitHub Actions, GitLab CI or other OIDC job."`
	List   AdminTrustListCmd   `cmd:"" help:"List trust policies: id, provider, issuer, conditions, pinned ids, apps, scopes and token lifetime."`
	Remove AdminTrustRemoveCmd `cmd:"" help:"Remove a trust policy; the next exchange no longer sees it."`
}

// AdminTrustAddCmd groups `haloyadm trust add github|gitlab|oidc`.
type AdminTrustAddCmd struct {
	GitHub AdminTrustGitHubCmd `cmd:"" name:"github" help:"Trust GitHub Actions jobs of one repository."`
	GitLab AdminTrustGitLabCmd `cmd:"" name:"gitlab" help:"Trust GitLab CI jobs of one project."`
	OIDC   AdminTrustOIDCCmd   `cmd:"" name:"oidc" help:"Trust another OIDC issuer's tokens whose claims match."`
}

// trustGrantFlags are the flags every `trust add` shares: what a minted
// token may do, and for how long.
type trustGrantFlags struct {
	App      []string `required:"" placeholder:"APP" help:"Apps a minted token may deploy and read, comma-separated or repeated."`
	Scope    []string `placeholder:"SCOPE" help:"What a minted token may do: deploy (the default; plus read) or read."`
	TTL      string   `name:"ttl" placeholder:"DURATION" default:"15m" help:"Lifetime of a minted token, from 1s to 1h."`
	Audience string   `placeholder:"AUD" help:"Audience the job must ask for; default haloy:<api domain> (haloyadm init --api-domain)."`
}

// AdminTrustGitHubCmd is `haloyadm trust add github --repository OWNER/NAME ...`.
type AdminTrustGitHubCmd struct {
	Repository   string `required:"" placeholder:"OWNER/NAME" help:"The repository whose workflows may deploy."`
	Ref          string `placeholder:"REF" help:"Only this ref, e.g. refs/heads/main or refs/tags/v1.0.0."`
	Environment  string `placeholder:"NAME" help:"Only jobs in this GitHub environment, e.g. production."`
	Workflow     string `placeholder:"PATH" help:"Only this workflow file, e.g. .github/workflows/deploy.yml."`
	RepositoryID string `name:"repository-id" placeholder:"ID" help:"The repository's numeric id; default: recorded at the first exchange."`
	OwnerID      string `name:"owner-id" placeholder:"ID" help:"The owner's numeric id; default: recorded at the first exchange."`
	Issuer       string `placeholder:"URL" help:"Testing aid: an issuer other than GitHub's (https://token.actions.githubusercontent.com)."`
	trustGrantFlags
}

// Run adds the policy.
func (c *AdminTrustGitHubCmd) Run(rt *runtime) error {
	return addTrust(rt, app.AddTrustInput{Provider: core.TrustGitHub, Issuer: c.Issuer, Repository: c.Repository, Ref: c.Ref,
		Environment: c.Environment, Workflow: c.Workflow, RepositoryID: c.RepositoryID, OwnerID: c.OwnerID}, c.trustGrantFlags)
}

// AdminTrustGitLabCmd is `haloyadm trust add gitlab --project GROUP/PROJECT ...`.
type AdminTrustGitLabCmd struct {
	Issuer      string `placeholder:"URL" default:"https://gitlab.com" help:"The GitLab instance, e.g. https://gitlab.example.com."`
	Project     string `required:"" placeholder:"GROUP/PROJECT" help:"The project whose pipelines may deploy."`
	Ref         string `placeholder:"REF" help:"Only this ref, e.g. refs/heads/main (GitLab's ref_path claim)."`
	Environment string `placeholder:"NAME" help:"Only jobs deploying to this environment."`
	ProjectID   string `name:"project-id" placeholder:"ID" help:"The project's numeric id; default: recorded at the first exchange."`
	NamespaceID string `name:"namespace-id" placeholder:"ID" help:"The namespace's numeric id; default: recorded at the first exchange."`
	trustGrantFlags
}

// Run adds the policy.
func (c *AdminTrustGitLabCmd) Run(rt *runtime) error {
	return addTrust(rt, app.AddTrustInput{Provider: core.TrustGitLab, Issuer: c.Issuer, Repository: c.Project, Ref: c.Ref,
		Environment: c.Environment, RepositoryID: c.ProjectID, OwnerID: c.NamespaceID}, c.trustGrantFlags)
}

// AdminTrustOIDCCmd is `haloyadm trust add oidc --issuer URL --claim k=v ...`.
type AdminTrustOIDCCmd struct {
	Issuer string   `required:"" placeholder:"URL" help:"The issuer, exactly as its tokens' iss claim says (https)."`
	Claim  []string `required:"" placeholder:"NAME=VALUE" help:"A claim that must have this value; repeat for several (all must match)."`
	trustGrantFlags
}

// Run adds the policy.
func (c *AdminTrustOIDCCmd) Run(rt *runtime) error {
	return addTrust(rt, app.AddTrustInput{Provider: core.TrustOIDC, Issuer: c.Issuer, Claims: c.Claim}, c.trustGrantFlags)
}

func addTrust(rt *runtime, in app.AddTrustInput, g trustGrantFlags) error {
	in.Apps, in.Scopes, in.TTL, in.Audience = g.App, g.Scope, g.TTL, g.Audience
	return invoke(rt, func(ctx context.Context, uc *app.AddTrust) error {
		r, err := uc.Run(ctx, in)
		if err != nil {
			return err
		}
		p := r.Policy
		_, err = fmt.Fprintf(rt.stdout, "added trust policy %d: %s %s%s; tokens for apps %s, scopes %s, living %s\n",
			p.ID, p.Provider.Label(), subjectOf(p), conditionsText(p, ", "), p.Grant().AppText(), p.Grant().ScopeText(), showTTL(p.TTL))
		if err != nil {
			return err
		}
		rt.notes.Info("jobs must ask for audience " + r.Audience + " (docs/ci.md)")
		if p.Provider != core.TrustOIDC && (p.RepositoryID == "" || p.OwnerID == "") {
			rt.notes.Info("the numeric repository and owner ids are recorded at the first accepted exchange; 'haloyadm trust list' shows them")
		}
		return nil
	})
}

// subjectOf names what a policy trusts: the repository, project or issuer.
func subjectOf(p core.TrustPolicy) string {
	if p.Repository != "" {
		return p.Repository
	}
	return p.Issuer
}

// conditionsText lists a policy's conditions besides its repository.
func conditionsText(p core.TrustPolicy, lead string) string {
	var cs []string
	if p.Provider != core.TrustOIDC && p.Issuer != defaultIssuer(p.Provider) {
		cs = append(cs, "issuer "+p.Issuer)
	}
	if p.Ref != "" {
		cs = append(cs, "ref "+p.Ref)
	}
	if p.Environment != "" {
		cs = append(cs, "environment "+p.Environment)
	}
	if p.Workflow != "" {
		cs = append(cs, "workflow "+p.Workflow)
	}
	keys := make([]string, 0, len(p.Claims))
	for k := range p.Claims {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	for _, k := range keys {
		cs = append(cs, k+"="+p.Claims[k])
	}
	if p.Audience != "" {
		cs = append(cs, "audience "+p.Audience)
	}
	if len(cs) == 0 {
		return ""
	}
	return lead + strings.Join(cs, lead)
}

func defaultIssuer(p core.TrustProvider) string {
	switch p {
	case core.TrustGitHub:
		return core.GitHubIssuer
	case core.TrustGitLab:
		return app.GitLabIssuer
	}
	return ""
}

// AdminTrustListCmd is `haloyadm trust list [--json]`.
type AdminTrustListCmd struct {
	JSON bool `name:"json" help:"Print a JSON array instead of a table."`
}

// trustJSON is one policy in `trust list --json`: the shape scripts rely on.
type trustJSON struct {
	ID           int64             `json:"id"`
	Provider     string            `json:"provider"`
	Issuer       string            `json:"issuer"`
	Audience     string            `json:"audience"`
	Repository   string            `json:"repository,omitempty"`
	Ref          string            `json:"ref,omitempty"`
	Environment  string            `json:"environment,omitempty"`
	Workflow     string            `json:"workflow,omitempty"`
	Claims       map[string]string `json:"claims,omitempty"`
	RepositoryID *string           `json:"repository_id"`
	OwnerID      *string           `json:"owner_id"`
	Apps         []string          `json:"apps"`
	Scopes       []core.Scope      `json:"scopes"`
	TTLSeconds   int64             `json:"ttl_seconds"`
	CreatedAt    time.Time         `json:"created_at"`
}

func optString(s string) *string {
	if s == "" {
		return nil
	}
	return &s
}

// Run lists the policies.
func (c *AdminTrustListCmd) Run(rt *runtime) error {
	return invoke(rt, func(ctx context.Context, uc *app.ListTrust) error {
		l, err := uc.Run(ctx)
		if err != nil {
			return err
		}
		if c.JSON {
			out := make([]trustJSON, len(l.Policies))
			for i, p := range l.Policies {
				out[i] = trustJSON{ID: p.ID, Provider: string(p.Provider), Issuer: p.Issuer, Audience: p.EffectiveAudience(l.DefaultAudience),
					Repository: p.Repository, Ref: p.Ref, Environment: p.Environment, Workflow: p.Workflow, Claims: p.Claims,
					RepositoryID: optString(p.RepositoryID), OwnerID: optString(p.OwnerID), Apps: p.Apps, Scopes: p.Scopes,
					TTLSeconds: int64(p.TTL / time.Second), CreatedAt: p.CreatedAt.UTC()}
			}
			enc := json.NewEncoder(rt.stdout)
			enc.SetIndent("", "  ")
			return enc.Encode(out)
		}
		if len(l.Policies) == 0 {
			rt.notes.Info("no trust policies; add one with: haloyadm trust add github --repository OWNER/NAME --app APP")
			return nil
		}
		tw := tabwriter.NewWriter(rt.stdout, 0, 0, 2, ' ', 0)
		fmt.Fprintln(tw, "ID\tPROVIDER\tTRUSTS\tCONDITIONS\tPINNED IDS\tAPPS\tSCOPES\tTTL\tCREATED")
		for _, p := range l.Policies {
			cond := strings.TrimPrefix(conditionsText(p, "; "), "; ")
			if cond == "" {
				cond = "-"
			}
			pins := "-"
			if p.Provider != core.TrustOIDC {
				pins = orPending(p.RepositoryID) + "/" + orPending(p.OwnerID)
			}
			fmt.Fprintf(tw, "%d\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\n", p.ID, p.Provider, subjectOf(p), cond, pins,
				p.Grant().AppText(), p.Grant().ScopeText(), showTTL(p.TTL), showTime(p.CreatedAt, "-"))
		}
		if err := tw.Flush(); err != nil {
			return err
		}
		rt.notes.Info("jobs must ask for audience " + l.DefaultAudience + " unless a policy names its own")
		return nil
	})
}

// showTTL prints a lifetime as 15m or 1h, not 15m0s.
func showTTL(d time.Duration) string {
	s := strings.TrimSuffix(d.String(), "0s")
	if strings.HasSuffix(s, "h0m") {
		s = strings.TrimSuffix(s, "0m")
	}
	return s
}

func orPending(id string) string {
	if id == "" {
		return "pending"
	}
	return id
}

// AdminTrustRemoveCmd is `haloyadm trust remove <id>`.
type AdminTrustRemoveCmd struct {
	ID string `arg:"" name:"id" help:"The policy's id, as 'haloyadm trust list' shows it."`
}

// Run removes the policy.
func (c *AdminTrustRemoveCmd) Run(rt *runtime) error {
	return invoke(rt, func(ctx context.Context, uc *app.RemoveTrust) error {
		p, err := uc.Run(ctx, c.ID)
		if err != nil {
			return err
		}
		_, err = fmt.Fprintf(rt.stdout, "removed trust policy %d (%s %s); the next exchange no longer sees it\n", p.ID, p.Provider.Label(), subjectOf(p))
		if err != nil {
			return err
		}
		rt.notes.Info(fmt.Sprintf("tokens it minted live at most %s more; revoke one at once with: haloyadm api token revoke <name>", showTTL(p.TTL)))
		return nil
	})
}
