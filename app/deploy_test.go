package app

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"
	"github.com/oklog/ulid/v2"

	"github.com/haloy-auth/haloy/adapters/memory"
	"github.com/haloy-auth/haloy/core"
	"github.com/haloy-auth/haloy/ports"
)

// The multi-target app of Haloy's guide: production on prod.haloy.com with
// its token in 1Password, staging on staging.haloy.com with its token in
// STAGING_API_TOKEN.
func multiTargetConfig() core.AppConfig {
	return core.AppConfig{
		TargetConfig: core.TargetConfig{Name: "my-app", Image: &core.Image{Repository: "my-org/my-app", Tag: "latest"},
			Env: []core.EnvVar{{Name: "LOG_LEVEL", Value: "info"}}},
		SecretProviders: core.SecretProviders{"onepassword": {"prod-tokens": {"vault": "Production", "item": "API Tokens"}}},
		Targets: map[string]core.TargetConfig{
			// a target's app is named after its key unless it sets name:, as in Haloy
			"production": {Name: "my-app", Server: "prod.haloy.com", APIToken: fromSecret("onepassword:prod-tokens.haloy-api"),
				Domains: []core.Domain{{Domain: "my-app.com"}}},
			"staging": {Server: "staging.haloy.com", APIToken: fromEnv("STAGING_API_TOKEN"),
				Domains: []core.Domain{{Domain: "staging.my-app.com"}}},
		},
	}
}

// deployWorld is what a deploy or status runs against, all in memory.
type deployWorld struct {
	configs memory.AppConfigs
	client  core.ClientState
	env     memory.Env
	items   map[string]map[string]core.Secret
	api     *memory.ServerAPI
	ci      *memory.CIIdentity
	cmds    *memory.Commands
}

func newDeployWorld() *deployWorld {
	return &deployWorld{
		configs: memory.AppConfigs{"haloy.yaml": multiTargetConfig()},
		client:  core.ClientState{},
		env:     memory.Env{"STAGING_API_TOKEN": stagingToken},
		items:   map[string]map[string]core.Secret{"Production/API Tokens": {"haloy-api": prodToken}},
		api:     twoAPIs(),
		ci:      &memory.CIIdentity{},
		cmds:    &memory.Commands{},
	}
}

func (w *deployWorld) resolve(notes ports.Notifier) (*Resolve, *memory.ClientStore) {
	store := memory.NewClientStore(w.client)
	return NewResolve(w.configs, memory.EnvFiles{}, store, w.env, ports.SecretSources{"onepassword": memory.NewSecrets(w.items)}, notes), store
}

// deploy builds the use case with ids testID(1), testID(2), ... in call order.
func (w *deployWorld) deploy() (*Deploy, *memory.Notes) {
	notes := &memory.Notes{}
	r, store := w.resolve(notes)
	uc := NewDeploy(r, store, w.api, w.ci, w.cmds, notes)
	var mu sync.Mutex
	n := 0
	uc.newID = func() string {
		mu.Lock()
		defer mu.Unlock()
		n++
		return testID(n)
	}
	uc.backoff = time.Millisecond
	return uc, notes
}

// testID is the n-th deployment id of a test: a lower-case ULID.
func testID(n int) string { return fmt.Sprintf("01hz%022d", n) }

// progress collects progress lines as "target: line".
type progress struct {
	mu    sync.Mutex
	lines []string
}

func (p *progress) add(target, line string) {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.lines = append(p.lines, target+": "+line)
}

// errLines renders an error as report() would: one line per joined error.
func errLines(err error) []string {
	if err == nil {
		return nil
	}
	errs := []error{err}
	if j, ok := err.(interface{ Unwrap() []error }); ok {
		errs = j.Unwrap()
	}
	var out []string
	for _, e := range errs {
		if j, ok := e.(interface{ Unwrap() []error }); ok {
			out = append(out, errLines(errors.Join(j.Unwrap()...))...)
			continue
		}
		out = append(out, errText(e))
	}
	return out
}

var ignoreOutcomeErr = cmpopts.IgnoreFields(TargetOutcome{}, "Err")

