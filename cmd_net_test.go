package main

import (
	"bytes"
	"context"
	"encoding/json"
	"regexp"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	"go.uber.org/fx"

	"github.com/haloy-auth/haloy/adapters/memory"
	"github.com/haloy-auth/haloy/app"
	"github.com/haloy-auth/haloy/core"
	"github.com/haloy-auth/haloy/ports"
)

// Tokens of the net commands' tests: no output may contain them.
const (
	netProdToken    = "haloy_cliPRODtoken000000000000000000000000000000000"
	netStagingToken = "haloy_cliSTAGINGtoken0000000000000000000000000000000"
)

// netWorld is what the deploy, status and server network commands run against.
type netWorld struct {
	configs memory.AppConfigs
	client  *memory.ClientStore
	env     memory.Env
	api     *memory.ServerAPI
	ci      *memory.CIIdentity
	cmds    *memory.Commands
}

func newNetWorld() *netWorld {
	api := memory.NewServerAPI()
	api.Add("prod.haloy.com", &memory.Server{Version: "1.4.0", Tokens: map[string]string{netProdToken: "prod-ci"}})
	api.Add("staging.haloy.com", &memory.Server{Version: "1.5.0", Tokens: map[string]string{netStagingToken: "staging-ci"}})
	return &netWorld{
		configs: memory.AppConfigs{
			// production and staging on their own servers, each with its own token
			"haloy.yaml": {
				TargetConfig: core.TargetConfig{Name: "my-app", Image: &core.Image{Repository: "my-org/my-app", Tag: "latest"}},
				Targets: map[string]core.TargetConfig{
					"production": {Server: "prod.haloy.com", APIToken: &core.APITokenConfig{From: &core.ValueFrom{Env: "PROD_TOKEN"}}},
					"staging":    {Server: "staging.haloy.com", APIToken: &core.APITokenConfig{From: &core.ValueFrom{Env: "STAGING_TOKEN"}}},
				},
			},
			// blue and green on one server: one worker, so the output order is fixed
			"bluegreen.haloy.yaml": {
				TargetConfig: core.TargetConfig{Name: "shop", Server: "prod.haloy.com", Image: &core.Image{Repository: "shop"}},
				Targets:      map[string]core.TargetConfig{"blue": {}, "green": {}},
			},
		},
		client: memory.NewClientStore(core.ClientState{
			Servers: map[string]core.ServerRef{
				"prod.haloy.com":    {TokenEnv: "HALOY_API_TOKEN_PROD_HALOY_COM"},
				"staging.haloy.com": {TokenEnv: "HALOY_API_TOKEN_STAGING_HALOY_COM"},
			},
			Tokens: map[string]string{"HALOY_API_TOKEN_PROD_HALOY_COM": netProdToken, "HALOY_API_TOKEN_STAGING_HALOY_COM": netStagingToken},
		}),
		env:  memory.Env{"PROD_TOKEN": netProdToken, "STAGING_TOKEN": netStagingToken},
		api:  api,
		ci:   &memory.CIIdentity{},
		cmds: &memory.Commands{},
	}
}

func (w *netWorld) wiring() *app.Wiring {
	return &app.Wiring{Adapters: fx.Options(
		fx.Supply(fx.Annotate(w.configs, fx.As(new(ports.AppConfigs)))),
		fx.Supply(fx.Annotate(memory.EnvFiles{}, fx.As(new(ports.EnvFiles)))),
		fx.Supply(fx.Annotate(w.client, fx.As(new(ports.ClientStore)))),
		fx.Supply(fx.Annotate(w.env, fx.As(new(ports.Env)))),
		fx.Supply(fx.Annotate(memory.CACerts{}, fx.As(new(ports.CACerts)))),
		fx.Supply(fx.Annotate(w.api, fx.As(new(ports.ServerAPI)), fx.As(new(ports.TokenAPI)))),
		fx.Supply(fx.Annotate(w.ci, fx.As(new(ports.CIIdentity)))),
		fx.Supply(fx.Annotate(w.cmds, fx.As(new(ports.Commands)))),
		fx.Supply(ports.SecretSources{}),
	)}
}

