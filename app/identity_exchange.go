package app

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/haloy-auth/haloy/core"
	"github.com/haloy-auth/haloy/ports"
)

// exchangeIdentities gets a short-lived token for each target whose api_token comes
// from its CI identity (api_token.from.oidc): the identity token from the
// CI, for the server's audience, traded at the target's server. One
// exchange per server and source serves every target on it. The minted
// token lives in memory for this command only; nothing writes it. say
// gets one line per exchange (nil: none). Deploy and status use it.
func exchangeIdentities(ctx context.Context, ci ports.CIIdentity, api ports.ServerAPI, targets []ResolvedTarget, eps []core.Endpoint, say func(string, string)) error {
	if say == nil {
		say = func(string, string) {}
	}
	type key struct {
		server string
		src    core.OIDCSource
	}
	done := map[key]core.Endpoint{}
	var errs []error
	for i, t := range targets {
		if t.OIDC == nil {
			continue
		}
		k := key{t.Server, *t.OIDC}
		if ep, ok := done[k]; ok {
			eps[i] = ep
			continue
		}
		aud := t.OIDC.Audience
		if aud == "" {
			aud = core.OIDCAudience(t.Server)
		}
		identity, err := ci.IdentityToken(ctx, *t.OIDC, aud)
		if err != nil {
			errs = append(errs, forTarget(t.Target, err))
			continue
		}
		resp, err := api.ExchangeOIDC(ctx, eps[i], identity)
		if err != nil {
			errs = append(errs, forTarget(t.Target, err))
			continue
		}
		eps[i].Token = core.Secret(resp.Token)
		eps[i].TokenSource = fmt.Sprintf("%s, exchanged for token %q", t.OIDC.Label(), resp.Name)
		eps[i].TokenFix = "check the server's trust policy (haloyadm trust list) and re-run the job"
		done[k] = eps[i]
		say(t.Target, fmt.Sprintf("identity %s (audience %s) exchanged at %s for token %q, valid until %s",
			t.OIDC.Label(), aud, t.Server, resp.Name, resp.ExpiresAt.UTC().Format(time.RFC3339)))
	}
	return errors.Join(errs...)
}
