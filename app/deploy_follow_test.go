package app

import (
	"context"
	"encoding/json"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/haloy-auth/haloy/adapters/memory"
	"github.com/haloy-auth/haloy/core"
)

// haloyLog scripts a server's deployment logs the way Haloy's server
// writes them: progress, then the completion or failure entry.
func haloyLog(failApp string) func(core.DeployRequest, int) ([]core.LogEntry, error) {
	return func(r core.DeployRequest, _ int) ([]core.LogEntry, error) {
		id := r.DeploymentID
		out := []core.LogEntry{{Level: "INFO", Message: "Pulling image", DeploymentID: id, Fields: map[string]any{"image": r.TargetConfig.Image.Repository}}}
		if r.TargetConfig.Name == failApp {
			return append(out,
				core.LogEntry{Level: "ERROR", Message: "Health check failed", DeploymentID: id, Fields: map[string]any{"error": "GET /health: 502"}},
				// Haloy's failure entry is marked complete too: the failed flag wins
				core.LogEntry{Level: "ERROR", Message: "Deployment failed", DeploymentID: id, Fields: map[string]any{"error": "container unhealthy"},
					IsDeploymentComplete: true, IsDeploymentFailed: true}), nil
		}
		return append(out, core.LogEntry{Level: "INFO", Message: "Deployment complete", DeploymentID: id, IsDeploymentComplete: true, IsDeploymentSuccess: true}), nil
	}
}

func TestDeployFollowsFailure(t *testing.T) {
	w := newDeployWorld()
	c := multiTargetConfig()
	c.Targets["staging"] = core.TargetConfig{Name: "my-app-staging", Server: "staging.haloy.com", APIToken: fromEnv("STAGING_API_TOKEN")}
	w.configs["haloy.yaml"] = c
	for _, s := range []string{"prod.haloy.com", "staging.haloy.com"} {
		w.api.Server(s).Log = haloyLog("my-app-staging")
	}
	uc, _ := w.deploy()
	var p progress
	got, err := uc.Run(context.Background(), DeployInput{All: true, Progress: p.add})
	if err == nil {
		t.Fatal("Run() error = nil, want the failed deployment")
	}
	if got.Targets[0].State != Deployed || got.Targets[0].Err != nil {
		t.Errorf("production = %+v, want deployed", got.Targets[0])
	}
	s := got.Targets[1]
	wantLast := []string{"error: Health check failed error=GET /health: 502", "error: Deployment failed error=container unhealthy"}
	if diff := cmp.Diff(wantLast, s.LastErrors); diff != "" || s.State != Failed || s.DeploymentID == "" {
		t.Errorf("staging = %+v, want FAILED; last errors mismatch (-want +got):\n%s", s, diff)
	}
	lines := errLines(err)
	if len(lines) != 2 || !strings.Contains(lines[0], "deployment "+s.DeploymentID+" of my-app-staging failed on staging.haloy.com") ||
		lines[1] != "1 of 2 targets failed: staging||" || kindOf(err) != core.Unavailable {
		t.Errorf("Run() error = %q (kind %v), want the failure and the summary, exit 1", lines, kindOf(err))
	}
	for _, want := range []string{"staging: Pulling image image=my-org/my-app", "staging: error: Deployment failed error=container unhealthy", "production: Deployment complete"} {
		if !containsLine(p.lines, want) {
			t.Errorf("progress = %q, want %q", p.lines, want)
		}
	}
}

func TestDeployResumesDroppedStream(t *testing.T) {
	w := newDeployWorld()
	dropped := &core.Error{Kind: core.Unavailable, What: "log stream of deployment x dropped", Why: "the server closed it before the deployment ended"}
	full := haloyLog("")
	w.api.Server("prod.haloy.com").Log = func(r core.DeployRequest, attempt int) ([]core.LogEntry, error) {
		entries, _ := full(r, attempt)
		if attempt == 0 {
			return entries[:1], dropped
		}
		// the replay repeats the first entry: it is printed once
		return entries, nil
	}
	uc, _ := w.deploy()
	var p progress
	got, err := uc.Run(context.Background(), DeployInput{Targets: []string{"production"}, Progress: p.add})
	if err != nil || got.Targets[0].State != Deployed {
		t.Fatalf("Run() = %+v, %v; want deployed", got, err)
	}
	var n int
	for _, l := range p.lines {
		if l == "production: Pulling image image=my-org/my-app" {
			n++
		}
	}
	if n != 1 || !containsLine(p.lines, "production: log stream lost (log stream of deployment x dropped: the server closed it before the deployment ended); resuming in 1ms (1 of 3)") {
		t.Errorf("progress = %q, want one resume and the first entry once", p.lines)
	}
}