// run runs haloy with args against w and returns the exit code and outputs,
// after checking that no output shows a token.
func (w *netWorld) run(t *testing.T, stdin string, args ...string) (int, string, string) {
	t.Helper()
	var stdout, stderr bytes.Buffer
	code := run(context.Background(), append([]string{"haloy"}, args...), strings.NewReader(stdin), &stdout, &stderr, w.wiring())
	for _, tok := range []string{netProdToken, netStagingToken} {
		if strings.Contains(stdout.String()+stderr.String(), tok) {
			t.Errorf("run(%q) output shows a token:\n%s%s", args, stdout.String(), stderr.String())
		}
	}
	return code, stdout.String(), stderr.String()
}

var ulidRE = regexp.MustCompile(`\b[0-9a-hjkmnp-tv-z]{26}\b`)

// ulids replaces each deployment id by a placeholder of the same width.
func ulids(s string) string { return ulidRE.ReplaceAllString(s, "<ULID....................>") }

func TestDeployCLISameServer(t *testing.T) {
	w := newNetWorld()
	code, stdout, stderr := w.run(t, "", "deploy", "-c", "bluegreen.haloy.yaml", "-a")
	want := `blue  | server prod.haloy.com (server: in bluegreen.haloy.yaml); token: client store HALOY_API_TOKEN_PROD_HALOY_COM (set in the config directory's .env)
green | server prod.haloy.com (server: in bluegreen.haloy.yaml); token: client store HALOY_API_TOKEN_PROD_HALOY_COM (set in the config directory's .env)
blue  | server prod.haloy.com runs haloyd 1.4.0; token accepted ("prod-ci")
blue  | deploying blue (shop) to prod.haloy.com as <ULID....................>
blue  | deployment <ULID....................> accepted; following its log
blue  | deployment received
blue  | deployment recorded
blue  | deployment complete
green | deploying green (shop) to prod.haloy.com as <ULID....................>
green | deployment <ULID....................> accepted; following its log
green | deployment received
green | deployment recorded
green | deployment complete

2 of 2 targets deployed
  blue   prod.haloy.com  deployed  <ULID....................>
  green  prod.haloy.com  deployed  <ULID....................>
`
	if code != 0 || stderr != "" {
		t.Errorf("deploy: code %d, stderr %q; want 0, none", code, stderr)
	}
	if diff := cmp.Diff(want, ulids(stdout)); diff != "" {
		t.Errorf("deploy stdout mismatch (-want +got):\n%s", diff)
	}
	if n := len(w.api.Deployments("prod.haloy.com")); n != 2 {
		t.Errorf("prod recorded %d deployments, want 2", n)
	}
}

func TestDeployCLIPartialFailure(t *testing.T) {
	w := newNetWorld()
	w.api.Server("staging.haloy.com").DeployErr = &core.Error{Kind: core.Unavailable, What: `deploy of app "my-app" to "staging.haloy.com" failed`,
		Why: "the server answered 500 Internal Server Error: disk full", Fix: "look at the output of haloyadm serve on staging.haloy.com, then try again"}
	code, stdout, stderr := w.run(t, "", "deploy", "-a")
	if code != 1 {
		t.Errorf("deploy: code %d, want 1", code)
	}
	wantStderr := `haloy: error: target "staging": deploy of app "my-app" to "staging.haloy.com" failed
haloy: the server answered 500 Internal Server Error: disk full
haloy: hint: look at the output of haloyadm serve on staging.haloy.com, then try again
haloy: error: 1 of 2 targets failed: staging
`
	if diff := cmp.Diff(wantStderr, stderr); diff != "" {
		t.Errorf("deploy stderr mismatch (-want +got):\n%s", diff)
	}
	_, summary, _ := strings.Cut(ulids(stdout), "\n\n")
	wantSummary := `1 of 2 targets deployed
  production  prod.haloy.com     deployed  <ULID....................>
  staging     staging.haloy.com  FAILED    -
`
	if diff := cmp.Diff(wantSummary, summary); diff != "" {
		t.Errorf("deploy summary mismatch (-want +got):\n%s", diff)
	}
	for _, l := range strings.Split(strings.TrimSuffix(strings.Split(stdout, "\n\n")[0], "\n"), "\n") {
		if !strings.HasPrefix(l, "production | ") && !strings.HasPrefix(l, "staging    | ") {
			t.Errorf("progress line %q has no target prefix", l)
		}
	}
}

