package main

import (
	"context"
	"fmt"
	"io"
	"strings"
	"sync"
	"text/tabwriter"
	"time"

	"github.com/haloy-auth/haloy/app"
)

// DeployCommands are the commands of this area, embedded in the grammar.
type DeployCommands struct {
	Deploy DeployCmd `cmd:"" help:"Deploy the app: check each server and token, then run the config's hooks around each target's deployment and follow its log to the end."`
	Status StatusCmd `cmd:"" help:"Show the app's status on each target's server: state, deployment, containers, domains, and recorded deployments."`
}

// DeployCmd is `haloy deploy [-c PATH] [-t NAME...] [-a [--include-protected]] [--no-logs]`.
type DeployCmd struct {
	ConfigFlags
	IncludeProtected bool `help:"With --all, deploy the protected targets too (protected: true, or preset: database); --all leaves them out otherwise."`
	NoLogs           bool `help:"Send each deployment without following its log (haloy status shows how it ends); post_deploy hooks are then not run. Exit 0 once every deployment is accepted."`
}

// Run deploys and prints each target's progress and deployment log as it
// happens, each line prefixed with the target, then a summary. The exit
// code is 0 only when every target's deployment completed.
func (c *DeployCmd) Run(rt *runtime) error {
	return invoke(rt, func(ctx context.Context, uc *app.Deploy) error {
		out := &prefixed{w: rt.stdout}
		res, err := uc.Run(ctx, app.DeployInput{Config: c.Config, Targets: c.Target, All: c.All, IncludeProtected: c.IncludeProtected, NoLogs: c.NoLogs, Quiet: rt.quiet, Begin: out.begin, Progress: out.line})
		if len(res.Targets) > 0 {
			summary(rt.stdout, res)
		}
		return err
	})
}

// summary prints one row per target: its state and deployment id, then
// the last error lines of each failed deployment's log.
func summary(w io.Writer, res app.DeployResult) {
	failed, accepted := len(res.Failed()), 0
	for _, t := range res.Targets {
		if t.State == app.Accepted {
			accepted++
		}
	}
	if accepted > 0 {
		// --no-logs: none was followed to its end
		fmt.Fprintf(w, "\n%d of %d deployments accepted, not followed (--no-logs); haloy status shows how they end\n", accepted, len(res.Targets))
	} else {
		fmt.Fprintf(w, "\n%d of %d targets deployed\n", len(res.Targets)-failed, len(res.Targets))
	}
	tw := tabwriter.NewWriter(w, 0, 4, 2, ' ', 0)
	for _, t := range res.Targets {
		state, id := t.State, t.DeploymentID
		switch {
		case state == "" && t.Err != nil:
			state = app.Failed
		case state == "":
			state = app.Deployed
		}
		switch {
		case t.Hook != "" && state == app.Deployed:
			state += ", " + t.Hook + " failed"
		case t.Hook != "":
			state += " in " + t.Hook
		}
		if id == "" {
			id = "-"
		}
		fmt.Fprintf(tw, "  %s\t%s\t%s\t%s\n", label(t.Target, t.App), t.Server, state, id)
	}
	tw.Flush()
	for _, t := range res.Targets {
		for _, l := range t.LastErrors {
			fmt.Fprintf(w, "  %s | %s\n", label(t.Target, t.App), l)
		}
	}
}

// prefixed writes whole lines, each prefixed with its target, from
// concurrent callers, aligning the prefixes it has seen.
type prefixed struct {
	mu    sync.Mutex
	w     io.Writer
	width int
}

// begin sets the prefix width from every target's name.
func (p *prefixed) begin(targets []string) {
	p.mu.Lock()
	defer p.mu.Unlock()
	for _, t := range targets {
		p.width = max(p.width, len(prefix(t)))
	}
}

// prefix is what a target's lines start with.
func prefix(target string) string {
	if target == "" {
		return "deploy"
	}
	return target
}

func (p *prefixed) line(target, line string) {
	p.mu.Lock()
	defer p.mu.Unlock()
	target = prefix(target)
	p.width = max(p.width, len(target))
	fmt.Fprintf(p.w, "%-*s | %s\n", p.width, target, line)
}

// StatusCmd is `haloy status [-c PATH] [-t NAME...] [-a]`.
type StatusCmd struct {
	ConfigFlags
}

// Run prints each target's status as a table: Haloy's fields, then the
// deployments haloyadm serve recorded, when the server sends them.
func (c *StatusCmd) Run(rt *runtime) error {
	return invoke(rt, func(ctx context.Context, uc *app.Status) error {
		res, err := uc.Run(ctx, app.StatusInput{Config: c.Config, Targets: c.Target, All: c.All, Quiet: rt.quiet})
		if len(res) == 0 {
			return err
		}
		tw := tabwriter.NewWriter(rt.stdout, 0, 4, 2, ' ', 0)
		fmt.Fprintln(tw, "TARGET\tSERVER\tSTATE\tDEPLOYMENT\tCONTAINERS\tDOMAINS")
		records := false
		for _, t := range res {
			name := label(t.Target, t.App)
			switch {
			case t.Err != nil:
				fmt.Fprintf(tw, "%s\t%s\tfailed (see below)\t-\t-\t-\n", name, t.Server)
			case !t.Known:
				fmt.Fprintf(tw, "%s\t%s\tnone\t-\t-\t-\n", name, t.Server)
			default:
				records = records || len(t.Deployments) > 0
				var containers, domains []string
				for _, id := range t.ContainerIDs {
					containers = append(containers, id[:min(12, len(id))])
				}
				for _, d := range t.Domains {
					domains = append(domains, d.Domain)
				}
				fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\t%s\n", name, t.Server, dash(t.State), dash(t.DeploymentID),
					dash(strings.Join(containers, ",")), dash(strings.Join(domains, ",")))
			}
		}
		if records {
			fmt.Fprintln(tw, "\nTARGET\tSERVER\tRECORDED\tRECEIVED\tIMAGE\tTOKEN")
			for _, t := range res {
				for _, d := range t.Deployments {
					image := d.Image.Repository
					if d.Image.Tag != "" {
						image += ":" + d.Image.Tag
					}
					fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\t%s\n", label(t.Target, t.App), t.Server, d.ID, d.ReceivedAt.UTC().Format(time.RFC3339), image, dash(d.TokenName))
				}
			}
		}
		if ferr := tw.Flush(); ferr != nil {
			return ferr
		}
		return err
	})
}

// label names a target in output: its name, or the app's for a config
// without targets.
func label(target, app string) string {
	if target == "" {
		return strings.TrimSpace(app)
	}
	return target
}
