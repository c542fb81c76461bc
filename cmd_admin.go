package main

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"text/tabwriter"
	"time"

	"github.com/haloy-auth/haloy/app"
	"github.com/haloy-auth/haloy/core"
)

// AdminCommands are the commands of this area, embedded in the grammar.
type AdminCommands struct {
	Init  AdminInitCmd  `cmd:"" help:"Create the config and data directories, the config file and the token store, and print the first API token. Safe to run twice."`
	API   AdminAPICmd   `cmd:"" name:"api" help:"Manage the API: tokens."`
	Serve AdminServeCmd `cmd:"" help:"Serve the API in the foreground until SIGINT or SIGTERM."`
	Trust AdminTrustCmd `cmd:"" help:"Let CI jobs deploy with their OIDC identity instead of a stored token: add, list or remove trust policies."`
}

// AdminAPICmd groups `haloyadm api ...`.
type AdminAPICmd struct {
	Token AdminTokenCmd `cmd:"" help:"Create (the default), list, revoke or prune API tokens."`
}

// AdminTokenCmd groups `haloyadm api token ...`; without a subcommand it creates a token.
type AdminTokenCmd struct {
	Create AdminTokenCreateCmd `cmd:"" default:"withargs" help:"Create a token and print it on stdout, alone and only this once."`
	List   AdminTokenListCmd   `cmd:"" help:"List tokens: id, name, scopes, apps, created (when and by whom), expires, last used and status; never a token."`
	Revoke AdminTokenRevokeCmd `cmd:"" help:"Revoke a token at once: the running server refuses it from its next request."`
	Prune  AdminTokenPruneCmd  `cmd:"" help:"Delete the records of tokens that ended (expired or revoked) more than --older-than ago, 30d by default; tokens still working are never touched."`
}

// timeLayout shows times in lists and notes, always in UTC.
const timeLayout = "2006-01-02 15:04 UTC"

func showTime(t time.Time, zero string) string {
	if t.IsZero() {
		return zero
	}
	return t.UTC().Format(timeLayout)
}

// AdminInitCmd is `haloyadm init [--api-domain D]`.
type AdminInitCmd struct {
	APIDomain string `name:"api-domain" placeholder:"DOMAIN" help:"Domain clients reach the API on, e.g. api.example.com; used in the 'haloy server add' hint."`
}

// Run initializes the server; the first token goes to stdout alone.
func (c *AdminInitCmd) Run(rt *runtime) error {
	return invoke(rt, func(ctx context.Context, uc *app.InitServer) error {
		r, err := uc.Run(ctx, c.APIDomain)
		if err != nil {
			return err
		}
		if r.First.Token == "" {
			switch {
			case r.DomainChanged && r.PreviousAPIDomain != "":
				rt.notes.Info("API domain changed from " + r.PreviousAPIDomain + " to " + r.APIDomain + "; clients add the server with: haloy server add " + r.APIDomain + " --token-stdin")
			case r.DomainChanged:
				rt.notes.Info("API domain set to " + r.APIDomain)
			}
			rt.notes.Info("already initialized; a token is shown only when it is created. Create a new one with: haloyadm api token")
			if r.APIDomain == "" {
				rt.notes.Info("no API domain is set; set it with: haloyadm init --api-domain <api-domain>")
			}
			return nil
		}
		rt.notes.Info("initialized")
		return printIssued(rt, r.First)
	})
}

// printIssued prints the token alone on stdout, so that
// TOKEN=$(haloyadm api token) works, and the next step on stderr.
func printIssued(rt *runtime, t app.IssuedToken) error {
	if _, err := fmt.Fprintln(rt.stdout, t.Token); err != nil {
		return err
	}
	rt.notes.Info(fmt.Sprintf("created token %q (id %d), expires %s%s; it is shown only this once",
		t.Record.Name, t.Record.ID, showTime(t.Record.ExpiresAt, "never"), grantNote(t.Record.Grant)))
	domain := t.APIDomain
	if domain == "" {
		domain = "<api-domain>"
	}
	rt.notes.Info("next, on your machine: haloy server add " + domain + " --token-stdin (then paste the token)")
	return nil
}

// grantNote describes a restricted grant for the "created token" note, and
// says nothing of an unrestricted one.
func grantNote(g core.TokenGrant) string {
	var s string
	if g.Scopes != nil {
		s += ", scopes " + g.ScopeText()
	}
	if g.Apps != nil {
		s += ", apps " + g.AppText()
	}
	return s
}