func TestDeployCLIRevokedToken(t *testing.T) {
	w := newNetWorld()
	w.api.Revoke("prod.haloy.com", netProdToken)
	code, stdout, stderr := w.run(t, "", "deploy", "-t", "production")
	wantStdout := "production | server prod.haloy.com (server: in haloy.yaml); token: from env PROD_TOKEN\n"
	wantStderr := `haloy: error: target "production": authentication failed for "prod.haloy.com"
haloy: the token from env PROD_TOKEN was rejected (invalid, revoked or expired)
haloy: hint: on the server: sudo haloyadm api token; then: export PROD_TOKEN=<new-token>, or put PROD_TOKEN=<new-token> in .env beside haloy.yaml
haloy: error: nothing was deployed
`
	if code != 3 {
		t.Errorf("deploy: code %d, want 3", code)
	}
	if diff := cmp.Diff(wantStdout, stdout); diff != "" {
		t.Errorf("deploy stdout mismatch (-want +got):\n%s", diff)
	}
	if diff := cmp.Diff(wantStderr, stderr); diff != "" {
		t.Errorf("deploy stderr mismatch (-want +got):\n%s", diff)
	}
}

func TestDeployCLISeveralTargetsNeedAFlag(t *testing.T) {
	w := newNetWorld()
	code, stdout, stderr := w.run(t, "", "deploy")
	if code != 2 || stdout != "" || !strings.Contains(stderr, "production") || !strings.Contains(stderr, "staging") {
		t.Errorf("deploy without -t/-a = %d, %q, %q; want 2 and an error naming the targets", code, stdout, stderr)
	}
	for _, s := range []string{"prod.haloy.com", "staging.haloy.com"} {
		if c := w.api.Calls(s); len(c) != 0 {
			t.Errorf("%s got calls %v, want none", s, c)
		}
	}
}

func TestStatusCLI(t *testing.T) {
	w := newNetWorld()
	if code, _, stderr := w.run(t, "", "deploy", "-c", "bluegreen.haloy.yaml", "-t", "blue"); code != 0 {
		t.Fatalf("deploy: %d %s", code, stderr)
	}
	code, stdout, stderr := w.run(t, "", "status", "-c", "bluegreen.haloy.yaml", "-a")
	if code != 0 || stderr != "" {
		t.Errorf("status: code %d, stderr %q; want 0, none", code, stderr)
	}
	got := regexp.MustCompile(`\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ`).ReplaceAllString(ulids(stdout), "<TIME..............>")
	// each target is its own app (named after its key): green has none
	want := `TARGET  SERVER          STATE     DEPLOYMENT                  CONTAINERS  DOMAINS
blue    prod.haloy.com  recorded  <ULID....................>  -           -
green   prod.haloy.com  none      -                           -           -

TARGET  SERVER          RECORDED                    RECEIVED              IMAGE  TOKEN
blue    prod.haloy.com  <ULID....................>  <TIME..............>  shop   prod-ci
`
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("status stdout mismatch (-want +got):\n%s", diff)
	}
}

func TestServerVersionCLI(t *testing.T) {
	w := newNetWorld()
	code, stdout, stderr := w.run(t, "", "server", "version", "--server", "staging.haloy.com")
	want := `staging.haloy.com: haloyd 1.5.0, token "staging-ci" from client store HALOY_API_TOKEN_STAGING_HALOY_COM (set in the config directory's .env)` + "\n"
	if code != 0 || stderr != "" || stdout != want {
		t.Errorf("server version = %d, %q, %q; want 0, %q, none", code, stdout, stderr, want)
	}
	code, _, stderr = w.run(t, "", "server", "version")
	wantErr := `haloy: error: several servers are configured; say which with --server
haloy: configured: prod.haloy.com, staging.haloy.com
haloy: hint: haloy server version --server prod.haloy.com
`
	if code != 2 || stderr != wantErr {
		t.Errorf("server version without --server = %d, %q; want 2, %q", code, stderr, wantErr)
	}
}