func TestDeployMultiTarget(t *testing.T) {
	w := newDeployWorld()
	uc, notes := w.deploy()
	var p progress
	got, err := uc.Run(context.Background(), DeployInput{All: true, Progress: p.add})
	if err != nil {
		t.Fatalf("Run() error = %v", err)
	}
	want := DeployResult{File: "haloy.yaml", Targets: []TargetOutcome{
		{Target: "production", App: "my-app", Server: "prod.haloy.com", DeploymentID: testID(1), State: Deployed},
		{Target: "staging", App: "staging", Server: "staging.haloy.com", DeploymentID: testID(2), State: Deployed},
	}}
	// ids are drawn in parallel: compare them as a set
	gotIDs := []string{got.Targets[0].DeploymentID, got.Targets[1].DeploymentID}
	slices.Sort(gotIDs)
	if diff := cmp.Diff([]string{testID(1), testID(2)}, gotIDs); diff != "" {
		t.Errorf("deployment ids mismatch (-want +got):\n%s", diff)
	}
	if diff := cmp.Diff(want, got, cmpopts.IgnoreFields(TargetOutcome{}, "DeploymentID")); diff != "" {
		t.Errorf("Run() mismatch (-want +got):\n%s", diff)
	}
	prod := w.api.Deployments("prod.haloy.com")
	if len(prod) != 1 {
		t.Fatalf("prod recorded %d deployments, want 1", len(prod))
	}
	wantProd := core.Deployment{ID: got.Targets[0].DeploymentID, App: "my-app",
		Image: core.Image{Repository: "my-org/my-app", Tag: "latest"}, Domains: []core.Domain{{Domain: "my-app.com"}}, EnvNames: []string{"LOG_LEVEL"}}
	if diff := cmp.Diff(wantProd, prod[0].Deployment); diff != "" {
		t.Errorf("prod deployment mismatch (-want +got):\n%s", diff)
	}
	// each server saw only its own token: one version check, the
	// deployment, its log
	if diff := cmp.Diff([]memory.Call{{Method: "Version", Token: prodToken}, {Method: "Deploy", Token: prodToken}, {Method: "DeployLog", Token: prodToken}}, w.api.Calls("prod.haloy.com")); diff != "" {
		t.Errorf("prod calls mismatch (-want +got):\n%s", diff)
	}
	if diff := cmp.Diff([]memory.Call{{Method: "Version", Token: stagingToken}, {Method: "Deploy", Token: stagingToken}, {Method: "DeployLog", Token: stagingToken}}, w.api.Calls("staging.haloy.com")); diff != "" {
		t.Errorf("staging calls mismatch (-want +got):\n%s", diff)
	}
	for _, target := range []string{"production", "staging"} {
		var mine []string
		for _, l := range p.lines {
			if strings.HasPrefix(l, target+": ") {
				mine = append(mine, l)
			}
		}
		if len(mine) != 7 || mine[6] != target+": deployment complete" {
			t.Errorf("progress of %s = %q, want 7 lines (server, check, deploying, accepted, the log's 3)", target, mine)
		}
	}
	noTokenIn(t, p.lines...)
	noTokenIn(t, notes.Warnings...)
	noTokenIn(t, notes.Infos...)
}

// Targets on different servers deploy at once: each deployment waits until
// the other one has started.
func TestDeployTargetsOnDifferentServersInParallel(t *testing.T) {
	w := newDeployWorld()
	var arrived sync.WaitGroup
	arrived.Add(2)
	all := make(chan struct{})
	go func() { arrived.Wait(); close(all) }()
	barrier := func(context.Context, core.DeployRequest) {
		arrived.Done()
		select {
		case <-all:
		case <-time.After(5 * time.Second):
		}
	}
	w.api.Server("prod.haloy.com").OnDeploy = barrier
	w.api.Server("staging.haloy.com").OnDeploy = barrier
	uc, _ := w.deploy()
	start := time.Now()
	if _, err := uc.Run(context.Background(), DeployInput{All: true}); err != nil {
		t.Fatalf("Run() error = %v", err)
	}
	if d := time.Since(start); d > 4*time.Second {
		t.Errorf("Run() took %s: the targets were deployed one after the other", d)
	}
}

