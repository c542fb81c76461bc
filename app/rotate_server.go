package app

import (
	"context"
	"errors"
	"fmt"
	"strconv"
	"time"

	"github.com/haloy-auth/haloy/core"
	"github.com/haloy-auth/haloy/ports"
)

// RotateServer is `haloy server rotate`: each server's stored token
// replaces itself. For each server, in order:
//
//  1. under the client store's lock, the server issues a successor
//     (POST /v1/token/rotate) and it is written to .env atomically, in
//     place of the old one;
//  2. the successor is checked with GET /v1/version;
//  3. the old token revokes itself (POST /v1/token/revoke).
//
// The server keeps the old token working for its grace period (10 minutes
// by default), so a client stopped at any point holds a token the server
// accepts: the old one until the successor is written, the successor
// after.
type RotateServer struct {
	store ports.ClientStore
	env   ports.Env
	api   ports.ServerAPI
	toks  ports.TokenAPI
	now   func() time.Time
}

// NewRotateServer returns the use case.
func NewRotateServer(store ports.ClientStore, env ports.Env, api ports.ServerAPI, toks ports.TokenAPI) *RotateServer {
	return &RotateServer{store: store, env: env, api: api, toks: toks, now: time.Now}
}

// Rotated is one server's rotation.
type Rotated struct {
	Server   string
	TokenEnv string
	// Name is the token's name, which the successor keeps.
	Name string
	// ExpiresAt is the successor's expiry; zero when it never expires.
	ExpiresAt time.Time
	// OldRevoked is false when the old token could not revoke itself; it
	// then stops working at OldExpiresAt, the end of its grace period.
	OldRevoked   bool
	OldExpiresAt time.Time
	// Warning says what went wrong after the successor was saved.
	Warning string
}

// Run rotates the tokens of servers (as typed), or of every configured
// server when all is set, one server after the other, and stops at the
// first failure, which says what state the server and the client are in.
func (uc *RotateServer) Run(ctx context.Context, servers []string, all bool) ([]Rotated, error) {
	st, err := uc.store.Load(ctx)
	if err != nil {
		return nil, err
	}
	names, err := pickServers(st, servers, all, "haloy server rotate")
	if err != nil {
		return nil, err
	}
	// refuse tokens haloy does not keep before rotating any
	for _, s := range names {
		if _, err := storedEndpoint(st, uc.env, s, "rotate"); err != nil {
			return nil, err
		}
	}
	var out []Rotated
	for _, s := range names {
		r, err := uc.one(ctx, s)
		if err != nil {
			return out, err
		}
		out = append(out, r)
	}
	return out, nil
}

// pickServers returns the servers named (normalized and configured), or
// every configured one with all.
func pickServers(st core.ClientState, servers []string, all bool, cmd string) ([]string, error) {
	switch {
	case all && len(servers) > 0:
		return nil, &core.Error{Kind: core.Invalid, What: "both --all and servers given",
			Why: "--all means every configured server", Fix: cmd + " --all, or " + cmd + " <server>..."}
	case all:
		if len(st.ServerNames()) == 0 {
			return nil, &core.Error{Kind: core.Missing, What: "no server is configured", Fix: "haloy server add <server> --token-stdin"}
		}
		return st.ServerNames(), nil
	case len(servers) == 0:
		return nil, &core.Error{Kind: core.Invalid, What: "no server given",
			Why: "say which server's token to replace, or --all for every one", Fix: cmd + " <server>, or " + cmd + " --all"}
	}
	var out []string
	for _, raw := range servers {
		s, err := normalizeConfigured(st, raw)
		if err != nil {
			return nil, err
		}
		out = append(out, s)
	}
	return out, nil
}