// AdminTokenCreateCmd is `haloyadm api token [--name N] [--scope S] [--app A] [--expires D]`.
type AdminTokenCreateCmd struct {
	Name    string   `placeholder:"NAME" help:"Unique name, e.g. ci-production (letters, digits, '.', '_', '-'); default: token-<date>-<time>."`
	Scope   []string `placeholder:"SCOPE" help:"What the token may do: read (version, status, logs), deploy (plus read), admin (the token API, plus everything); comma-separated or repeated. Default: everything."`
	App     []string `placeholder:"APP" help:"Apps the token may deploy and read, comma-separated or repeated. Default: every app."`
	Expires string   `placeholder:"DURATION" default:"90d" help:"Lifetime: days (90d) or a Go duration (12h, 30m, 1s), or never."`
}

// Run creates a token.
func (c *AdminTokenCreateCmd) Run(rt *runtime) error {
	return invoke(rt, func(ctx context.Context, uc *app.CreateToken) error {
		t, err := uc.Run(ctx, app.CreateTokenInput{Name: c.Name, Expires: c.Expires, Scopes: c.Scope, Apps: c.App})
		if err != nil {
			return err
		}
		return printIssued(rt, t)
	})
}

// AdminTokenListCmd is `haloyadm api token list [--json]`.
type AdminTokenListCmd struct {
	JSON bool `name:"json" help:"Print a JSON array instead of a table."`
}

// printTokens prints a token list as a table or JSON (haloyadm api token
// list and haloy token list share it).
func printTokens(w io.Writer, list []core.TokenInfo, asJSON bool) error {
	if asJSON {
		if list == nil {
			list = []core.TokenInfo{}
		}
		enc := json.NewEncoder(w)
		enc.SetIndent("", "  ")
		return enc.Encode(list)
	}
	deref := func(t *time.Time) time.Time {
		if t == nil {
			return time.Time{}
		}
		return *t
	}
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
	fmt.Fprintln(tw, "ID\tNAME\tSCOPES\tAPPS\tCREATED\tCREATED BY\tEXPIRES\tLAST USED\tSTATUS")
	for _, t := range list {
		status := t.Status
		switch {
		case t.ReplacedBy != 0 && t.Status == string(core.TokenActive):
			status = fmt.Sprintf("rotated (replaced by id %d)", t.ReplacedBy)
		case t.Status == string(core.TokenRevoked):
			// a server that predates the field sends none: unknown
			status += " by " + core.ShowActor(t.RevokedBy)
		}
		g := core.TokenGrant{Scopes: t.Scopes, Apps: t.Apps}
		fmt.Fprintf(tw, "%d\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\n", t.ID, t.Name, g.ScopeText(), g.AppText(), showTime(t.CreatedAt, "-"),
			core.ShowActor(t.CreatedBy), showTime(deref(t.ExpiresAt), "never"), showTime(deref(t.LastUsedAt), "never"), status)
	}
	return tw.Flush()
}

// Run lists the tokens.
func (c *AdminTokenListCmd) Run(rt *runtime) error {
	return invoke(rt, func(ctx context.Context, uc *app.ListTokens) error {
		list, err := uc.Run(ctx)
		if err != nil {
			if c.JSON { // valid JSON always
				fmt.Fprintln(rt.stdout, "[]")
			}
			return err
		}
		if len(list) == 0 && !c.JSON {
			rt.notes.Info("no tokens; create one with: haloyadm api token")
			return nil
		}
		infos := make([]core.TokenInfo, len(list))
		for i, t := range list {
			infos[i] = t.Info(time.Time{})
			infos[i].Status = string(t.Status)
		}
		return printTokens(rt.stdout, infos, c.JSON)
	})
}

// AdminTokenRevokeCmd is `haloyadm api token revoke <id|name>`.
type AdminTokenRevokeCmd struct {
	Token string `arg:"" name:"id|name" predictor:"token" help:"The token's id or name, as 'haloyadm api token list' shows them."`
}

// Run revokes the token.
func (c *AdminTokenRevokeCmd) Run(rt *runtime) error {
	return invoke(rt, func(ctx context.Context, uc *app.RevokeToken) error {
		r, err := uc.Run(ctx, c.Token)
		if err != nil {
			return err
		}
		if r.Already {
			_, err = fmt.Fprintf(rt.stdout, "token %q (id %d) was already revoked on %s\n", r.Token.Name, r.Token.ID, showTime(r.Token.RevokedAt, "-"))
			return err
		}
		_, err = fmt.Fprintf(rt.stdout, "revoked token %q (id %d); the server refuses it from its next request\n", r.Token.Name, r.Token.ID)
		return err
	})
}