func TestDeployOutcomeUnknown(t *testing.T) {
	w := newDeployWorld()
	w.api.Server("prod.haloy.com").Log = func(r core.DeployRequest, attempt int) ([]core.LogEntry, error) {
		return []core.LogEntry{{Level: "INFO", Message: "Pulling image", DeploymentID: r.DeploymentID}}, nil
	}
	uc, _ := w.deploy()
	got, err := uc.Run(context.Background(), DeployInput{Targets: []string{"production"}})
	lines := errLines(err)
	if got.Targets[0].State != Unknown || len(lines) != 2 || !strings.HasPrefix(lines[0], `target "production": outcome of deployment `+testID(1)+" of my-app unknown: ") ||
		!strings.HasSuffix(lines[0], "|check haloy status") || kindOf(err) == core.Internal {
		t.Errorf("Run() = %+v, %q; want UNKNOWN, check haloy status", got.Targets[0], lines)
	}
	// the first stream and three resumes
	var streams int
	for _, c := range w.api.Calls("prod.haloy.com") {
		if c.Method == "DeployLog" {
			streams++
		}
	}
	if streams != 4 {
		t.Errorf("log streams opened = %d, want 4", streams)
	}
}

func TestDeployInterruptedWhileFollowing(t *testing.T) {
	w := newDeployWorld()
	ctx, cancel := context.WithCancel(context.Background())
	w.api.Server("prod.haloy.com").Log = func(r core.DeployRequest, attempt int) ([]core.LogEntry, error) {
		cancel() // Ctrl-C while the deployment runs
		return []core.LogEntry{{Level: "INFO", Message: "Pulling image", DeploymentID: r.DeploymentID}}, nil
	}
	uc, _ := w.deploy()
	got, err := uc.Run(ctx, DeployInput{Targets: []string{"production"}})
	lines := errLines(err)
	if got.Targets[0].State != Interrupted || len(lines) == 0 ||
		lines[0] != `target "production": stopped following deployment `+testID(1)+" of my-app: interrupted; the deployment goes on on prod.haloy.com|interrupted; the deployment goes on on prod.haloy.com|haloy status" {
		t.Errorf("Run() = %+v, %q; want INTERRUPTED, the deployment goes on", got.Targets[0], lines)
	}
}

// No request body carries an API token, and resolved values are only in
// targetConfig, never in rollbackDeployConfig, which Haloy's server stores.
func TestDeployBodiesCarryNoToken(t *testing.T) {
	w := newDeployWorld()
	c := multiTargetConfig()
	c.Env = append(c.Env, core.EnvVar{Name: "DB_PASSWORD", From: &core.ValueFrom{Env: "DB_PASSWORD"}})
	// a literal token is unsafe, and it must not reach the server at all
	c.Targets["staging"] = core.TargetConfig{Server: "staging.haloy.com", APIToken: &core.APITokenConfig{Value: stagingToken}}
	w.configs["haloy.yaml"] = c
	w.env["DB_PASSWORD"] = "hunter2-resolved"
	uc, _ := w.deploy()
	if _, err := uc.Run(context.Background(), DeployInput{All: true}); err != nil {
		t.Fatal(err)
	}
	for _, s := range []string{"prod.haloy.com", "staging.haloy.com"} {
		reqs := w.api.Requests(s)
		if len(reqs) != 1 {
			t.Fatalf("%s got %d requests, want 1", s, len(reqs))
		}
		body, _ := json.Marshal(reqs[0])
		noTokenIn(t, string(body))
		target, _ := json.Marshal(reqs[0].TargetConfig)
		rollback, _ := json.Marshal(reqs[0].RollbackDeployConfig)
		if !strings.Contains(string(target), `"value":"hunter2-resolved"`) || strings.Contains(string(rollback), "hunter2") ||
			!strings.Contains(string(rollback), `{"name":"DB_PASSWORD","from":{"env":"DB_PASSWORD"}}`) {
			t.Errorf("%s body %s: want the resolved value in targetConfig only, the reference in rollbackDeployConfig", s, body)
		}
	}
	_ = memory.Call{}
}

// A target whose image is to be built is refused before anything is
// sent, with the fix: haloy does not run Docker.
func TestDeployRefusesBuilds(t *testing.T) {
	w := newDeployWorld()
	c := multiTargetConfig()
	yes := true
	c.Image = &core.Image{Repository: "my-org/my-app", Tag: "latest", Build: &yes}
	w.configs["haloy.yaml"] = c
	uc, _ := w.deploy()
	_, err := uc.Run(context.Background(), DeployInput{All: true})
	// the config's check (validate-config's) says it first; CheckDeployRequest
	// refuses it again, on both sides (core and httpserver tests)
	lines := errLines(err)
	if len(lines) != 2 || !strings.Contains(lines[0], `image "my-org/my-app" is to be built`) || !strings.Contains(lines[0], "docker push") || kindOf(err) != core.Invalid {
		t.Errorf("Run() error = %q, want the build refused for each target, with the fix", lines)
	}
	for _, s := range []string{"prod.haloy.com", "staging.haloy.com"} {
		if calls := w.api.Calls(s); len(calls) != 0 {
			t.Errorf("%s got calls %v, want none", s, calls)
		}
	}
}

func containsLine(lines []string, want string) bool {
	for _, l := range lines {
		if l == want {
			return true
		}
	}
	return false
}
