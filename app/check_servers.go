package app

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"sync"
	"time"

	"github.com/haloy-auth/haloy/core"
	"github.com/haloy-auth/haloy/ports"
)

// CheckServers checks configured servers concurrently: reachable (/health),
// token accepted (/v1/version with the server's token from the client
// store), and their version.
type CheckServers struct {
	store ports.ClientStore
	env   ports.Env
	api   ports.ServerAPI
	now   func() time.Time
	// Quiet leaves out the warnings about tokens that expire soon.
	Quiet bool
}

// NewCheckServers returns the use case.
func NewCheckServers(store ports.ClientStore, env ports.Env, api ports.ServerAPI) *CheckServers {
	return &CheckServers{store: store, env: env, api: api, now: time.Now}
}

// ServerCheck is the result of checking one server.
type ServerCheck struct {
	Server string `json:"server"`
	URL    string `json:"url"`
	// Reachable: /health answered.
	Reachable bool `json:"reachable"`
	// TokenAccepted: /v1/version accepted the token.
	TokenAccepted bool `json:"token_accepted"`
	// TokenSource says where the token came from; empty when none was found.
	TokenSource    string     `json:"token_source,omitempty"`
	TokenName      string     `json:"token_name,omitempty"`
	TokenExpiresAt *time.Time `json:"token_expires_at,omitempty"`
	// TokenScopes and TokenApps are what the token may do; null is every
	// scope, every app.
	TokenScopes []core.Scope `json:"token_scopes"`
	TokenApps   []string     `json:"token_apps"`
	// Version is the server's version, from /v1/version, else /health.
	Version string `json:"version,omitempty"`
	// Problem says what failed, with the fix; empty when the server is fine.
	Problem string `json:"problem,omitempty"`
	// Warning is set when the token expires soon.
	Warning string `json:"warning,omitempty"`
	// Interrupted: the check was stopped (Ctrl-C) before it finished; what
	// it did not reach says nothing about the server or its token.
	Interrupted bool `json:"interrupted,omitempty"`

	err error
}

// OK reports whether the server passed every check.
func (c ServerCheck) OK() bool { return c.Problem == "" }

// Run checks the named servers (as typed), or every configured one when
// none is named, and returns one result per server, sorted by name. A named
// server that is not configured is a *core.Error of Kind NotFound, before
// any call. When any server fails, the error is a *core.Error that counts
// them: Kind Unauthorized if a token was rejected, else Unavailable.
func (uc *CheckServers) Run(ctx context.Context, servers []string) ([]ServerCheck, error) {
	st, err := uc.store.Load(ctx)
	if err != nil {
		return nil, err
	}
	names := st.ServerNames()
	if len(servers) > 0 {
		names = names[:0:0]
		seen := map[string]bool{}
		for _, raw := range servers {
			s, err := normalizeConfigured(st, raw)
			if err != nil {
				return nil, err
			}
			if !seen[s] {
				seen[s] = true
				names = append(names, s)
			}
		}
	}
	if len(names) == 0 {
		return nil, &core.Error{Kind: core.Missing, What: "no server is configured", Fix: "haloy server add <server> --token-stdin"}
	}
	out := make([]ServerCheck, len(names))
	var wg sync.WaitGroup
	warn := newExpiryWarner(uc.env, uc.Quiet)
	for i, s := range names {
		wg.Go(func() { out[i] = uc.check(ctx, st, s, warn) })
	}
	wg.Wait()
	var failed, stopped []string
	kind := core.Unavailable
	for _, c := range out {
		if c.Interrupted {
			stopped = append(stopped, c.Server)
		}
		if !c.OK() {
			failed = append(failed, c.Server)
			if kindOf(c.err) == core.Unauthorized {
				kind = core.Unauthorized
			}
		}
	}
	if len(stopped) > 0 {
		return out, &core.Error{Kind: core.Interrupted,
			What: fmt.Sprintf("interrupted: %d of %d servers were not checked: %s", len(stopped), len(out), strings.Join(stopped, ", ")),
			Fix:  "run the check again: haloy server check " + strings.Join(stopped, " ")}
	}
	if len(failed) > 0 {
		return out, &core.Error{Kind: kind, What: fmt.Sprintf("%d of %d servers failed the check: %s", len(failed), len(out), strings.Join(failed, ", ")),
			Fix: "see the problem of each server above"}
	}
	return out, nil
}

func (uc *CheckServers) check(ctx context.Context, st core.ClientState, server string, warn *expiryWarner) ServerCheck {
	c := ServerCheck{Server: server, URL: core.BaseURL(server)}
	fail := func(err error) ServerCheck {
		c.err = err
		c.Problem = problem(err)
		if ctx.Err() != nil {
			c.Interrupted = true
			c.Problem = "not checked: interrupted"
		}
		return c
	}
	ep, epErr := storeEndpoint(st, uc.env, server)
	key, _ := st.Key(server)
	ep.Server, ep.CACert = server, st.Servers[key].CACert
	c.TokenSource = ep.TokenSource
	h, err := uc.api.Health(ctx, ep)
	if err != nil {
		return fail(err)
	}
	c.Reachable, c.Version = true, h.Version
	if epErr != nil {
		return fail(epErr)
	}
	v, err := uc.api.Version(ctx, ep)
	if err != nil {
		return fail(err)
	}
	c.TokenAccepted, c.Version, c.TokenName, c.TokenExpiresAt = true, v.Haloyd, v.TokenName, v.TokenExpiresAt
	c.TokenScopes, c.TokenApps = v.TokenScopes, v.TokenApps
	c.Warning = warn.note(ep, v, uc.now())
	return c
}

// problem is a one-line account of err: what, why and the hint.
func problem(err error) string {
	var ce *core.Error
	if !errors.As(err, &ce) {
		return "internal error: " + err.Error()
	}
	s := ce.Error()
	if ce.Fix != "" {
		s += " (hint: " + ce.Fix + ")"
	}
	return s
}

func kindOf(err error) core.Kind {
	var ce *core.Error
	if errors.As(err, &ce) {
		return ce.Kind
	}
	return core.Internal
}
