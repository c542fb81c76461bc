package app

import (
	"context"
	"errors"
	"fmt"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/oklog/ulid/v2"

	"github.com/haloy-auth/haloy/core"
	"github.com/haloy-auth/haloy/ports"
)

// Deploy deploys an app's targets: it resolves each target's server and
// token (Resolve), builds and checks every target's request, checks every
// distinct server and token once (/v1/version) before anything is
// deployed, then sends one deployment per target, targets on different
// servers in parallel, and follows each deployment's log to its end. The
// config's hooks run around them (docs/deploying.md): global_pre_deploy
// first, each target's pre_deploy before its deployment and post_deploy
// after it completed, global_post_deploy when every target did.
type Deploy struct {
	resolve *Resolve
	store   ports.ClientStore
	api     ports.ServerAPI
	ci      ports.CIIdentity
	cmds    ports.Commands
	notes   ports.Notifier
	now     func() time.Time
	newID   func() string
	// resumes is how many times a dropped log stream is reconnected;
	// backoff how long to wait before the first, doubled each time.
	resumes int
	backoff time.Duration
}

// NewDeploy returns the use case.
func NewDeploy(resolve *Resolve, store ports.ClientStore, api ports.ServerAPI, ci ports.CIIdentity, cmds ports.Commands,
	notes ports.Notifier) *Deploy {
	return &Deploy{resolve: resolve, store: store, api: api, ci: ci, cmds: cmds, notes: notes, now: time.Now,
		// Haloy's ids: lower case, so that they compare as text in time order
		newID:   func() string { return strings.ToLower(ulid.Make().String()) },
		resumes: 3, backoff: time.Second}
}

// DeployInput says what to deploy and where progress goes.
type DeployInput struct {
	// Config, Targets and All choose the config and its targets, as for Resolve.
	Config  string
	Targets []string
	All     bool
	// IncludeProtected is --include-protected: All takes the protected
	// targets too (protected: true, or preset: database).
	IncludeProtected bool
	// NoLogs is --no-logs (Haloy's flag): each deployment is sent and not
	// followed; its outcome is Accepted, and the post hooks, which run only
	// after a completed deployment, are not run.
	NoLogs bool
	// Begin, when set, receives the chosen targets' names once they are
	// known, before any progress line.
	Begin func(targets []string)
	// Progress, when set, receives each progress line of a target, as it
	// happens; calls for different targets may be concurrent.
	Progress func(target, line string)
	// Quiet silences the warning about tokens that expire soon.
	Quiet bool
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
	// DeploymentID is the id the server accepted; "" when it did not.
	DeploymentID string
	// State is Deployed, Failed, Unknown or Interrupted; "" when the
	// server did not accept the deployment.
	State string
	// LastErrors are the last error lines of a failed deployment's log.
	LastErrors []string
	// Hook is the hook that failed, spelled as in the config (pre_deploy,
	// postDeploy); "" when none did.
	Hook string
	// Err is why the target failed; nil when it was deployed.
	Err error
}

