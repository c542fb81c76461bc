package app

import (
	"context"
	"crypto/rand"
	"errors"
	"strconv"
	"time"

	"github.com/haloy-auth/haloy/core"
	"github.com/haloy-auth/haloy/ports"
)

// CreateToken is `haloyadm api token`: it issues a new API token.
type CreateToken struct {
	config ports.ServerConfig
	tokens ports.TokenStore
	notes  ports.Notifier
	env    ports.Env
	now    func() time.Time
}

// NewCreateToken returns the use case.
func NewCreateToken(config ports.ServerConfig, tokens ports.TokenStore, notes ports.Notifier, env ports.Env) *CreateToken {
	return &CreateToken{config: config, tokens: tokens, notes: notes, env: env, now: time.Now}
}

// CreateTokenInput is what `haloyadm api token` was given.
type CreateTokenInput struct {
	// Name is the token's unique name; empty derives one from the time.
	Name string
	// Expires is a lifetime ("90d", "12h", "never"); empty is 90 days.
	Expires string
	// Scopes are the --scope values ("deploy,read"); none gives every scope.
	Scopes []string
	// Apps are the --app values ("a,b"); none gives every app.
	Apps []string
}

// IssuedToken is a token just created: the only time the token itself exists.
type IssuedToken struct {
	Token  string
	Record core.TokenRecord
	// APIDomain is the configured domain, for the 'haloy server add' hint;
	// empty when init was not given one.
	APIDomain string
}

// Run creates a token. Returns a *core.Error of Kind Missing if haloyadm is
// not initialized, of Kind Invalid for a bad name or lifetime (checked
// before anything is written), and of Kind Conflict for a taken name.
func (uc *CreateToken) Run(ctx context.Context, in CreateTokenInput) (IssuedToken, error) {
	life, never := core.DefaultTokenLifetime, false
	if in.Expires != "" {
		var err error
		if life, never, err = core.ParseTokenLifetime(in.Expires); err != nil {
			return IssuedToken{}, err
		}
	}
	if in.Name != "" {
		if err := core.CheckTokenName(in.Name); err != nil {
			return IssuedToken{}, err
		}
	}
	grant, err := ParseGrant(in.Scopes, in.Apps)
	if err != nil {
		return IssuedToken{}, err
	}
	settings, err := uc.config.Load(ctx)
	if err != nil {
		return IssuedToken{}, err
	}
	now := uc.now()
	out, err := issue(ctx, uc.tokens, now, in.Name, expiry(now, life, never), grant, localActor(uc.env))
	if err != nil {
		return IssuedToken{}, err
	}
	if never {
		uc.notes.Warn("token " + strconv.Quote(out.Record.Name) + " never expires; revoke it when it is no longer needed: haloyadm api token revoke " + out.Record.Name)
	}
	out.APIDomain = settings.APIDomain
	return out, nil
}

// ParseGrant parses --scope and --app values into a grant. Returns a
// *core.Error of Kind Invalid for an unknown scope or a bad app name.
func ParseGrant(scopes, apps []string) (core.TokenGrant, error) {
	var g core.TokenGrant
	var err error
	if g.Scopes, err = core.ParseScopes(scopes); err != nil {
		return core.TokenGrant{}, err
	}
	if g.Apps, err = core.ParseTokenApps(apps); err != nil {
		return core.TokenGrant{}, err
	}
	return g, nil
}

// expiry is when a token made at now that lives life expires; zero when never.
func expiry(now time.Time, life time.Duration, never bool) time.Time {
	if never {
		return time.Time{}
	}
	return now.Add(life)
}

// newToken returns a fresh random token.
func newToken() string {
	var random [core.APITokenBytes]byte
	rand.Read(random[:]) // never fails (crypto/rand, Go 1.24+)
	return core.FormatAPIToken(random)
}

// localActor names who runs haloyadm on the server, for the token
// records: the user behind sudo, else the user ("haloyadm (alice)").
func localActor(env ports.Env) string {
	for _, k := range []string{"SUDO_USER", "USER", "LOGNAME"} {
		if v, ok := env.Lookup(k); ok && v != "" {
			return core.LocalActor(v)
		}
	}
	return core.LocalActor("")
}

// issue mints a token: named name (or one derived from now, made unique
// with a suffix), expiring at exp (zero: never), allowed what grant
// allows, recorded as made by by. Every token is made here, whoever asks
// for it.
func issue(ctx context.Context, tokens ports.TokenStore, now time.Time, name string, exp time.Time, grant core.TokenGrant, by string) (IssuedToken, error) {
	tok := newToken()
	rec := core.NewTokenRecord{Name: name, Hash: core.HashAPIToken(tok), CreatedAt: now, ExpiresAt: exp, Grant: grant, CreatedBy: by}
	derived := name == ""
	for i := 1; ; i++ {
		if derived {
			rec.Name = core.DefaultTokenName(now)
			if i > 1 {
				rec.Name += "-" + strconv.Itoa(i)
			}
		}
		created, err := tokens.Create(ctx, rec)
		var ce *core.Error
		if derived && i < 100 && errors.As(err, &ce) && ce.Kind == core.Conflict {
			continue // two tokens in one second: try the next suffix
		}
		if err != nil {
			return IssuedToken{}, err
		}
		return IssuedToken{Token: tok, Record: created}, nil
	}
}