func TestDeployPartialFailure(t *testing.T) {
	w := newDeployWorld()
	w.api.Server("staging.haloy.com").DeployErr = &core.Error{Kind: core.Invalid, What: `deploy of app "my-app" to "staging.haloy.com" failed`,
		Why: "the server answered 400 Bad Request: domain staging.my-app.com is taken"}
	uc, _ := w.deploy()
	var p progress
	got, err := uc.Run(context.Background(), DeployInput{All: true, Progress: p.add})
	want := DeployResult{File: "haloy.yaml", Targets: []TargetOutcome{
		{Target: "production", App: "my-app", Server: "prod.haloy.com", DeploymentID: "x", State: Deployed},
		{Target: "staging", App: "staging", Server: "staging.haloy.com"},
	}}
	if diff := cmp.Diff(want, got, ignoreOutcomeErr, cmp.Comparer(func(a, b string) bool {
		return a == b || (a == "x" && b != "") || (b == "x" && a != "")
	})); diff != "" {
		t.Errorf("Run() mismatch (-want +got):\n%s", diff)
	}
	if got.Targets[1].Err == nil {
		t.Errorf("staging outcome has no error")
	}
	wantErr := []string{
		`target "staging": deploy of app "my-app" to "staging.haloy.com" failed: the server answered 400 Bad Request: domain staging.my-app.com is taken|the server answered 400 Bad Request: domain staging.my-app.com is taken|`,
		"1 of 2 targets failed: staging||",
	}
	if diff := cmp.Diff(wantErr, errLines(err)); diff != "" {
		t.Errorf("Run() error mismatch (-want +got):\n%s", diff)
	}
	if n := len(w.api.Deployments("prod.haloy.com")); n != 1 {
		t.Errorf("prod recorded %d deployments, want 1: one target failing must not stop the other", n)
	}
	if !slices.Contains(p.lines, `staging: failed: deploy of app "my-app" to "staging.haloy.com" failed: the server answered 400 Bad Request: domain staging.my-app.com is taken`) {
		t.Errorf("progress = %q, want the staging failure", p.lines)
	}
}