// storedEndpoint returns the endpoint of server when its token is the one
// haloy keeps in the config directory's .env, and an error saying where the
// token really comes from otherwise: haloy cannot replace a token it does
// not keep (one from the environment, an app config or a secret provider).
func storedEndpoint(st core.ClientState, env ports.Env, server, verb string) (core.Endpoint, error) {
	ep, err := storeEndpoint(st, env, server)
	if err != nil {
		return core.Endpoint{}, err
	}
	ref := st.Servers[server]
	stored, inStore := st.Tokens[ref.TokenEnv]
	_, inEnv := env.Lookup(ref.TokenEnv)
	inLocal := st.Local[ref.TokenEnv] != ""
	if ref.TokenEnv != "" && inStore && !inEnv && !inLocal && stored == ep.Token.Reveal() {
		return ep, nil
	}
	what := "cannot " + verb + " the token of " + strconv.Quote(server)
	switch {
	case inLocal && !inEnv:
		// the new token would go to .env, under the old one in .env.local
		return core.Endpoint{}, &core.Error{Kind: core.Invalid, What: what,
			Why: ref.TokenEnv + " is set in the config directory's .env.local, which haloy reads (as Haloy does) but never writes, and which overrides .env, where haloy keeps tokens",
			Fix: "move the line " + ref.TokenEnv + "=... from .env.local to .env in haloy's config directory ($HALOY_CONFIG_DIR, else ~/.config/haloy), then run the command again"}
	case inEnv:
		return core.Endpoint{}, &core.Error{Kind: core.Invalid, What: what,
			Why: "its token comes from the environment variable " + ref.TokenEnv + ", which haloy does not keep and which overrides the config directory's .env",
			Fix: "on the server: sudo haloyadm api token" + ", then put the new token in " + ref.TokenEnv + " where it is set; or unset " + ref.TokenEnv + " to use the stored token"}
	default:
		return core.Endpoint{}, &core.Error{Kind: core.Invalid, What: what,
			Why: "its token comes from " + ep.TokenSource + ", not from haloy's store",
			Fix: "store it first: haloy server add " + server + " --force --token-stdin; or replace it where it lives, after sudo haloyadm api token on the server"}
	}
}

// one rotates server's token.
func (uc *RotateServer) one(ctx context.Context, server string) (Rotated, error) {
	out := Rotated{Server: server}
	var (
		old  core.Endpoint
		resp core.IssuedTokenResponse
	)
	// 1. under the lock: get the successor and write it in place of the old one
	err := uc.store.Update(ctx, func(st *core.ClientState) error {
		ep, err := storedEndpoint(*st, uc.env, server, "rotate")
		if err != nil {
			return err
		}
		old = ep
		out.TokenEnv = st.Servers[server].TokenEnv
		if resp, err = uc.toks.RotateToken(ctx, ep); err != nil {
			return err
		}
		if err := core.ValidateToken(resp.Token); err != nil {
			return &core.Error{Kind: core.Unavailable, What: "rotation of the token of " + strconv.Quote(server) + " failed",
				Why: "the server answered without a token haloy can store", Fix: "check that " + server + " runs haloyadm serve"}
		}
		st.Tokens[out.TokenEnv] = resp.Token
		return nil
	})
	if err != nil {
		if resp.Token != "" {
			// rotated on the server, not saved here: the old token still works, for its grace period
			return out, &core.Error{Kind: kindOf(err), What: "the new token of " + strconv.Quote(server) + " could not be saved",
				Why: err.Error() + "; the server issued it, and the old token, still in " + out.TokenEnv + ", keeps working until " + graceEnd(resp),
				Fix: "before then, on the server: sudo haloyadm api token --name " + resp.Info.Name + "-2, then: haloy server add " + server + " --force --token-stdin",
				Err: err}
		}
		// nothing changed, on the server or here
		var ce *core.Error
		if errors.As(err, &ce) {
			return out, err
		}
		return out, fmt.Errorf("rotate the token of %s: %w; the old token stays in place", server, err)
	}
	out.Name = resp.Info.Name
	if resp.Info.ExpiresAt != nil {
		out.ExpiresAt = *resp.Info.ExpiresAt
	}
	if resp.Replaced != nil && resp.Replaced.ExpiresAt != nil {
		out.OldExpiresAt = *resp.Replaced.ExpiresAt
	}
	// 2. the saved successor must work before the old token goes
	next := old
	next.Token = core.Secret(resp.Token)
	if _, err := uc.api.Version(ctx, next); err != nil {
		return out, &core.Error{Kind: kindOf(err), What: "the new token of " + strconv.Quote(server) + " is saved in " + out.TokenEnv + " but failed its check",
			Why: problem(err) + "; the old token was not revoked and works until " + graceEnd(resp),
			Fix: "haloy server version --server " + server + " to check again", Err: err}
	}
	// 3. the old token ends itself; if it cannot, it ends with its grace period
	if _, err := uc.toks.RevokeSelf(ctx, old); err != nil {
		out.Warning = "the old token of " + server + " could not revoke itself (" + problem(err) + "); it stops working at " + graceEnd(resp)
		return out, nil
	}
	out.OldRevoked = true
	return out, nil
}

// graceEnd says when a rotated-away token stops working.
func graceEnd(r core.IssuedTokenResponse) string {
	if r.Replaced == nil || r.Replaced.ExpiresAt == nil {
		return "the end of the server's grace period (10 minutes by default)"
	}
	return r.Replaced.ExpiresAt.UTC().Format(time.RFC3339)
}
