package app

import (
	"context"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/oklog/ulid/v2"

	"github.com/haloy-auth/haloy/core"
	"github.com/haloy-auth/haloy/ports"
)

// Deploy deploys an app's targets: it resolves each target's server and
// token (Resolve), checks every distinct server and token once
// (/v1/version) before anything is deployed, then sends one deployment per
// target, targets on different servers in parallel.
type Deploy struct {
	resolve *Resolve
	store   ports.ClientStore
	api     ports.ServerAPI
	ci      ports.CIIdentity
	notes   ports.Notifier
	now     func() time.Time
	newID   func() string
}

// NewDeploy returns the use case.
func NewDeploy(resolve *Resolve, store ports.ClientStore, api ports.ServerAPI, ci ports.CIIdentity, notes ports.Notifier) *Deploy {
	return &Deploy{resolve: resolve, store: store, api: api, ci: ci, notes: notes, now: time.Now,
		newID: func() string { return ulid.Make().String() }}
}

// DeployInput says what to deploy and where progress goes.
type DeployInput struct {
	// Config, Targets and All choose the config and its targets, as for Resolve.
	Config  string
	Targets []string
	All     bool
	// Begin, when set, receives the chosen targets' names once they are
	// known, before any progress line.
	Begin func(targets []string)
	// Progress, when set, receives each progress line of a target, as it
	// happens; calls for different targets may be concurrent.
	Progress func(target, line string)
}

// DeployResult is what happened to each target, in the order chosen.
type DeployResult struct {
	// File is the config file read.
	File    string
	Targets []TargetOutcome
}

// TargetOutcome is one target's deployment.
type TargetOutcome struct {
	// Target is the target's name, "" for a config without targets.
	Target, App, Server string
	// DeploymentID is the id the server accepted; "" when it failed.
	DeploymentID string
	// Err is why the target failed; nil when it was deployed.
	Err error
}

// Failed returns the outcomes that failed.
func (r DeployResult) Failed() []TargetOutcome {
	var out []TargetOutcome
	for _, t := range r.Targets {
		if t.Err != nil {
			out = append(out, t)
		}
	}
	return out
}

// Run deploys in. Resolution problems, a server that cannot be reached or
// a rejected token stop everything before the first deployment: the error
// joins every problem, each prefixed with its target, and the result is
// empty. Once deployments start, every target is tried; the result says
// which failed and the error joins their errors and a summary.
func (uc *Deploy) Run(ctx context.Context, in DeployInput) (DeployResult, error) {
	say := in.Progress
	if say == nil {
		say = func(string, string) {}
	}
	res, err := uc.resolve.Run(ctx, ResolveInput{Config: in.Config, Targets: in.Targets, All: in.All, RequireSingle: true})
	if err != nil {
		return DeployResult{}, err
	}
	if err := res.Err(); err != nil {
		return DeployResult{}, err
	}
	st, err := uc.store.Load(ctx)
	if err != nil {
		return DeployResult{}, err
	}
	// An app without targets is named by the app's name in the progress
	// lines, as in the summary.
	if len(res.Targets) == 1 && res.Targets[0].Target == "" && res.Targets[0].App != "" {
		app, inner := strings.TrimSpace(res.Targets[0].App), say
		say = func(target, line string) {
			if target == "" {
				target = app
			}
			inner(target, line)
		}
	}
	if in.Begin != nil {
		names := make([]string, len(res.Targets))
		for i, t := range res.Targets {
			names[i] = t.Target
			if t.Target == "" {
				names[i] = strings.TrimSpace(t.App)
			}
		}
		in.Begin(names)
	}
	eps := make([]core.Endpoint, len(res.Targets))
	for i, t := range res.Targets {
		eps[i] = targetEndpoint(t, st, res.File)
		say(t.Target, "server "+t.Server+" ("+t.ServerWhy+"); token: "+t.TokenSource)
	}
	if err := exchangeIdentities(ctx, uc.ci, uc.api, res.Targets, eps, say); err != nil {
		return DeployResult{}, errors.Join(err, &core.Error{Kind: kindOf(err), What: "nothing was deployed"})
	}
	if err := uc.check(ctx, res.Targets, eps, say); err != nil {
		return DeployResult{}, err
	}
	out := DeployResult{File: res.File, Targets: make([]TargetOutcome, len(res.Targets))}
	// one worker per server, in parallel; a server's targets go one after the other
	byServer := map[string][]int{}
	var order []string
	for i, t := range res.Targets {
		if _, ok := byServer[t.Server]; !ok {
			order = append(order, t.Server)
		}
		byServer[t.Server] = append(byServer[t.Server], i)
	}
	var wg sync.WaitGroup
	for _, s := range order {
		wg.Go(func() {
			for _, i := range byServer[s] {
				out.Targets[i] = uc.deployOne(ctx, res.Targets[i], eps[i], say)
			}
		})
	}
	wg.Wait()
	failed := out.Failed()
	if len(failed) == 0 {
		return out, nil
	}
	errs := make([]error, 0, len(failed)+1)
	names := make([]string, 0, len(failed))
	for _, f := range failed {
		errs = append(errs, forTarget(f.Target, f.Err))
		names = append(names, targetLabel(f.Target, f.App))
	}
	errs = append(errs, &core.Error{Kind: kindOf(failed[0].Err),
		What: fmt.Sprintf("%d of %d targets failed: %s", len(failed), len(out.Targets), strings.Join(names, ", "))})
	return out, errors.Join(errs...)
}