// Every failure of the check stops the deploy before anything is sent.
func TestDeployFailsEarly(t *testing.T) {
	refused := &core.Error{Kind: core.Unavailable, What: `cannot reach "staging.haloy.com" at https://staging.haloy.com/v1/version`,
		Why: "the connection was refused: nothing listens there", Fix: "start the API on the server (haloyadm serve), and check the port and firewall"}
	limited := &core.Error{Kind: core.Unavailable, What: `version check of "staging.haloy.com" failed`,
		Why: "staging.haloy.com is rate-limiting this address after too many failed attempts (HTTP 429)", Fix: "wait 1m0s, then try again; check the token if it keeps happening"}
	badCA := &core.Error{Kind: core.Unavailable, What: `cannot reach "staging.haloy.com" at https://staging.haloy.com/v1/version`,
		Why: "its TLS certificate is signed by an authority this machine does not trust", Fix: "haloy server add staging.haloy.com --force --token-stdin --ca-cert <ca.pem>, or set SSL_CERT_FILE"}
	tests := []struct {
		name    string
		change  func(w *deployWorld)
		wantErr []string
	}{
		{
			name:   "token_from_env_revoked",
			change: func(w *deployWorld) { w.api.Revoke("staging.haloy.com", stagingToken) },
			wantErr: []string{
				`target "staging": authentication failed for "staging.haloy.com": the token from env STAGING_API_TOKEN was rejected (invalid, revoked or expired)|the token from env STAGING_API_TOKEN was rejected (invalid, revoked or expired)|on the server: sudo haloyadm api token; then: export STAGING_API_TOKEN=<new-token>, or put STAGING_API_TOKEN=<new-token> in .env beside haloy.yaml`,
				"nothing was deployed||",
			},
		},
		{
			name:   "token_from_secret_revoked",
			change: func(w *deployWorld) { w.api.Revoke("prod.haloy.com", prodToken) },
			wantErr: []string{
				`target "production": authentication failed for "prod.haloy.com": the token from 1Password Production/API Tokens field haloy-api was rejected (invalid, revoked or expired)|the token from 1Password Production/API Tokens field haloy-api was rejected (invalid, revoked or expired)|on the server: sudo haloyadm api token; then: store <new-token> where onepassword:prod-tokens.haloy-api points (api_token.from.secret in haloy.yaml)`,
				"nothing was deployed||",
			},
		},
		{
			name:   "unreachable",
			change: func(w *deployWorld) { w.api.Server("staging.haloy.com").Err = refused },
			wantErr: []string{
				`target "staging": ` + refused.What + ": " + refused.Why + "|" + refused.Why + "|" + refused.Fix,
				"nothing was deployed||",
			},
		},
		{
			name:    "rate_limited",
			change:  func(w *deployWorld) { w.api.Server("staging.haloy.com").Err = limited },
			wantErr: []string{`target "staging": ` + limited.What + ": " + limited.Why + "|" + limited.Why + "|" + limited.Fix, "nothing was deployed||"},
		},
		{
			name:    "tls",
			change:  func(w *deployWorld) { w.api.Server("staging.haloy.com").Err = badCA },
			wantErr: []string{`target "staging": ` + badCA.What + ": " + badCA.Why + "|" + badCA.Why + "|" + badCA.Fix, "nothing was deployed||"},
		},
		{
			name: "both_rejected_reports_both",
			change: func(w *deployWorld) {
				w.api.Revoke("staging.haloy.com", stagingToken)
				w.api.Revoke("prod.haloy.com", prodToken)
			},
			wantErr: []string{
				`target "production": authentication failed for "prod.haloy.com": the token from 1Password Production/API Tokens field haloy-api was rejected (invalid, revoked or expired)|the token from 1Password Production/API Tokens field haloy-api was rejected (invalid, revoked or expired)|on the server: sudo haloyadm api token; then: store <new-token> where onepassword:prod-tokens.haloy-api points (api_token.from.secret in haloy.yaml)`,
				`target "staging": authentication failed for "staging.haloy.com": the token from env STAGING_API_TOKEN was rejected (invalid, revoked or expired)|the token from env STAGING_API_TOKEN was rejected (invalid, revoked or expired)|on the server: sudo haloyadm api token; then: export STAGING_API_TOKEN=<new-token>, or put STAGING_API_TOKEN=<new-token> in .env beside haloy.yaml`,
				"nothing was deployed||",
			},
		},
		{
			name: "no_image",
			change: func(w *deployWorld) {
				c := multiTargetConfig()
				c.Image = nil
				w.configs["haloy.yaml"] = c
			},
			wantErr: []string{
				`target "production": no image to deploy for app "my-app": haloy.yaml sets no image.repository|haloy.yaml sets no image.repository|add to haloy.yaml: image: {repository: ghcr.io/you/my-app, tag: latest}`,
				`target "staging": no image to deploy for app "staging": haloy.yaml sets no image.repository|haloy.yaml sets no image.repository|add to haloy.yaml: image: {repository: ghcr.io/you/staging, tag: latest}`,
			},
		},
		{
			name:   "token_unset",
			change: func(w *deployWorld) { delete(w.env, "STAGING_API_TOKEN") },
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			w := newDeployWorld()
			tt.change(w)
			uc, _ := w.deploy()
			got, err := uc.Run(context.Background(), DeployInput{All: true})
			if err == nil {
				t.Fatalf("Run() error = nil, want an error")
			}
			if tt.wantErr != nil {
				if diff := cmp.Diff(tt.wantErr, errLines(err)); diff != "" {
					t.Errorf("Run() error mismatch (-want +got):\n%s", diff)
				}
			}
			if len(got.Targets) != 0 {
				t.Errorf("Run() = %+v, want no outcomes", got)
			}
			for _, s := range []string{"prod.haloy.com", "staging.haloy.com"} {
				if d := w.api.Deployments(s); len(d) != 0 {
					t.Errorf("%s recorded %d deployments, want none", s, len(d))
				}
				for _, c := range w.api.Calls(s) {
					if c.Method == "Deploy" {
						t.Errorf("%s got a deployment call", s)
					}
				}
			}
			noTokenIn(t, errLines(err)...)
		})
	}
}

