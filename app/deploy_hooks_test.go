package app

import (
	"context"
	"slices"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/haloy-auth/haloy/adapters/memory"
	"github.com/haloy-auth/haloy/core"
)

// hookWorld is the multi-target app with hooks: the global ones, a
// pre_deploy and post_deploy every target inherits, and staging's own.
func hookWorld() *deployWorld {
	w := newDeployWorld()
	c := multiTargetConfig()
	c.GlobalPreDeploy = []string{"make build", "make test"}
	c.GlobalPostDeploy = []string{"notify done"}
	c.PreDeploy = []string{"npm run migrate"}
	c.PostDeploy = []string{"purge cdn"}
	s := c.Targets["staging"]
	s.PreDeploy = []string{"check staging"}
	c.Targets["staging"] = s
	w.configs = memory.AppConfigs{"app/haloy.yaml": c}
	w.cmds = &memory.Commands{Lines: map[string][]string{"npm run migrate": {"migrated 3 tables"}}, Exit: map[string]int{}, Block: map[string]bool{}}
	return w
}

// withPrefix returns the lines that start with prefix.
func withPrefix(lines []string, prefix string) []string {
	var out []string
	for _, l := range lines {
		if strings.HasPrefix(l, prefix) {
			out = append(out, l)
		}
	}
	return out
}

func TestDeployHooksRunInOrder(t *testing.T) {
	w := hookWorld()
	uc, notes := w.deploy()
	var p progress
	got, err := uc.Run(context.Background(), DeployInput{Config: "app", Targets: []string{"production"}, Progress: p.add})
	if err != nil || got.Targets[0].State != Deployed {
		t.Fatalf("Run() = %+v, %v; want deployed", got, err)
	}
	// every command runs in the config's directory
	want := []string{"app: make build", "app: make test", "app: npm run migrate", "app: purge cdn", "app: notify done"}
	if diff := cmp.Diff(want, w.cmds.Runs()); diff != "" {
		t.Errorf("commands mismatch (-want +got):\n%s", diff)
	}
	wantLines := []string{
		"global: global_pre_deploy 1/2: make build",
		"global: global_pre_deploy 2/2: make test",
		"production: pre_deploy 1/1: npm run migrate",
		"production: pre_deploy 1/1> migrated 3 tables",
		"production: deploying my-app (my-org/my-app:latest) to prod.haloy.com as " + testID(1),
		"production: deployment " + testID(1) + " accepted; following its log",
		"production: deployment received",
		"production: deployment recorded",
		"production: deployment complete",
		"production: post_deploy 1/1: purge cdn",
		"global: global_post_deploy 1/1: notify done",
	}
	var gotLines []string
	for _, l := range p.lines {
		if strings.HasPrefix(l, "global: ") || !strings.HasPrefix(l, "production: server ") {
			gotLines = append(gotLines, l)
		}
	}
	if diff := cmp.Diff(wantLines, gotLines); diff != "" {
		t.Errorf("progress mismatch (-want +got):\n%s", diff)
	}
	noTokenIn(t, notes.Warnings...)
}

// The label of the global hooks' lines is one of the names Begin gives the
// printer, so that it can align them.
func TestDeployHooksBeginNamesGlobal(t *testing.T) {
	w := hookWorld()
	uc, _ := w.deploy()
	var names []string
	if _, err := uc.Run(context.Background(), DeployInput{Config: "app", All: true, Begin: func(n []string) { names = n }}); err != nil {
		t.Fatalf("Run() error = %v", err)
	}
	if diff := cmp.Diff([]string{"production", "staging", GlobalLabel}, names); diff != "" {
		t.Errorf("Begin names mismatch (-want +got):\n%s", diff)
	}
}

