package app

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/haloy-auth/haloy/core"
	"github.com/haloy-auth/haloy/ports"
)

// ExchangeOIDC is POST /v1/oidc/token: it trades a CI job's identity token
// for a short-lived Haloy token under the first trust policy it matches.
type ExchangeOIDC struct {
	config ports.ServerConfig
	trust  ports.TrustStore
	verify ports.IdentityVerifier
	tokens ports.TokenStore
	notes  ports.Notifier
	now    func() time.Time
}

var _ ports.TokenExchanger = (*ExchangeOIDC)(nil)

// NewExchangeOIDC returns the use case.
func NewExchangeOIDC(config ports.ServerConfig, trust ports.TrustStore, verify ports.IdentityVerifier,
	tokens ports.TokenStore, notes ports.Notifier) *ExchangeOIDC {
	return &ExchangeOIDC{config: config, trust: trust, verify: verify, tokens: tokens, notes: notes, now: time.Now}
}

func refuseExchange(format string, args ...any) error {
	return &core.Error{Kind: core.Unauthorized, What: "identity token refused", Why: fmt.Sprintf(format, args...)}
}

// Exchange verifies in.Token, picks the policy, refuses a replay, pins the
// repository and owner ids at the first exchange, and mints the token.
// Every refusal is a *core.Error of Kind Unauthorized whose Why is the
// precise reason (for the server log only); any other error is the
// server's own failure. The policies are read at each call, so a policy
// added or removed while serving applies to the next exchange.
func (uc *ExchangeOIDC) Exchange(ctx context.Context, in core.ExchangeRequest) (core.OIDCExchangeResponse, error) {
	raw := in.Token.Reveal()
	if len(raw) > core.MaxOIDCTokenBytes {
		return core.OIDCExchangeResponse{}, refuseExchange("the token is %d bytes, over the limit of %d; it was not parsed", len(raw), core.MaxOIDCTokenBytes)
	}
	policies, err := uc.trust.Policies(ctx)
	if err != nil {
		return core.OIDCExchangeResponse{}, err
	}
	if len(policies) == 0 {
		return core.OIDCExchangeResponse{}, refuseExchange("no trust policy is configured (haloyadm trust add)")
	}
	var issuers []string
	for _, p := range policies {
		if !slices.Contains(issuers, p.Issuer) {
			issuers = append(issuers, p.Issuer)
		}
	}
	tok, err := uc.verify.Verify(ctx, raw, issuers)
	if err != nil {
		return core.OIDCExchangeResponse{}, err
	}
	settings, err := uc.config.Load(ctx)
	if err != nil {
		return core.OIDCExchangeResponse{}, err
	}
	def := core.DefaultAudience(settings.APIDomain, in.Listen)
	p, refusals := core.SelectPolicy(policies, tok, def)
	if refusals != nil {
		return core.OIDCExchangeResponse{}, refuseExchange("%s", describeRefusals(tok, refusals))
	}
	now := uc.now()
	fresh, err := uc.trust.UseOnce(ctx, tok.Issuer, tok.ID, core.ReplayUntil(tok), now)
	if err != nil {
		return core.OIDCExchangeResponse{}, err
	}
	if !fresh {
		return core.OIDCExchangeResponse{}, refuseExchange("jti %q of %s was already exchanged: a replay (policy %d)", tok.ID, tok.Issuer, p.ID)
	}
	if repoID, ownerID := p.Pins(tok); (p.RepositoryID == "" && repoID != "") || (p.OwnerID == "" && ownerID != "") {
		pinned, err := uc.trust.PinPolicy(ctx, p.ID, repoID, ownerID)
		var ce *core.Error
		if errors.As(err, &ce) && ce.Kind == core.NotFound {
			return core.OIDCExchangeResponse{}, refuseExchange("policy %d was removed during the exchange", p.ID)
		}
		if err != nil {
			return core.OIDCExchangeResponse{}, err
		}
		// another exchange may have pinned other ids first
		if err := pinned.Match(tok, def); err != nil {
			return core.OIDCExchangeResponse{}, refuseExchange("policy %d: %v", p.ID, err)
		}
		if pinned.RepositoryID != p.RepositoryID || pinned.OwnerID != p.OwnerID {
			uc.notes.Info(fmt.Sprintf("trust policy %d pinned to repository id %s, owner id %s at its first exchange", p.ID, pinned.RepositoryID, pinned.OwnerID))
		}
		p = pinned
	}
	issued, err := issue(ctx, uc.tokens, now, core.CITokenName(p, tok), now.Add(p.TTL), p.Grant(), core.OIDCActor(p, tok))
	if err != nil {
		return core.OIDCExchangeResponse{}, err
	}
	uc.notes.Info(fmt.Sprintf("oidc exchange: policy %d (%s) accepted %s, sub %q, jti %q; minted token %q (scopes %s, apps %s) until %s",
		p.ID, p.Provider.Label(), tok.Issuer, tok.Subject, tok.ID, issued.Record.Name, p.Grant().ScopeText(), p.Grant().AppText(),
		issued.Record.ExpiresAt.UTC().Format(time.RFC3339)))
	return core.OIDCExchangeResponse{Token: issued.Token, Name: issued.Record.Name, ExpiresAt: issued.Record.ExpiresAt.UTC()}, nil
}

// describeRefusals joins every policy's reason, e.g. `policy 1: ref is
// "refs/heads/dev", want "refs/heads/main"; policy 2: ...`.
func describeRefusals(tok core.OIDCToken, rs []core.PolicyRefusal) string {
	parts := make([]string, len(rs))
	for i, r := range rs {
		if r.PolicyID == 0 {
			parts[i] = r.Reason.Error()
			continue
		}
		parts[i] = "policy " + strconv.FormatInt(r.PolicyID, 10) + ": " + r.Reason.Error()
	}
	return "no trust policy matches (sub " + strconv.Quote(tok.Subject) + "): " + strings.Join(parts, "; ")
}