// Several apps and targets on one shared server with one token: the server
// is checked once, and its targets deploy one after the other.
func TestDeployChecksEachServerOnce(t *testing.T) {
	w := newDeployWorld()
	w.configs = memory.AppConfigs{"haloy.yaml": {
		TargetConfig: core.TargetConfig{Name: "app1", Server: "prod.haloy.com", Image: &core.Image{Repository: "app1"}},
		Targets:      map[string]core.TargetConfig{"blue": {}, "green": {}},
	}}
	w.client = core.ClientState{Servers: map[string]core.ServerRef{"prod.haloy.com": {TokenEnv: "HALOY_API_TOKEN_PROD_HALOY_COM"}},
		Tokens: map[string]string{"HALOY_API_TOKEN_PROD_HALOY_COM": prodToken}}
	uc, _ := w.deploy()
	got, err := uc.Run(context.Background(), DeployInput{All: true})
	if err != nil {
		t.Fatalf("Run() error = %v", err)
	}
	want := []memory.Call{{Method: "Version", Token: prodToken}, {Method: "Deploy", Token: prodToken}, {Method: "DeployLog", Token: prodToken},
		{Method: "Deploy", Token: prodToken}, {Method: "DeployLog", Token: prodToken}}
	if diff := cmp.Diff(want, w.api.Calls("prod.haloy.com")); diff != "" {
		t.Errorf("prod calls mismatch (-want +got):\n%s", diff)
	}
	// one server: its targets go in order, so ids follow the targets
	if got.Targets[0].DeploymentID != testID(1) || got.Targets[1].DeploymentID != testID(2) {
		t.Errorf("Run() ids = %q, %q; want id-1, id-2", got.Targets[0].DeploymentID, got.Targets[1].DeploymentID)
	}
}

func TestDeployResolutionErrorsStopEverything(t *testing.T) {
	w := newDeployWorld()
	w.configs = memory.AppConfigs{"haloy.yaml": {TargetConfig: core.TargetConfig{Name: "my-app", Image: &core.Image{Repository: "my-app"}}}}
	w.client = twoServers()
	uc, _ := w.deploy()
	_, err := uc.Run(context.Background(), DeployInput{})
	want := []string{"several servers are configured and haloy.yaml names none: configured: prod.haloy.com, staging.haloy.com (haloy server list)|configured: prod.haloy.com, staging.haloy.com (haloy server list)|add a line to haloy.yaml: server: prod.haloy.com"}
	if diff := cmp.Diff(want, errLines(err)); diff != "" {
		t.Errorf("Run() error mismatch (-want +got):\n%s", diff)
	}
	for _, s := range []string{"prod.haloy.com", "staging.haloy.com"} {
		if c := w.api.Calls(s); len(c) != 0 {
			t.Errorf("%s got calls %v, want none", s, c)
		}
	}
}

// The client store's token, rejected, says to add the server again.
func TestDeployClientStoreTokenRejected(t *testing.T) {
	w := newDeployWorld()
	w.configs = memory.AppConfigs{"haloy.yaml": {TargetConfig: core.TargetConfig{Name: "my-app", Image: &core.Image{Repository: "my-app"}}}}
	w.client = core.ClientState{Servers: map[string]core.ServerRef{"prod.haloy.com": {TokenEnv: "HALOY_API_TOKEN_PROD_HALOY_COM"}},
		Tokens: map[string]string{"HALOY_API_TOKEN_PROD_HALOY_COM": stagingToken}}
	uc, _ := w.deploy()
	_, err := uc.Run(context.Background(), DeployInput{})
	var ce *core.Error
	if !errors.As(err, &ce) || ce.Kind != core.Unauthorized {
		t.Fatalf("Run() error = %v, want Kind Unauthorized", err)
	}
	wantFix := "on the server: sudo haloyadm api token; then: haloy server add prod.haloy.com --force --token-stdin"
	if ce.Fix != wantFix {
		t.Errorf("Run() error Fix = %q, want %q", ce.Fix, wantFix)
	}
}