func TestDeployPreHookFailureSkipsThatTarget(t *testing.T) {
	w := hookWorld()
	w.cmds.Exit["check staging"] = 4
	uc, _ := w.deploy()
	var p progress
	got, err := uc.Run(context.Background(), DeployInput{Config: "app", All: true, Progress: p.add})
	if n := len(w.api.Deployments("staging.haloy.com")); n != 0 {
		t.Errorf("staging recorded %d deployments, want none after its pre_deploy failed", n)
	}
	if n := len(w.api.Deployments("prod.haloy.com")); n != 1 || got.Targets[0].State != Deployed || got.Targets[0].Err != nil {
		t.Errorf("production = %+v with %d deployments, want deployed: another target's hook must not stop it", got.Targets[0], n)
	}
	s := got.Targets[1]
	if s.State != "" || s.DeploymentID != "" || s.Hook != "pre_deploy" {
		t.Errorf("staging = %+v, want not deployed, hook pre_deploy", s)
	}
	wantErr := []string{
		`target "staging": pre_deploy hook failed: "check staging" (1 of 1): exit status 4, in app|exit status 4, in app|run it by hand in app to see why, fix it, then deploy again`,
		"1 of 2 targets failed: staging||",
	}
	if diff := cmp.Diff(wantErr, errLines(err)); diff != "" {
		t.Errorf("Run() error mismatch (-want +got):\n%s", diff)
	}
	if kindOf(err) != core.Unavailable {
		t.Errorf("Run() error kind = %v, want Unavailable (exit 1)", kindOf(err))
	}
	if slices.Contains(w.cmds.Runs(), "app: notify done") {
		t.Errorf("commands = %q: global_post_deploy ran although a target failed", w.cmds.Runs())
	}
	if ran := withPrefix(p.lines, "staging: post_deploy"); len(ran) != 0 {
		t.Errorf("staging's post_deploy announced after its pre_deploy failed: %q", ran)
	}
}

// A post hook runs only after a deployment completed: not after one the
// server refused, one that failed, or one whose outcome is unknown.
func TestDeployPostHookOnlyAfterDeployed(t *testing.T) {
	tests := []struct {
		name  string
		setup func(w *deployWorld)
	}{
		{"deployment_refused", func(w *deployWorld) {
			w.api.Server("staging.haloy.com").DeployErr = &core.Error{Kind: core.Invalid, What: "deploy refused"}
		}},
		{"deployment_failed", func(w *deployWorld) { w.api.Server("staging.haloy.com").Log = haloyLog("staging") }},
		{"outcome_unknown", func(w *deployWorld) {
			w.api.Server("staging.haloy.com").Log = func(r core.DeployRequest, _ int) ([]core.LogEntry, error) {
				return []core.LogEntry{{Level: "INFO", Message: "Pulling image", DeploymentID: r.DeploymentID}}, nil
			}
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			w := hookWorld()
			w.cmds.Exit = map[string]int{}
			c := w.configs["app/haloy.yaml"]
			s := c.Targets["staging"]
			s.PostDeploy = []string{"purge staging cdn"}
			c.Targets["staging"] = s
			w.configs["app/haloy.yaml"] = c
			tt.setup(w)
			uc, _ := w.deploy()
			got, err := uc.Run(context.Background(), DeployInput{Config: "app", All: true})
			if err == nil || got.Targets[1].Err == nil {
				t.Fatalf("Run() = %+v, %v; want staging failed", got, err)
			}
			ran := w.cmds.Runs()
			if slices.Contains(ran, "app: purge staging cdn") || slices.Contains(ran, "app: notify done") {
				t.Errorf("commands = %q: a post hook ran after staging was not deployed", ran)
			}
			if !slices.Contains(ran, "app: purge cdn") {
				t.Errorf("commands = %q: production's post_deploy did not run after it deployed", ran)
			}
		})
	}
}

func TestDeployPostHookFailure(t *testing.T) {
	w := hookWorld()
	w.cmds.Exit["purge cdn"] = 1
	uc, _ := w.deploy()
	got, err := uc.Run(context.Background(), DeployInput{Config: "app", Targets: []string{"production"}})
	p := got.Targets[0]
	if p.State != Deployed || p.DeploymentID == "" || p.Hook != "post_deploy" || p.Err == nil {
		t.Errorf("production = %+v, want deployed with its post_deploy failed", p)
	}
	wantErr := []string{
		`target "production": post_deploy hook failed: "purge cdn" (1 of 1): exit status 1, in app; the deployment itself completed|exit status 1, in app; the deployment itself completed|run it by hand in app to see why, fix it, then deploy again`,
		"1 of 1 targets failed: production||",
	}
	if diff := cmp.Diff(wantErr, errLines(err)); diff != "" {
		t.Errorf("Run() error mismatch (-want +got):\n%s", diff)
	}
	if slices.Contains(w.cmds.Runs(), "app: notify done") {
		t.Errorf("commands = %q: global_post_deploy ran although a post_deploy failed", w.cmds.Runs())
	}
}