// check asks each distinct server and token pair for /v1/version once,
// concurrently, and returns every failure, each prefixed with the first
// target that uses the pair.
func (uc *Deploy) check(ctx context.Context, targets []ResolvedTarget, eps []core.Endpoint, say func(string, string)) error {
	type pair struct {
		server string
		token  core.Secret
	}
	first := map[pair]int{}
	var idx []int
	for i, ep := range eps {
		p := pair{ep.Server, ep.Token}
		if _, ok := first[p]; !ok {
			first[p] = i
			idx = append(idx, i)
		}
	}
	errs := make([]error, len(idx))
	var wg sync.WaitGroup
	for k, i := range idx {
		wg.Go(func() {
			v, err := uc.api.Version(ctx, eps[i])
			if err != nil {
				errs[k] = forTarget(targets[i].Target, err)
				return
			}
			line := "server " + eps[i].Server + " runs haloyd " + v.Haloyd + "; token accepted"
			if v.TokenName != "" {
				line += " (" + strconv.Quote(v.TokenName) + ")"
			}
			say(targets[i].Target, line)
			if note := expiryNote(eps[i], v, uc.now()); note != "" {
				uc.notes.Warn(note)
			}
		})
	}
	wg.Wait()
	if err := errors.Join(errs...); err != nil {
		return errors.Join(err, &core.Error{Kind: kindOf(err), What: "nothing was deployed"})
	}
	return nil
}

// deployOne sends one target's deployment.
func (uc *Deploy) deployOne(ctx context.Context, t ResolvedTarget, ep core.Endpoint, say func(string, string)) TargetOutcome {
	o := TargetOutcome{Target: t.Target, App: t.App, Server: t.Server}
	d := core.Deployment{ID: uc.newID(), App: t.App, Target: t.Target,
		Image: core.Image{Repository: t.Config.Image.Repository, Tag: t.Config.Image.Tag}, Domains: t.Config.Domains}
	for _, e := range t.Config.Env {
		d.EnvNames = append(d.EnvNames, e.Name)
	}
	image := d.Image.Repository
	if d.Image.Tag != "" {
		image += ":" + d.Image.Tag
	}
	say(t.Target, "deploying "+t.App+" ("+image+") to "+t.Server+" as "+d.ID)
	r, err := uc.api.Deploy(ctx, ep, d)
	if err != nil {
		o.Err = err
		say(t.Target, "failed: "+err.Error())
		return o
	}
	o.DeploymentID = r.DeploymentID
	say(t.Target, "deployment "+r.DeploymentID+" "+r.Status)
	return o
}

// targetLabel names a target in summaries: its name, or the app's.
func targetLabel(target, app string) string {
	if target == "" {
		return app
	}
	return target
}