// Deployment ids are ULIDs: they sort in the order they were made.
func TestDeployIDsAreSortable(t *testing.T) {
	w := newDeployWorld()
	notes := &memory.Notes{}
	r, store := w.resolve(notes)
	uc := NewDeploy(r, store, w.api, &memory.CIIdentity{}, w.cmds, notes)
	var ids []string
	for range 3 {
		got, err := uc.Run(context.Background(), DeployInput{Targets: []string{"production"}})
		if err != nil {
			t.Fatalf("Run() error = %v", err)
		}
		ids = append(ids, got.Targets[0].DeploymentID)
	}
	for _, id := range ids {
		// Haloy's server compares ids as text: they must be one case
		if _, err := ulid.ParseStrict(id); err != nil || id != strings.ToLower(id) {
			t.Errorf("deployment id %q is not a lower-case ULID: %v", id, err)
		}
	}
	if !slices.IsSorted(ids) || ids[0] == ids[1] || ids[1] == ids[2] {
		t.Errorf("deployment ids %q, want distinct and sorted", ids)
	}
}

func TestStatus(t *testing.T) {
	w := newDeployWorld()
	uc, _ := w.deploy()
	for range 2 {
		if _, err := uc.Run(context.Background(), DeployInput{All: true}); err != nil {
			t.Fatalf("deploy: %v", err)
		}
	}
	r, store := w.resolve(&memory.Notes{})
	st := NewStatus(r, store, w.api, w.ci, &memory.Notes{})
	got, err := st.Run(context.Background(), StatusInput{All: true})
	if err != nil {
		t.Fatalf("Status.Run() error = %v", err)
	}
	if len(got) != 2 {
		t.Fatalf("Status.Run() = %d targets, want 2", len(got))
	}
	// each target's server has its own two deployments, newest first, and
	// Haloy's fields describe the newest
	for i, target := range []string{"production", "staging"} {
		g := got[i]
		if g.Target != target || !g.Known || g.State != "recorded" || len(g.Deployments) != 2 || g.Deployments[0].ID < g.Deployments[1].ID ||
			g.DeploymentID != g.Deployments[0].ID || len(g.Domains) != 1 {
			t.Errorf("Status.Run()[%d] = %+v, want target %s with its 2 deployments, newest first", i, g, target)
		}
	}
}

func TestStatusErrors(t *testing.T) {
	w := newDeployWorld()
	w.api.Revoke("staging.haloy.com", stagingToken)
	r, store := w.resolve(&memory.Notes{})
	got, err := NewStatus(r, store, w.api, w.ci, &memory.Notes{}).Run(context.Background(), StatusInput{All: true})
	want := []TargetStatus{
		{Target: "production", App: "my-app", Server: "prod.haloy.com"},
		{Target: "staging", App: "staging", Server: "staging.haloy.com"},
	}
	if diff := cmp.Diff(want, got, cmpopts.IgnoreFields(TargetStatus{}, "Err")); diff != "" {
		t.Errorf("Status.Run() mismatch (-want +got):\n%s", diff)
	}
	wantErr := []string{`target "staging": authentication failed for "staging.haloy.com": the token from env STAGING_API_TOKEN was rejected (invalid, revoked or expired)|the token from env STAGING_API_TOKEN was rejected (invalid, revoked or expired)|on the server: sudo haloyadm api token; then: export STAGING_API_TOKEN=<new-token>, or put STAGING_API_TOKEN=<new-token> in .env beside haloy.yaml`}
	if diff := cmp.Diff(wantErr, errLines(err)); diff != "" {
		t.Errorf("Status.Run() error mismatch (-want +got):\n%s", diff)
	}
}

// A target's calls use the CA file stored for its server.
func TestDeployUsesTheServersCAFile(t *testing.T) {
	w := newDeployWorld()
	w.client = core.ClientState{Servers: map[string]core.ServerRef{"staging.haloy.com": {TokenEnv: "X", CACert: "/etc/haloy/staging-ca.pem"}}}
	notes := &memory.Notes{}
	r, store := w.resolve(notes)
	rec := &caRecorder{ServerAPI: w.api}
	if _, err := NewDeploy(r, store, rec, &memory.CIIdentity{}, w.cmds, notes).Run(context.Background(), DeployInput{Targets: []string{"staging"}}); err != nil {
		t.Fatalf("Run() error = %v", err)
	}
	if rec.ca != "/etc/haloy/staging-ca.pem" {
		t.Errorf("CA file used = %q, want /etc/haloy/staging-ca.pem", rec.ca)
	}
}