// AdminTokenPruneCmd is `haloyadm api token prune [--older-than D] [--dry-run] [--json]`.
type AdminTokenPruneCmd struct {
	OlderThan string `name:"older-than" placeholder:"DURATION" default:"30d" help:"Prune tokens that ended more than this long ago: days (30d) or a Go duration (12h), at least 1h. The default keeps a month of ended tokens for audit."`
	DryRun    bool   `name:"dry-run" help:"List the tokens that would be pruned, and delete none."`
	JSON      bool   `name:"json" help:"Print a JSON array of the tokens, as 'list --json' does, instead of a table."`
}

// Run prunes the tokens: a table of them, then a summary line.
func (c *AdminTokenPruneCmd) Run(rt *runtime) error {
	return invoke(rt, func(ctx context.Context, uc *app.PruneTokens) error {
		r, err := uc.Run(ctx, app.PruneTokensInput{OlderThan: c.OlderThan, DryRun: c.DryRun})
		if err != nil {
			if c.JSON { // valid JSON always; a failed prune deleted nothing
				fmt.Fprintln(rt.stdout, "[]")
			}
			return err
		}
		if c.JSON {
			infos := make([]core.TokenInfo, len(r.Tokens))
			for i, t := range r.Tokens {
				infos[i] = t.Info(time.Time{})
				infos[i].Status = string(t.Status)
			}
			return printTokens(rt.stdout, infos, true)
		}
		before := showTime(r.Before, "-")
		if len(r.Tokens) == 0 {
			_, err := fmt.Fprintf(rt.stdout, "nothing to prune: no token ended before %s\n", before)
			return err
		}
		tw := tabwriter.NewWriter(rt.stdout, 0, 0, 2, ' ', 0)
		fmt.Fprintln(tw, "ID\tNAME\tENDED\tSTATUS")
		for _, t := range r.Tokens {
			status := string(t.Status)
			switch {
			case t.Status == core.TokenRevoked:
				status += " by " + core.ShowActor(t.RevokedBy)
			case t.ReplacedBy != 0:
				status += fmt.Sprintf(" (rotated, replaced by id %d)", t.ReplacedBy)
			}
			fmt.Fprintf(tw, "%d\t%s\t%s\t%s\n", t.ID, t.Name, showTime(t.EndedAt(), "-"), status)
		}
		if err := tw.Flush(); err != nil {
			return err
		}
		n := fmt.Sprintf("%d token", len(r.Tokens))
		if len(r.Tokens) > 1 {
			n += "s"
		}
		if c.DryRun {
			_, err = fmt.Fprintf(rt.stdout, "would prune %s that ended before %s; nothing was deleted (--dry-run)\n", n, before)
			return err
		}
		_, err = fmt.Fprintf(rt.stdout, "pruned %s that ended before %s\n", n, before)
		return err
	})
}

// AdminServeCmd is `haloyadm serve`.
type AdminServeCmd struct {
	Listen  string `placeholder:"HOST:PORT" default:"127.0.0.1:9922" help:"Address to listen on; port 0 picks a free port."`
	TLSCert string `name:"tls-cert" placeholder:"FILE" type:"path" help:"PEM certificate chain; with --tls-key, serve HTTPS (TLS 1.2 or later)."`
	TLSKey  string `name:"tls-key" placeholder:"FILE" type:"path" help:"PEM private key of --tls-cert."`
	// TrustedProxy is repeatable; none by default.
	TrustedProxy []string `name:"trusted-proxy" placeholder:"CIDR" help:"Reverse proxy (IP or CIDR) whose X-Forwarded-For or Forwarded header names the client, so that failed attempts are limited per real client; repeatable."`
}

// serveLogDelay is how long a line of haloyadm serve's log may wait to be
// written with the lines after it (console.Notifier.Batch).
const serveLogDelay = 20 * time.Millisecond

// Run serves until the context ends (main cancels it on SIGINT and SIGTERM).
// Its log, a line per API call, is written in batches: written the moment
// they are made, the lines cost more CPU than the calls.
func (c *AdminServeCmd) Run(rt *runtime) error {
	defer rt.notes.Batch(serveLogDelay)()
	return invoke(rt, func(ctx context.Context, uc *app.Serve) error {
		return uc.Run(ctx, core.ServeOptions{Listen: c.Listen, TLSCert: c.TLSCert, TLSKey: c.TLSKey, Version: version, TrustedProxies: c.TrustedProxy})
	})
}
