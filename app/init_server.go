package app

import (
	"context"
	"errors"
	"strconv"
	"time"

	"github.com/haloy-auth/haloy/core"
	"github.com/haloy-auth/haloy/ports"
)

// InitServer is `haloyadm init`: it creates the config and data
// directories, the config file and the token store, and issues the first
// token. Running it again changes nothing but a new --api-domain.
type InitServer struct {
	config ports.ServerConfig
	tokens ports.TokenStore
	env    ports.Env
	now    func() time.Time
}

// NewInitServer returns the use case.
func NewInitServer(config ports.ServerConfig, tokens ports.TokenStore, env ports.Env) *InitServer {
	return &InitServer{config: config, tokens: tokens, env: env, now: time.Now}
}

// Initialized is what init did.
type Initialized struct {
	// APIDomain is the configured domain, possibly empty.
	APIDomain string
	// First is the first token, issued on the first run only (Token empty
	// otherwise).
	First IssuedToken
	// Tokens counts the tokens that existed before this run.
	Tokens int
	// PreviousAPIDomain is the domain before this run, when this run
	// changed it; else "".
	PreviousAPIDomain string
	// DomainChanged is true when this run set or changed the API domain.
	DomainChanged bool
}

// Run initializes the server. apiDomain, when not empty, must be a server
// name haloy accepts (core.NormalizeServer) and replaces the configured one.
// The first token is issued only when the store holds none, so that a
// second run never prints a second token.
func (uc *InitServer) Run(ctx context.Context, apiDomain string) (Initialized, error) {
	if apiDomain != "" {
		norm, err := core.NormalizeServer(apiDomain)
		var ce *core.Error
		if errors.As(err, &ce) {
			return Initialized{}, &core.Error{Kind: core.Invalid, What: "invalid API domain " + strconv.Quote(apiDomain),
				Why: ce.Why, Fix: "give the domain alone: haloyadm init --api-domain api.example.com"}
		}
		if err != nil {
			return Initialized{}, err
		}
		apiDomain = norm
	}
	settings, err := uc.config.Load(ctx)
	var ce *core.Error
	if err != nil && !(errors.As(err, &ce) && ce.Kind == core.Missing) {
		return Initialized{}, err
	}
	previous := settings.APIDomain
	if apiDomain != "" {
		settings.APIDomain = apiDomain
	}
	if err := uc.config.Save(ctx, settings); err != nil {
		return Initialized{}, err
	}
	existing, err := uc.tokens.List(ctx)
	if err != nil {
		return Initialized{}, err
	}
	out := Initialized{APIDomain: settings.APIDomain, Tokens: len(existing), DomainChanged: settings.APIDomain != previous}
	if out.DomainChanged {
		out.PreviousAPIDomain = previous
	}
	if len(existing) > 0 {
		return out, nil
	}
	now := uc.now()
	out.First, err = issue(ctx, uc.tokens, now, "", now.Add(core.DefaultTokenLifetime), core.TokenGrant{}, localActor(uc.env))
	if err != nil {
		return Initialized{}, err
	}
	out.First.APIDomain = settings.APIDomain
	return out, nil
}
