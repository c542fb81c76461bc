package main

import (
	"context"
	"fmt"
	"time"

	"github.com/haloy-auth/haloy/app"
	"github.com/haloy-auth/haloy/core"
)

// TokenCommands are the commands of remote token management, embedded in
// the grammar.
type TokenCommands struct {
	Token TokenCmd `cmd:"" help:"Create, list and revoke a server's API tokens remotely, with an admin token."`
}

// TokenCmd groups `haloy token ...`.
type TokenCmd struct {
	Create TokenCreateCmd `cmd:"" help:"Create a token on a server and print it on stdout, alone and only this once."`
	List   TokenListCmd   `cmd:"" help:"List a server's tokens: id, name, scopes, apps, created, expires, last used and status; never a token."`
	Revoke TokenRevokeCmd `cmd:"" help:"Revoke a token on a server at once."`
}

// TokenCreateCmd is `haloy token create --server S [--name N] [--scope S] [--app A] [--expires D]`.
type TokenCreateCmd struct {
	Server  string   `short:"s" required:"" predictor:"server" help:"Server whose stored token (with the admin scope) makes the new one."`
	Name    string   `placeholder:"NAME" help:"Unique name, e.g. ci-my-app; default: token-<date>-<time>."`
	Scope   []string `placeholder:"SCOPE" help:"read, deploy or admin; comma-separated or repeated. Default: everything your token may do."`
	App     []string `placeholder:"APP" help:"Apps the token may deploy and read, comma-separated or repeated. Default: every app."`
	Expires string   `placeholder:"DURATION" help:"Lifetime: days (90d) or a Go duration (12h, 30m), or never. Default: 90d."`
}

// Run creates the token; stdout gets the token alone, so that it can be piped.
func (c *TokenCreateCmd) Run(rt *runtime) error {
	return invoke(rt, func(ctx context.Context, uc *app.RemoteTokens) error {
		r, err := uc.Create(ctx, c.Server, core.CreateTokenRequest{Name: c.Name, Scopes: c.Scope, Apps: c.App, Expires: c.Expires})
		if err != nil {
			return err
		}
		if _, err := fmt.Fprintln(rt.stdout, r.Token); err != nil {
			return err
		}
		exp := "never"
		if r.Info.ExpiresAt != nil {
			exp = showTime(*r.Info.ExpiresAt, "never")
		}
		g := core.TokenGrant{Scopes: r.Info.Scopes, Apps: r.Info.Apps}
		rt.notes.Info(fmt.Sprintf("created token %q (id %d) on %s, expires %s%s; it is shown only this once",
			r.Info.Name, r.Info.ID, c.Server, exp, grantNote(g)))
		return nil
	})
}

// TokenListCmd is `haloy token list --server S [--json]`.
type TokenListCmd struct {
	Server string `short:"s" required:"" predictor:"server" help:"Server whose tokens to list; its stored token needs the admin scope."`
	JSON   bool   `name:"json" help:"Print a JSON array instead of a table."`
}

// Run lists the server's tokens, as haloyadm api token list does.
func (c *TokenListCmd) Run(rt *runtime) error {
	return invoke(rt, func(ctx context.Context, uc *app.RemoteTokens) error {
		list, err := uc.List(ctx, c.Server)
		if err != nil {
			return err
		}
		return printTokens(rt.stdout, list, c.JSON)
	})
}

// TokenRevokeCmd is `haloy token revoke --server S <id|name>`.
type TokenRevokeCmd struct {
	Server string `short:"s" required:"" predictor:"server" help:"Server to revoke the token on; its stored token needs the admin scope."`
	Token  string `arg:"" name:"id|name" help:"The token's id or name, as 'haloy token list' shows them."`
}

// Run revokes the token.
func (c *TokenRevokeCmd) Run(rt *runtime) error {
	return invoke(rt, func(ctx context.Context, uc *app.RemoteTokens) error {
		r, err := uc.Revoke(ctx, c.Server, c.Token)
		if err != nil {
			return err
		}
		if r.Already {
			revoked := "-"
			if r.Info.RevokedAt != nil {
				revoked = showTime(*r.Info.RevokedAt, "-")
			}
			_, err = fmt.Fprintf(rt.stdout, "token %q (id %d) on %s was already revoked on %s\n", r.Info.Name, r.Info.ID, c.Server, revoked)
			return err
		}
		_, err = fmt.Fprintf(rt.stdout, "revoked token %q (id %d) on %s; the server refuses it from its next request\n", r.Info.Name, r.Info.ID, c.Server)
		return err
	})
}

// ServerRotateCmd is `haloy server rotate <server>... | --all`.
type ServerRotateCmd struct {
	Servers []string `arg:"" optional:"" name:"server" predictor:"server" help:"Servers whose stored token to replace."`
	All     bool     `help:"Rotate the stored token of every configured server."`
}

// Run rotates, one server after the other, and says what became of each.
func (c *ServerRotateCmd) Run(rt *runtime) error {
	return invoke(rt, func(ctx context.Context, uc *app.RotateServer) error {
		done, err := uc.Run(ctx, c.Servers, c.All)
		for _, r := range done {
			exp := "never expires"
			if !r.ExpiresAt.IsZero() {
				exp = "expires " + r.ExpiresAt.UTC().Format(time.DateOnly)
			}
			old := "the old one is revoked"
			if !r.OldRevoked {
				old = "the old one stops working at " + showTime(r.OldExpiresAt, "the end of its grace period")
			}
			fmt.Fprintf(rt.stdout, "rotated the token of %s (%q, in %s, %s); %s\n", r.Server, r.Name, r.TokenEnv, exp, old)
			if r.Warning != "" {
				rt.notes.Warn(r.Warning)
			}
		}
		return err
	})
}