func TestServerCheckCLI(t *testing.T) {
	w := newNetWorld()
	w.api.Revoke("staging.haloy.com", netStagingToken)
	code, stdout, stderr := w.run(t, "", "server", "check")
	want := `SERVER             REACHABLE  TOKEN               EXPIRES  SCOPES  APPS  VERSION  TOKEN SOURCE
prod.haloy.com     yes        accepted (prod-ci)  never    all     all   1.4.0    client store HALOY_API_TOKEN_PROD_HALOY_COM (set in the config directory's .env)
staging.haloy.com  yes        rejected            -        -       -     1.5.0    client store HALOY_API_TOKEN_STAGING_HALOY_COM (set in the config directory's .env)
staging.haloy.com: authentication failed for "staging.haloy.com": the token from client store HALOY_API_TOKEN_STAGING_HALOY_COM (set in the config directory's .env) was rejected (invalid, revoked or expired) (hint: on the server: sudo haloyadm api token; then: haloy server add staging.haloy.com --force --token-stdin)
`
	wantErr := "haloy: error: 1 of 2 servers failed the check: staging.haloy.com\nhaloy: hint: see the problem of each server above\n"
	if code != 3 {
		t.Errorf("server check: code %d, want 3", code)
	}
	if diff := cmp.Diff(want, stdout); diff != "" {
		t.Errorf("server check stdout mismatch (-want +got):\n%s", diff)
	}
	if diff := cmp.Diff(wantErr, stderr); diff != "" {
		t.Errorf("server check stderr mismatch (-want +got):\n%s", diff)
	}

	code, stdout, _ = w.run(t, "", "server", "check", "prod.haloy.com", "--json")
	var got []map[string]any
	if err := json.Unmarshal([]byte(stdout), &got); err != nil {
		t.Fatalf("server check --json printed %q: %v", stdout, err)
	}
	wantJSON := []map[string]any{{"server": "prod.haloy.com", "url": "https://prod.haloy.com", "reachable": true, "token_accepted": true,
		"token_source": "client store HALOY_API_TOKEN_PROD_HALOY_COM (set in the config directory's .env)", "token_name": "prod-ci", "version": "1.4.0", "token_scopes": nil, "token_apps": nil}}
	if code != 0 {
		t.Errorf("server check prod --json: code %d, want 0", code)
	}
	if diff := cmp.Diff(wantJSON, got); diff != "" {
		t.Errorf("server check --json mismatch (-want +got):\n%s", diff)
	}
}

func TestServerAddVerifyCLI(t *testing.T) {
	w := newNetWorld()
	w.client = memory.NewClientStore(core.ClientState{})
	w.api.Add("new.haloy.com", &memory.Server{Version: "2.0.0", Tokens: map[string]string{netProdToken: "laptop"}})

	code, _, stderr := w.run(t, netStagingToken+"\n", "server", "add", "new.haloy.com", "--token-stdin", "--verify")
	wantErr := `haloy: error: not added: authentication failed for "new.haloy.com"
haloy: the token from your input was rejected (invalid, revoked or expired)
haloy: hint: on the server: sudo haloyadm api token; then: haloy server add new.haloy.com --verify --token-stdin
`
	if code != 3 || stderr != wantErr {
		t.Errorf("server add --verify (rejected) = %d, %q; want 3, %q", code, stderr, wantErr)
	}
	if st, _ := w.client.Load(context.Background()); len(st.Servers) != 0 || len(st.Tokens) != 0 {
		t.Errorf("a rejected --verify saved %v", st.ServerNames())
	}

	code, stdout, stderr := w.run(t, netProdToken+"\n", "server", "add", "new.haloy.com", "--token-stdin", "--verify")
	if code != 0 || stdout != "added new.haloy.com; its token is in HALOY_API_TOKEN_NEW_HALOY_COM\n" ||
		stderr != "haloy: verified: the server runs haloyd 2.0.0 and accepted the token \"laptop\"\n" {
		t.Errorf("server add --verify = %d, %q, %q", code, stdout, stderr)
	}
	st, _ := w.client.Load(context.Background())
	if st.Tokens["HALOY_API_TOKEN_NEW_HALOY_COM"] != netProdToken {
		t.Errorf("server add --verify did not save the token")
	}
}

