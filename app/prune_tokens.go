package app

import (
	"context"
	"fmt"
	"strings"
	"time"

	"github.com/haloy-auth/haloy/core"
	"github.com/haloy-auth/haloy/ports"
)

// PruneTokens is `haloyadm api token prune`: it deletes the records of
// tokens that ended (expired or revoked) long enough ago, such as the
// short-lived tokens every OIDC exchange mints.
type PruneTokens struct {
	config ports.ServerConfig
	tokens ports.TokenStore
	notes  ports.Notifier
	env    ports.Env
	now    func() time.Time
}

// NewPruneTokens returns the use case.
func NewPruneTokens(config ports.ServerConfig, tokens ports.TokenStore, notes ports.Notifier, env ports.Env) *PruneTokens {
	return &PruneTokens{config: config, tokens: tokens, notes: notes, env: env, now: time.Now}
}

// PruneTokensInput is what `haloyadm api token prune` was given.
type PruneTokensInput struct {
	// OlderThan is how long ago a token must have ended ("30d", "12h");
	// empty is core.DefaultPruneAge.
	OlderThan string
	// DryRun finds the tokens that would go and deletes none.
	DryRun bool
}

// PrunedTokens is what a prune deleted, or would delete.
type PrunedTokens struct {
	// Before is the cut-off: the tokens are those that ended before it.
	Before time.Time
	// Tokens are oldest first, each with how it ended (expired or
	// revoked: its status when it ended).
	Tokens []TokenListing
}

// auditNames is how many tokens the log line names; the rest are counted.
const auditNames = 10

// Run deletes the tokens that ended before now minus in.OlderThan (with
// DryRun, only finds them), and logs who pruned which. A token still
// working is never pruned. Returns a *core.Error of Kind Invalid for a bad
// --older-than (checked before anything is read), and of Kind Missing if
// haloyadm is not initialized.
func (uc *PruneTokens) Run(ctx context.Context, in PruneTokensInput) (PrunedTokens, error) {
	age := in.OlderThan
	if age == "" {
		age = core.DefaultPruneAge
	}
	d, err := core.ParsePruneAge(age)
	if err != nil {
		return PrunedTokens{}, err
	}
	if _, err := uc.config.Load(ctx); err != nil {
		return PrunedTokens{}, err
	}
	cut := uc.now().Add(-d)
	var recs []core.TokenRecord
	if in.DryRun {
		all, err := uc.tokens.List(ctx)
		if err != nil {
			return PrunedTokens{}, err
		}
		for _, r := range all {
			if r.EndedBefore(cut) {
				recs = append(recs, r)
			}
		}
	} else if recs, err = uc.tokens.Prune(ctx, cut); err != nil {
		return PrunedTokens{}, err
	}
	out := PrunedTokens{Before: cut, Tokens: make([]TokenListing, len(recs))}
	for i, r := range recs {
		out.Tokens[i] = TokenListing{TokenRecord: r, Status: r.Status(r.EndedAt())}
	}
	if !in.DryRun && len(recs) > 0 {
		uc.notes.Info(pruneAudit(recs, cut, localActor(uc.env)))
	}
	return out, nil
}

// pruneAudit is the log line of a prune: who, the cut-off, and the
// tokens, the first auditNames of them by name.
func pruneAudit(recs []core.TokenRecord, cut time.Time, by string) string {
	var names []string
	for _, r := range recs[:min(len(recs), auditNames)] {
		names = append(names, describe(r))
	}
	list := strings.Join(names, ", ")
	if n := len(recs) - auditNames; n > 0 {
		list += fmt.Sprintf(" and %d more", n)
	}
	return fmt.Sprintf("tokens pruned by %s: %d that ended before %s: %s", by, len(recs), cut.UTC().Format(time.RFC3339), list)
}
