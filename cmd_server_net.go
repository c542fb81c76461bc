package main

import (
	"context"
	"encoding/json"
	"fmt"
	"strconv"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/haloy-auth/haloy/app"
	"github.com/haloy-auth/haloy/core"
)

// verify runs the --verify check of server add before anything is saved;
// without --verify it does nothing.
func (c *ServerAddCmd) verify(rt *runtime, tok string) error {
	if !c.Verify {
		return nil
	}
	return invoke(rt, func(ctx context.Context, uc *app.VerifyServer) error {
		v, err := uc.Run(ctx, core.AddServer{Server: c.Server, Token: tok, CACert: c.CACert, Force: c.Force})
		if err != nil {
			return err
		}
		msg := "verified: the server runs haloyd " + v.Haloyd + " and accepted the token"
		if v.TokenName != "" {
			msg += " " + strconv.Quote(v.TokenName)
		}
		rt.notes.Info(msg)
		return nil
	})
}

// ServerVersionCmd is `haloy server version [--server S]`.
type ServerVersionCmd struct {
	Server string `short:"s" predictor:"server" help:"Server to ask, e.g. production.haloy.com; needed when several are configured."`
}

// Run prints the server's version, which token it accepted, and the
// capabilities a Haloy server reports.
func (c *ServerVersionCmd) Run(rt *runtime) error {
	return invoke(rt, func(ctx context.Context, uc *app.ServerVersion) error {
		uc.Quiet = rt.quiet
		r, err := uc.Run(ctx, c.Server)
		if err != nil {
			return err
		}
		line := fmt.Sprintf("%s: haloyd %s", r.Server, r.Version.Haloyd)
		if r.Version.TokenName != "" {
			line += ", token " + strconv.Quote(r.Version.TokenName)
		}
		line += " from " + r.TokenSource
		if r.Version.TokenExpiresAt != nil {
			line += ", expires " + r.Version.TokenExpiresAt.UTC().Format(time.DateOnly)
		}
		if p := r.Version.Proxy; p != "" {
			line += "; proxy " + p
		}
		if cs := r.Version.Capabilities; len(cs) > 0 {
			line += "; capabilities: " + strings.Join(cs, ", ")
		}
		_, err = fmt.Fprintln(rt.stdout, line)
		return err
	})
}

// ServerCheckCmd is `haloy server check [<server>...] [--json]`.
type ServerCheckCmd struct {
	Servers []string `arg:"" optional:"" name:"server" predictor:"server" help:"Servers to check; every configured one when none is given."`
	JSON    bool     `help:"Print a JSON array instead of a table."`
}

// Run checks the servers at once and prints one row each; it fails when any
// server fails.
func (c *ServerCheckCmd) Run(rt *runtime) error {
	return invoke(rt, func(ctx context.Context, uc *app.CheckServers) error {
		uc.Quiet = rt.quiet
		checks, err := uc.Run(ctx, c.Servers)
		if c.JSON {
			// valid JSON always, [] when nothing was checked
			if checks == nil {
				checks = []app.ServerCheck{}
			}
			enc := json.NewEncoder(rt.stdout)
			enc.SetIndent("", "  ")
			if jerr := enc.Encode(checks); jerr != nil {
				return jerr
			}
			return err
		}
		if checks == nil {
			return err
		}
		tw := tabwriter.NewWriter(rt.stdout, 0, 4, 2, ' ', 0)
		fmt.Fprintln(tw, "SERVER\tREACHABLE\tTOKEN\tEXPIRES\tSCOPES\tAPPS\tVERSION\tTOKEN SOURCE")
		for _, ch := range checks {
			reachable := yesNo(ch.Reachable)
			if ch.Interrupted && !ch.Reachable {
				reachable = "not checked"
			}
			expires, scopes, apps := "-", "-", "-"
			if ch.TokenAccepted {
				g := core.TokenGrant{Scopes: ch.TokenScopes, Apps: ch.TokenApps}
				expires, scopes, apps = "never", g.ScopeText(), g.AppText()
				if ch.TokenExpiresAt != nil {
					expires = ch.TokenExpiresAt.UTC().Format(time.DateOnly)
				}
			}
			fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\n", ch.Server, reachable, tokenState(ch), expires, scopes, apps, dash(ch.Version), dash(ch.TokenSource))
		}
		if ferr := tw.Flush(); ferr != nil {
			return ferr
		}
		for _, ch := range checks {
			if ch.Warning != "" {
				rt.notes.Warn(ch.Warning)
			}
			if ch.Problem != "" {
				fmt.Fprintf(rt.stdout, "%s: %s\n", ch.Server, ch.Problem)
			}
		}
		return err
	})
}

func yesNo(b bool) string {
	if b {
		return "yes"
	}
	return "no"
}

func dash(s string) string {
	if s == "" {
		return "-"
	}
	return s
}

// tokenState says what became of a server's token in the check.
func tokenState(c app.ServerCheck) string {
	switch {
	case c.TokenAccepted && c.TokenName != "":
		return "accepted (" + c.TokenName + ")"
	case c.TokenAccepted:
		return "accepted"
	case c.Interrupted:
		return "interrupted"
	case c.TokenSource == "":
		return "none found"
	case !c.Reachable:
		return "not checked"
	default:
		return "rejected"
	}
}