// deploy -a leaves out a protected target with a warning; with
// --include-protected it deploys it; with only protected targets it
// deploys nothing and exits 2.
func TestDeployCLIProtected(t *testing.T) {
	yes := true
	protect := func(w *netWorld, names ...string) {
		cfg := w.configs["bluegreen.haloy.yaml"]
		for _, n := range names {
			cfg.Targets[n] = core.TargetConfig{Protected: &yes}
		}
	}
	w := newNetWorld()
	protect(w, "green")
	code, stdout, stderr := w.run(t, "", "deploy", "-c", "bluegreen.haloy.yaml", "-a")
	wantStderr := "haloy: warning: leaving out protected targets: green (--all deploys them only with --include-protected; --target green deploys them alone)\n"
	if code != 0 || stderr != wantStderr {
		t.Errorf("deploy -a: code %d, stderr %q; want 0, %q", code, stderr, wantStderr)
	}
	if !strings.Contains(stdout, "1 of 1 targets deployed") || strings.Contains(stdout, "green |") {
		t.Errorf("deploy -a stdout:\n%s\nwant blue alone deployed", stdout)
	}
	if n := len(w.api.Deployments("prod.haloy.com")); n != 1 {
		t.Errorf("prod recorded %d deployments, want 1", n)
	}

	w = newNetWorld()
	protect(w, "green")
	code, stdout, stderr = w.run(t, "", "deploy", "-c", "bluegreen.haloy.yaml", "-a", "--include-protected")
	if code != 0 || stderr != "" || !strings.Contains(stdout, "2 of 2 targets deployed") {
		t.Errorf("deploy -a --include-protected: code %d, stderr %q, stdout:\n%s\nwant 0, none, both deployed", code, stderr, stdout)
	}

	w = newNetWorld()
	protect(w, "blue", "green")
	code, stdout, stderr = w.run(t, "", "deploy", "-c", "bluegreen.haloy.yaml", "-a")
	wantStderr = "haloy: error: nothing to deploy: every target in bluegreen.haloy.yaml is protected (blue, green)\n" +
		"haloy: --all leaves out protected targets (protected: true, or preset: database)\n" +
		"haloy: hint: name the ones to deploy with --target blue,green, or add --include-protected\n"
	if code != 2 || stdout != "" || stderr != wantStderr {
		t.Errorf("deploy -a, all protected: code %d, stdout %q, stderr:\n%s\nwant 2, none,\n%s", code, stdout, stderr, wantStderr)
	}
	if n := len(w.api.Deployments("prod.haloy.com")); n != 0 {
		t.Errorf("prod recorded %d deployments with every target protected, want 0", n)
	}
}

// Haloy's scripts spell the flag --targets: it chooses targets as
// -t/--target does.
func TestDeployCLITargetsSpelling(t *testing.T) {
	for _, args := range [][]string{{"--targets", "green"}, {"--targets=green"}, {"--target", "green"}, {"-t", "green"}} {
		w := newNetWorld()
		code, stdout, stderr := w.run(t, "", append([]string{"deploy", "-c", "bluegreen.haloy.yaml"}, args...)...)
		if code != 0 || stderr != "" || !strings.Contains(stdout, "1 of 1 targets deployed") || strings.Contains(stdout, "blue |") {
			t.Errorf("deploy %q: code %d, stderr %q, stdout:\n%s\nwant green alone deployed", args, code, stderr, stdout)
		}
	}
	w := newNetWorld()
	if code, _, stderr := w.run(t, "", "deploy", "-c", "bluegreen.haloy.yaml", "--targets", "green", "-a"); code != 2 {
		t.Errorf("deploy --targets green -a: code %d, stderr %q; want 2", code, stderr)
	}
}

// deploy --no-logs sends the deployments, follows none, exits 0 and says
// so in the summary.
func TestDeployCLINoLogs(t *testing.T) {
	w := newNetWorld()
	code, stdout, stderr := w.run(t, "", "deploy", "-c", "bluegreen.haloy.yaml", "-a", "--no-logs")
	want := `blue  | server prod.haloy.com (server: in bluegreen.haloy.yaml); token: client store HALOY_API_TOKEN_PROD_HALOY_COM (set in the config directory's .env)
green | server prod.haloy.com (server: in bluegreen.haloy.yaml); token: client store HALOY_API_TOKEN_PROD_HALOY_COM (set in the config directory's .env)
blue  | server prod.haloy.com runs haloyd 1.4.0; token accepted ("prod-ci")
blue  | deploying blue (shop) to prod.haloy.com as <ULID....................>
blue  | deployment <ULID....................> accepted; not following its log (--no-logs): haloy status shows how it ends
green | deploying green (shop) to prod.haloy.com as <ULID....................>
green | deployment <ULID....................> accepted; not following its log (--no-logs): haloy status shows how it ends

2 of 2 deployments accepted, not followed (--no-logs); haloy status shows how they end
  blue   prod.haloy.com  accepted  <ULID....................>
  green  prod.haloy.com  accepted  <ULID....................>
`
	if code != 0 || stderr != "" {
		t.Errorf("deploy --no-logs: code %d, stderr %q; want 0, none", code, stderr)
	}
	if diff := cmp.Diff(want, ulids(stdout)); diff != "" {
		t.Errorf("deploy --no-logs stdout mismatch (-want +got):\n%s", diff)
	}
	if n := len(w.api.Deployments("prod.haloy.com")); n != 2 {
		t.Errorf("prod recorded %d deployments, want 2", n)
	}
}