// deploy --all leaves out the protected targets, saying which, as Haloy
// does; --include-protected takes them, and naming one with --target
// deploys it. status --all still shows every target.
func TestDeployAllLeavesOutProtected(t *testing.T) {
	yes := true
	newWorld := func() *deployWorld {
		w := newDeployWorld()
		cfg := w.configs["haloy.yaml"]
		cfg.Targets["database"] = core.TargetConfig{Preset: core.PresetDatabase, Server: "prod.haloy.com", APIToken: fromSecret("onepassword:prod-tokens.haloy-api")}
		cfg.Targets["cache"] = core.TargetConfig{Protected: &yes, Server: "staging.haloy.com", APIToken: fromEnv("STAGING_API_TOKEN")}
		return w
	}
	apps := func(w *deployWorld) []string {
		var out []string
		for _, s := range []string{"prod.haloy.com", "staging.haloy.com"} {
			for _, d := range w.api.Deployments(s) {
				out = append(out, s+" "+d.Deployment.App)
			}
		}
		slices.Sort(out)
		return out
	}
	const warning = "leaving out protected targets: cache, database (--all deploys them only with --include-protected; --target cache,database deploys them alone)"
	tests := []struct {
		name     string
		in       DeployInput
		targets  []string
		apps     []string
		warnings []string
	}{
		{"all", DeployInput{All: true}, []string{"production", "staging"},
			[]string{"prod.haloy.com my-app", "staging.haloy.com staging"}, []string{warning}},
		{"all_include_protected", DeployInput{All: true, IncludeProtected: true}, []string{"cache", "database", "production", "staging"},
			[]string{"prod.haloy.com database", "prod.haloy.com my-app", "staging.haloy.com cache", "staging.haloy.com staging"}, nil},
		{"named", DeployInput{Targets: []string{"database"}}, []string{"database"}, []string{"prod.haloy.com database"}, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			w := newWorld()
			uc, notes := w.deploy()
			got, err := uc.Run(context.Background(), tt.in)
			if err != nil {
				t.Fatalf("Run() error = %v", err)
			}
			var targets []string
			for _, o := range got.Targets {
				targets = append(targets, o.Target)
			}
			if diff := cmp.Diff(tt.targets, targets); diff != "" {
				t.Errorf("targets mismatch (-want +got):\n%s", diff)
			}
			if diff := cmp.Diff(tt.apps, apps(w)); diff != "" {
				t.Errorf("deployments mismatch (-want +got):\n%s", diff)
			}
			if diff := cmp.Diff(tt.warnings, notes.Warnings); diff != "" {
				t.Errorf("warnings mismatch (-want +got):\n%s", diff)
			}
		})
	}
	t.Run("status_all", func(t *testing.T) {
		w := newWorld()
		r, store := w.resolve(&memory.Notes{})
		got, err := NewStatus(r, store, w.api, w.ci, &memory.Notes{}).Run(context.Background(), StatusInput{All: true})
		if err != nil {
			t.Fatalf("Status.Run() error = %v", err)
		}
		if len(got) != 4 {
			t.Errorf("Status.Run() = %d targets, want 4 (protected ones too)", len(got))
		}
	})
	t.Run("nothing_left", func(t *testing.T) {
		w := newWorld()
		cfg := w.configs["haloy.yaml"]
		delete(cfg.Targets, "production")
		delete(cfg.Targets, "staging")
		uc, _ := w.deploy()
		got, err := uc.Run(context.Background(), DeployInput{All: true})
		var ce *core.Error
		if !errors.As(err, &ce) || ce.Kind != core.Invalid || !strings.Contains(ce.What, "every target in haloy.yaml is protected (cache, database)") {
			t.Fatalf("Run() error = %v, want nothing to deploy, every target protected", err)
		}
		if len(got.Targets) != 0 || len(apps(w)) != 0 {
			t.Errorf("deployed %v %v with every target protected, want nothing", got.Targets, apps(w))
		}
	})
}