func TestDeployGlobalPostOnlyWhenAllDeployed(t *testing.T) {
	w := hookWorld()
	uc, _ := w.deploy()
	if _, err := uc.Run(context.Background(), DeployInput{Config: "app", All: true}); err != nil {
		t.Fatalf("Run() error = %v", err)
	}
	ran := w.cmds.Runs()
	// the targets' hooks run in parallel (two servers); the global ones
	// before and after all of them
	if len(ran) != 7 || ran[0] != "app: make build" || ran[1] != "app: make test" || ran[6] != "app: notify done" {
		t.Errorf("commands = %q, want the global pre hooks first, the global post hook last", ran)
	}
	for _, c := range []string{"app: npm run migrate", "app: check staging", "app: purge cdn"} {
		if !slices.Contains(ran[2:6], c) {
			t.Errorf("commands = %q, want %q between the global hooks", ran, c)
		}
	}
}

func TestDeployGlobalPostFailure(t *testing.T) {
	w := hookWorld()
	w.cmds.Exit["notify done"] = 2
	uc, _ := w.deploy()
	got, err := uc.Run(context.Background(), DeployInput{Config: "app", Targets: []string{"production"}})
	if len(got.Targets) != 1 || got.Targets[0].Err != nil || got.Targets[0].State != Deployed {
		t.Errorf("Run() = %+v, want production deployed", got)
	}
	want := []string{`global_post_deploy hook failed: "notify done" (1 of 1): exit status 2, in app|exit status 2, in app|run it by hand in app to see why, fix it, then deploy again`}
	if diff := cmp.Diff(want, errLines(err)); diff != "" {
		t.Errorf("Run() error mismatch (-want +got):\n%s", diff)
	}
}

func TestDeployGlobalPreFailureDeploysNothing(t *testing.T) {
	w := hookWorld()
	w.cmds.Exit["make build"] = 2
	uc, _ := w.deploy()
	got, err := uc.Run(context.Background(), DeployInput{Config: "app", All: true})
	if len(got.Targets) != 0 {
		t.Errorf("Run() = %+v, want no outcome", got)
	}
	want := []string{
		`global_pre_deploy hook failed: "make build" (1 of 2): exit status 2, in app|exit status 2, in app|run it by hand in app to see why, fix it, then deploy again`,
		"nothing was deployed||",
	}
	if diff := cmp.Diff(want, errLines(err)); diff != "" {
		t.Errorf("Run() error mismatch (-want +got):\n%s", diff)
	}
	if diff := cmp.Diff([]string{"app: make build"}, w.cmds.Runs()); diff != "" {
		t.Errorf("commands mismatch (-want +got):\n%s", diff)
	}
	for _, s := range []string{"prod.haloy.com", "staging.haloy.com"} {
		if n := len(w.api.Deployments(s)); n != 0 {
			t.Errorf("%s recorded %d deployments, want none", s, n)
		}
	}
}

// Nothing runs when the servers' check fails: a hook (a migration) must
// not run for a deployment that cannot be sent.
func TestDeployHooksNotRunWhenTokenRejected(t *testing.T) {
	w := hookWorld()
	w.env["STAGING_API_TOKEN"] = "haloy_wrongtoken0000000000000000000000000000000000"
	uc, _ := w.deploy()
	_, err := uc.Run(context.Background(), DeployInput{Config: "app", All: true})
	if kindOf(err) != core.Unauthorized {
		t.Errorf("Run() error = %v (kind %v), want the rejected token", err, kindOf(err))
	}
	if ran := w.cmds.Runs(); len(ran) != 0 {
		t.Errorf("commands = %q, want none", ran)
	}
}

// haloy.json spells the hooks camelCase, as Haloy's messages do.
func TestDeployHookNamesFollowTheFormat(t *testing.T) {
	w := hookWorld()
	c := w.configs["app/haloy.yaml"]
	c.Format = "json"
	w.configs = memory.AppConfigs{"app/haloy.json": c}
	w.cmds.Exit["check staging"] = 1
	uc, _ := w.deploy()
	var p progress
	got, err := uc.Run(context.Background(), DeployInput{Config: "app", Targets: []string{"staging"}, Progress: p.add})
	if got.Targets[0].Hook != "preDeploy" || len(errLines(err)) == 0 || !strings.HasPrefix(errLines(err)[0], `target "staging": preDeploy hook failed: `) {
		t.Errorf("Run() = %+v, %q; want preDeploy named", got.Targets[0], errLines(err))
	}
	if !containsLine(p.lines, "global: globalPreDeploy 1/2: make build") {
		t.Errorf("progress = %q, want globalPreDeploy named", p.lines)
	}
}