// The states of a deployment the server accepted.
const (
	// Deployed: the log ended with the deployment complete.
	Deployed = "deployed"
	// Failed: the log ended with the deployment failed.
	Failed = "FAILED"
	// Unknown: the log stream was lost before its end.
	Unknown = "UNKNOWN"
	// Interrupted: the user stopped following (Ctrl-C).
	Interrupted = "INTERRUPTED"
	// Accepted: the server accepted the deployment and, with --no-logs,
	// its log was not followed: how it ends is not known here.
	Accepted = "accepted"
)

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
	res, err := uc.resolve.Run(ctx, ResolveInput{Config: in.Config, Targets: in.Targets, All: in.All, RequireSingle: true,
		LeaveOutProtected: !in.IncludeProtected})
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
	// lines, as in the summary; the global hooks' lines by GlobalLabel.
	if len(res.Targets) == 1 && res.Targets[0].Target == "" && res.Targets[0].App != "" {
		app, inner := strings.TrimSpace(res.Targets[0].App), say
		say = func(target, line string) {
			if target == "" {
				target = app
			}
			inner(target, line)
		}
	}
	// every request is built and checked, with the server's own check,
	// before anything is sent
	var problems []error
	reqs := make([]core.DeployRequest, len(res.Targets))
	for i, t := range res.Targets {
		if t.Config.Image == nil || t.Config.Image.Repository == "" {
			problems = append(problems, forTarget(t.Target, &core.Error{Kind: core.Invalid,
				What: "no image to deploy for app " + strconv.Quote(t.App), Why: res.File + " sets no image.repository",
				Fix: "add to " + res.File + ": image: {repository: ghcr.io/you/" + t.App + ", tag: latest}"}))
			continue
		}
		if t.Config.Image.Registry != nil {
			uc.notes.Warn(targetLabel(t.Target, t.App) + ": image.registry's credentials are not sent to the server " +
				"(haloy sends no secret but the app's env); log the server in to the registry instead (on Haloy: haloy registries login)")
		}
		reqs[i] = core.NewDeployRequest(uc.newID(), t.App, t.Server, t.Config, t.Env, res.SecretProviders)
		if err := core.CheckDeployRequest(reqs[i]); err != nil {
			var ce *core.Error
			if errors.As(err, &ce) && ce.Fix == "" {
				c := *ce
				c.Fix = "fix it in " + res.File
				err = &c
			}
			problems = append(problems, forTarget(t.Target, err))
		}
	}
	if len(problems) > 0 {
		return DeployResult{}, errors.Join(problems...)
	}
	if in.Begin != nil {
		names := make([]string, len(res.Targets))
		for i, t := range res.Targets {
			names[i] = t.Target
			if t.Target == "" {
				names[i] = strings.TrimSpace(t.App)
			}
		}
		if len(res.GlobalPreDeploy)+len(res.GlobalPostDeploy) > 0 {
			names = append(names, GlobalLabel)
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
	if err := uc.check(ctx, res.Targets, eps, say, newExpiryWarner(uc.resolve.env, in.Quiet)); err != nil {
		return DeployResult{}, err
	}
	h := hooks{cmds: uc.cmds, dir: filepath.Dir(res.File), say: say, res: res}
	for _, ep := range eps {
		h.tokens = append(h.tokens, ep.Token)
	}
	if err := h.run(ctx, GlobalLabel, "global_pre_deploy", res.GlobalPreDeploy); err != nil {
		return DeployResult{}, errors.Join(err, &core.Error{Kind: kindOf(err), What: "nothing was deployed"})
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
				out.Targets[i] = uc.deployOne(ctx, res.Targets[i], eps[i], reqs[i], h, in.NoLogs)
			}
		})
	}
	wg.Wait()
	failed := out.Failed()
	if len(failed) == 0 {
		if in.NoLogs {
			if len(res.GlobalPostDeploy) > 0 {
				say(GlobalLabel, res.KeyName("global_post_deploy")+" not run: it runs only once every deployment completed, which --no-logs does not wait for")
			}
			return out, nil
		}
		return out, h.run(ctx, GlobalLabel, "global_post_deploy", res.GlobalPostDeploy)
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
func (uc *Deploy) check(ctx context.Context, targets []ResolvedTarget, eps []core.Endpoint, say func(string, string), warn *expiryWarner) error {
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
			if len(v.Capabilities) > 0 {
				line += "; capabilities: " + strings.Join(v.Capabilities, ", ")
			}
			say(targets[i].Target, line)
			if note := warn.note(eps[i], v, uc.now()); note != "" {
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

// deployOne runs one target's pre_deploy hooks, sends its deployment,
// follows its log and, once it is deployed, runs its post_deploy hooks.
func (uc *Deploy) deployOne(ctx context.Context, t ResolvedTarget, ep core.Endpoint, req core.DeployRequest, h hooks, noLogs bool) TargetOutcome {
	o := TargetOutcome{Target: t.Target, App: t.App, Server: t.Server}
	say := h.say
	if err := h.run(ctx, t.Target, "pre_deploy", t.Config.PreDeploy); err != nil {
		o.Err, o.Hook = err, h.res.KeyName("pre_deploy")
		if ctx.Err() != nil {
			o.State = Interrupted
		}
		return o
	}
	id := req.DeploymentID
	img := req.TargetConfig.Image.Repository
	if tag := req.TargetConfig.Image.Tag; tag != "" {
		img += ":" + tag
	}
	say(t.Target, "deploying "+t.App+" ("+img+") to "+t.Server+" as "+id)
	if err := uc.api.Deploy(ctx, ep, req); err != nil {
		o.Err = err
		say(t.Target, "failed: "+err.Error())
		return o
	}
	o.DeploymentID = id
	if noLogs {
		o.State = Accepted
		say(t.Target, "deployment "+id+" accepted; not following its log (--no-logs): haloy status shows how it ends")
		if len(t.Config.PostDeploy) > 0 {
			say(t.Target, h.res.KeyName("post_deploy")+" not run: it runs only after a completed deployment, which --no-logs does not wait for")
		}
		return o
	}
	say(t.Target, "deployment "+id+" accepted; following its log")
	o.State, o.LastErrors, o.Err = uc.follow(ctx, t, ep, id, say)
	if o.State != Deployed {
		return o // a post hook after a failed or unknown deployment would be wrong
	}
	if err := h.run(ctx, t.Target, "post_deploy", t.Config.PostDeploy); err != nil {
		o.Err, o.Hook = err, h.res.KeyName("post_deploy")
	}
	return o
}

// GlobalLabel names the global hooks' progress lines.
const GlobalLabel = "global"

// hooks runs a deployment's hook commands in the config's directory.
type hooks struct {
	cmds ports.Commands
	dir  string
	say  func(target, line string)
	res  Resolution
	// tokens are the deployment's API tokens, never printed, should a
	// hook print one it found in the process environment.
	tokens []core.Secret
}

// run runs the commands of the hook key (snake_case) in order, each
// announced as a progress line of label and followed by its output lines;
// the first that fails (or is stopped) ends the run with an error that
// names it.
func (h hooks) run(ctx context.Context, label, key string, cmds []string) error {
	field := h.res.KeyName(key)
	for i, c := range cmds {
		n := fmt.Sprintf("%s %d/%d", field, i+1, len(cmds))
		h.say(label, n+": "+h.printable(c))
		err := h.cmds.Run(ctx, h.dir, c, func(l string) { h.say(label, n+"> "+h.printable(l)) })
		if err == nil {
			continue
		}
		which := fmt.Sprintf("%s (%d of %d)", strconv.Quote(c), i+1, len(cmds))
		if ctx.Err() != nil {
			return &core.Error{Kind: core.Interrupted, What: field + " hook stopped: " + which, Why: "interrupted", Err: err}
		}
		dir := h.dir
		if dir == "." {
			dir = "the current directory"
		}
		why := err.Error() + ", in " + dir
		if key == "post_deploy" {
			why += "; the deployment itself completed"
		}
		return &core.Error{Kind: core.Unavailable, What: field + " hook failed: " + which, Why: why,
			Fix: "run it by hand in " + dir + " to see why, fix it, then deploy again", Err: err}
	}
	return nil
}

// printable is a command or output line as a progress line: one line,
// no token.
func (h hooks) printable(s string) string {
	for _, t := range h.tokens {
		if !t.IsZero() {
			s = strings.ReplaceAll(s, t.Reveal(), core.Redacted)
		}
	}
	return core.Printable(s, "", 1000)
}

// follow prints deployment id's log until it ends, resuming a dropped
// stream up to uc.resumes times (entries seen before are not printed
// again), and returns the deployment's state, its last error lines and,
// unless it was deployed, the error to report.
func (uc *Deploy) follow(ctx context.Context, t ResolvedTarget, ep core.Endpoint, id string, say func(string, string)) (string, []string, error) {
	seen := map[string]bool{}
	var last []string
	var end *core.LogEntry
	wait := uc.backoff
	for attempt := 0; ; attempt++ {
		err := uc.api.DeployLog(ctx, ep, id, func(e core.LogEntry) bool {
			key := entryKey(e)
			if seen[key] {
				return true
			}
			seen[key] = true
			line := logLine(e, ep.Token)
			say(t.Target, line)
			if e.Failed() || strings.EqualFold(e.Level, "ERROR") {
				last = append(last, line)
				if len(last) > 3 {
					last = last[len(last)-3:]
				}
			}
			if e.Ends() {
				end = &e
				return false
			}
			return true
		})
		switch {
		case end != nil && end.Failed():
			return Failed, last, &core.Error{Kind: core.Unavailable, What: "deployment " + id + " of " + t.App + " failed on " + t.Server,
				Why: "the server's log ended with the failure", Fix: "fix what the log says, then deploy again; haloy status shows what runs now"}
		case end != nil:
			return Deployed, nil, nil
		case ctx.Err() != nil:
			return Interrupted, last, &core.Error{Kind: core.Unavailable, What: "stopped following deployment " + id + " of " + t.App,
				Why: "interrupted; the deployment goes on on " + t.Server, Fix: "haloy status", Err: ctx.Err()}
		}
		k := kindOf(err)
		if attempt >= uc.resumes || k == core.Unauthorized || k == core.NotFound || k == core.Invalid || k == core.Unsafe {
			return Unknown, last, &core.Error{Kind: core.Unavailable, What: "outcome of deployment " + id + " of " + t.App + " unknown",
				Why: "the log stream was lost before the deployment ended: " + progressText(err), Fix: "check haloy status", Err: err}
		}
		say(t.Target, fmt.Sprintf("log stream lost (%s); resuming in %s (%d of %d)", progressText(err), wait, attempt+1, uc.resumes))
		select {
		case <-ctx.Done():
			return Interrupted, last, &core.Error{Kind: core.Unavailable, What: "stopped following deployment " + id + " of " + t.App,
				Why: "interrupted; the deployment goes on on " + t.Server, Fix: "haloy status", Err: ctx.Err()}
		case <-time.After(wait):
		}
		wait *= 2
	}
}

// progressText is err's message without the fix, for one progress line.
func progressText(err error) string {
	var ce *core.Error
	if errors.As(err, &ce) {
		if ce.Why != "" {
			return ce.What + ": " + ce.Why
		}
		return ce.What
	}
	return err.Error()
}

// entryKey identifies a log entry, so that one replayed on a resumed
// stream is printed once.
func entryKey(e core.LogEntry) string {
	return e.Timestamp.Format(time.RFC3339Nano) + "\x00" + e.Level + "\x00" + e.Message + "\x00" + fmt.Sprint(e.Fields)
}

// logLine is one log entry as a progress line: the message, then its
// fields, sorted, made safe to print; warnings and errors say so.
func logLine(e core.LogEntry, token core.Secret) string {
	var b strings.Builder
	switch strings.ToUpper(e.Level) {
	case "ERROR":
		b.WriteString("error: ")
	case "WARN", "WARNING":
		b.WriteString("warning: ")
	}
	b.WriteString(e.Message)
	keys := make([]string, 0, len(e.Fields))
	for k := range e.Fields {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	for _, k := range keys {
		fmt.Fprintf(&b, " %s=%v", k, e.Fields[k])
	}
	return core.Printable(b.String(), token, 1000)
}

// targetLabel names a target in summaries: its name, or the app's.
func targetLabel(target, app string) string {
	if target == "" {
		return app
	}
	return target
}