// Ctrl-C during a hook stops it: the target is INTERRUPTED, not deployed,
// and the error says so (exit 130).
func TestDeployInterruptedDuringHook(t *testing.T) {
	w := hookWorld()
	w.cmds.Block["npm run migrate"] = true
	w.cmds.Started = make(chan string, 10)
	ctx, cancel := context.WithCancel(context.Background())
	go func() {
		for c := range w.cmds.Started {
			if c == "npm run migrate" {
				cancel()
			}
		}
	}()
	uc, _ := w.deploy()
	got, err := uc.Run(ctx, DeployInput{Config: "app", Targets: []string{"production"}})
	close(w.cmds.Started)
	o := got.Targets[0]
	if o.State != Interrupted || o.DeploymentID != "" || o.Hook != "pre_deploy" {
		t.Errorf("production = %+v, want INTERRUPTED in pre_deploy, not deployed", o)
	}
	if kindOf(err) != core.Interrupted || !strings.Contains(err.Error(), `pre_deploy hook stopped: "npm run migrate" (1 of 1)`) {
		t.Errorf("Run() error = %v (kind %v), want the stopped hook, Interrupted", err, kindOf(err))
	}
	if n := len(w.api.Deployments("prod.haloy.com")); n != 0 {
		t.Errorf("prod recorded %d deployments, want none", n)
	}
}

// A hook that prints a deployment's token (one it found in the process
// environment) shows it redacted.
func TestDeployHookOutputHidesTokens(t *testing.T) {
	w := hookWorld()
	w.cmds.Lines["npm run migrate"] = []string{"HALOY_API_TOKEN=" + string(prodToken)}
	uc, _ := w.deploy()
	var p progress
	if _, err := uc.Run(context.Background(), DeployInput{Config: "app", Targets: []string{"production"}, Progress: p.add}); err != nil {
		t.Fatalf("Run() error = %v", err)
	}
	noTokenIn(t, p.lines...)
	if !containsLine(p.lines, "production: pre_deploy 1/1> HALOY_API_TOKEN="+core.Redacted) {
		t.Errorf("progress = %q, want the token redacted", p.lines)
	}
}

// --no-logs (Haloy's flag) sends each deployment and does not follow its
// log: each target is Accepted, no log is asked for, and the post hooks,
// which run only after a completed deployment, do not run, with a line
// saying so; the pre hooks do.
func TestDeployNoLogs(t *testing.T) {
	w := hookWorld()
	uc, _ := w.deploy()
	var p progress
	got, err := uc.Run(context.Background(), DeployInput{Config: "app", All: true, NoLogs: true, Progress: p.add})
	if err != nil {
		t.Fatalf("Run() error = %v", err)
	}
	for _, o := range got.Targets {
		if o.State != Accepted || o.Err != nil || o.DeploymentID == "" {
			t.Errorf("outcome %+v, want accepted with its id", o)
		}
	}
	for _, s := range []string{"prod.haloy.com", "staging.haloy.com"} {
		var methods []string
		for _, c := range w.api.Calls(s) {
			methods = append(methods, c.Method)
		}
		if diff := cmp.Diff([]string{"Version", "Deploy"}, methods); diff != "" {
			t.Errorf("%s calls mismatch (-want +got):\n%s", s, diff)
		}
	}
	runs := w.cmds.Runs()
	slices.Sort(runs)
	if diff := cmp.Diff([]string{"app: check staging", "app: make build", "app: make test", "app: npm run migrate"}, runs); diff != "" {
		t.Errorf("commands mismatch (-want +got):\n%s", diff)
	}
	for _, want := range []string{
		"production: deployment " + got.Targets[0].DeploymentID + " accepted; not following its log (--no-logs): haloy status shows how it ends",
		"production: post_deploy not run: it runs only after a completed deployment, which --no-logs does not wait for",
		"global: global_post_deploy not run: it runs only once every deployment completed, which --no-logs does not wait for",
	} {
		if !slices.Contains(p.lines, want) {
			t.Errorf("progress lacks %q:\n%s", want, strings.Join(p.lines, "\n"))
		}
	}
}
