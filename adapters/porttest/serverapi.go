package porttest

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"sync"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"

	"github.com/haloy-auth/haloy/core"
	"github.com/haloy-auth/haloy/ports"
)

// ServerAPIHarness is one fresh server behind a ServerAPI.
type ServerAPIHarness struct {
	// API reaches the server.
	API ports.ServerAPI
	// Server is the normalized name to put in core.Endpoint.Server.
	Server string
	// CACert is the CA file the server's certificate chains to, if any.
	CACert string
}

// NewServerAPI starts a fresh server that reports version and accepts
// exactly tokens (token -> name), and returns how to reach it.
type NewServerAPI func(t *testing.T, version string, tokens map[string]string) ServerAPIHarness

// Tokens of the suite. They look like real ones so that a server that
// checks the format accepts them as well formed.
const (
	goodToken  = "haloy_porttestGOODtoken0000000000000000000000000000"
	otherToken = "haloy_porttestOTHERtoken000000000000000000000000000"
	badToken   = "haloy_porttestBADtoken00000000000000000000000000000"
)

// ServerAPI runs the ServerAPI contract against the servers newServer starts.
func ServerAPI(t *testing.T, newServer NewServerAPI) {
	const version = "1.2.3-porttest"
	setup := func(t *testing.T) (ports.ServerAPI, core.Endpoint) {
		h := newServer(t, version, map[string]string{goodToken: "ci", otherToken: "laptop"})
		return h.API, core.Endpoint{Server: h.Server, CACert: h.CACert, Token: goodToken, TokenSource: "env PORTTEST_TOKEN"}
	}
	// bare compares *core.Error values on what the user sees
	bare := cmpopts.IgnoreFields(core.Error{}, "Err")

	t.Run("health_needs_no_token", func(t *testing.T) {
		api, ep := setup(t)
		for _, tok := range []core.Secret{"", badToken} {
			ep.Token = tok
			got, err := api.Health(context.Background(), ep)
			if err != nil {
				t.Fatalf("Health(token %q) error = %v, want nil", tok, err)
			}
			if got.Status != "ok" || got.Version != version {
				t.Errorf("Health() = %+v, want status ok, version %q", got, version)
			}
		}
	})

	t.Run("exchange_refused_without_trust", func(t *testing.T) {
		// a server that trusts no CI identity refuses any, and the client
		// sends no API token with the identity
		api, ep := setup(t)
		_, err := api.ExchangeOIDC(context.Background(), ep, "eyJhbGciOiJSUzI1NiJ9.e30.c2ln")
		var ce *core.Error
		if !errors.As(err, &ce) {
			t.Fatalf("ExchangeOIDC() error = %v, want a *core.Error", err)
		}
		if diff := cmp.Diff(core.IdentityRefused(ep.Server), ce, bare); diff != "" {
			t.Errorf("ExchangeOIDC() error mismatch (-want +got):\n%s", diff)
		}
	})

	t.Run("version_names_the_token", func(t *testing.T) {
		api, ep := setup(t)
		got, err := api.Version(context.Background(), ep)
		if err != nil {
			t.Fatalf("Version() error = %v, want nil", err)
		}
		if got.Haloyd != version || got.TokenName != "ci" {
			t.Errorf("Version() = %+v, want haloyd %q, token name ci", got, version)
		}
	})

	t.Run("rejected_tokens", func(t *testing.T) {
		api, ep := setup(t)
		for _, tok := range []core.Secret{badToken, ""} {
			ep.Token = tok
			want := core.TokenRejected(ep)
			_, err := api.Version(context.Background(), ep)
			checkError(t, "Version", want, err, bare)
			err = api.Deploy(context.Background(), ep, deployment(id(1), "app"))
			checkError(t, "Deploy", want, err, bare)
			_, err = api.Status(context.Background(), ep, "app")
			checkError(t, "Status", want, err, bare)
		}
	})

	t.Run("deploy_then_status_newest_first", func(t *testing.T) {
		api, ep := setup(t)
		ctx := context.Background()
		d1 := deployment(id(1), "web")
		d2 := deployment(id(2), "web")
		d2.TargetConfig.Domains = []core.Domain{{Domain: "staging.example.com", Aliases: []string{"www.staging.example.com"}}}
		d2.TargetConfig.Env = []core.DeployEnv{{Name: "DATABASE_URL", Value: "postgres://u:porttestSECRET@db/x"}}
		other := deployment(id(3), "api")
		for _, d := range []core.DeployRequest{d1, d2} {
			if err := api.Deploy(ctx, ep, d); err != nil {
				t.Fatalf("Deploy(%s) error = %v, want nil", d.DeploymentID, err)
			}
		}
		ep2 := ep
		ep2.Token = otherToken
		if err := api.Deploy(ctx, ep2, other); err != nil {
			t.Fatalf("Deploy(%s) error = %v, want nil", other.DeploymentID, err)
		}
		got, err := api.Status(ctx, ep, "web")
		if err != nil {
			t.Fatalf("Status(web) error = %v, want nil", err)
		}
		// Haloy's fields describe the newest deployment; the records are
		// haloyadm serve's, with env names and never values
		want := core.StatusResponse{State: "recorded", DeploymentID: id(2), ContainerIDs: []string{}, Domains: d2.TargetConfig.Domains,
			App: "web", Deployments: []core.DeploymentRecord{
				{Deployment: d2.Deployment(""), TokenName: "ci"}, {Deployment: d1.Deployment(""), TokenName: "ci"},
			}}
		for _, r := range got.Deployments {
			if r.ReceivedAt.IsZero() {
				t.Errorf("Status(web) record %s has no received_at", r.ID)
			}
		}
		// the token's expiry is the harness's; the expiry tests check it
		if diff := cmp.Diff(want, got, cmpopts.IgnoreFields(core.DeploymentRecord{}, "ReceivedAt", "TokenID"),
			cmpopts.IgnoreFields(core.StatusResponse{}, "TokenExpiresAt"), cmpopts.EquateEmpty()); diff != "" {
			t.Errorf("Status(web) mismatch (-want +got):\n%s", diff)
		}
		if strings.Contains(fmt.Sprintf("%+v", got), "porttestSECRET") {
			t.Errorf("Status(web) shows an env value: %+v", got)
		}
		got, err = api.Status(ctx, ep, "api")
		if err != nil {
			t.Fatalf("Status(api) error = %v, want nil", err)
		}
		if len(got.Deployments) != 1 || got.Deployments[0].TokenName != "laptop" {
			t.Errorf("Status(api) = %+v, want one deployment by token laptop", got)
		}
	})

	t.Run("deploy_log_to_the_end", func(t *testing.T) {
		api, ep := setup(t)
		ctx := context.Background()
		d := deployment(id(1), "web")
		if err := api.Deploy(ctx, ep, d); err != nil {
			t.Fatal(err)
		}
		// twice: the second subscriber comes late and gets the replay
		for range 2 {
			var msgs []string
			err := api.DeployLog(ctx, ep, d.DeploymentID, func(e core.LogEntry) bool {
				if e.DeploymentID != d.DeploymentID || e.AppName != "web" {
					t.Errorf("entry %+v, want deployment %s of web", e, d.DeploymentID)
				}
				msgs = append(msgs, e.Message)
				return !e.Ends()
			})
			if err != nil {
				t.Fatalf("DeployLog() error = %v, want nil", err)
			}
			if len(msgs) != 3 || !strings.Contains(msgs[0], "received") || !strings.Contains(msgs[1], "recorded") || !strings.Contains(msgs[2], "complete") {
				t.Errorf("DeployLog() messages = %q, want received, recorded, complete", msgs)
			}
		}
		err := api.DeployLog(ctx, ep, id(9), func(core.LogEntry) bool { return true })
		if kind := kindOf(err); kind != core.NotFound {
			t.Errorf("DeployLog(unknown id) kind = %v (%v), want NotFound", kind, err)
		}
		bad := ep
		bad.Token = badToken
		checkError(t, "DeployLog", core.TokenRejected(bad), api.DeployLog(ctx, bad, d.DeploymentID, func(core.LogEntry) bool { return true }), bare)
	})

	t.Run("rejected_deploy_records_nothing", func(t *testing.T) {
		api, ep := setup(t)
		bad := ep
		bad.Token = badToken
		if err := api.Deploy(context.Background(), bad, deployment(id(1), "web")); err == nil {
			t.Fatal("Deploy(bad token) error = nil, want an error")
		}
		_, err := api.Status(context.Background(), ep, "web")
		if kind := kindOf(err); kind != core.NotFound {
			t.Errorf("Status(web) after a rejected deploy: kind = %v (%v), want NotFound", kind, err)
		}
	})

	t.Run("status_unknown_app", func(t *testing.T) {
		api, ep := setup(t)
		_, err := api.Status(context.Background(), ep, "nosuchapp")
		if kind := kindOf(err); kind != core.NotFound {
			t.Errorf("Status(nosuchapp) kind = %v (%v), want NotFound", kind, err)
		}
	})

	t.Run("invalid_deployment", func(t *testing.T) {
		api, ep := setup(t)
		for name, edit := range map[string]func(*core.DeployRequest){
			"no_app":         func(r *core.DeployRequest) { r.TargetConfig.Name = "" },
			"upper_case_id":  func(r *core.DeployRequest) { r.DeploymentID = strings.ToUpper(r.DeploymentID) },
			"build_an_image": func(r *core.DeployRequest) { yes := true; r.TargetConfig.Image.Build = &yes },
		} {
			r := deployment(id(1), "web")
			edit(&r)
			err := api.Deploy(context.Background(), ep, r)
			if kind := kindOf(err); kind != core.Invalid {
				t.Errorf("Deploy(%s) kind = %v (%v), want Invalid", name, kind, err)
			}
		}
	})

	t.Run("cancelled_context", func(t *testing.T) {
		api, ep := setup(t)
		ctx, cancel := context.WithCancel(context.Background())
		cancel()
		_, err := api.Version(ctx, ep)
		if !errors.Is(err, context.Canceled) {
			t.Errorf("Version(cancelled ctx) error = %v, want one that is context.Canceled", err)
		}
	})

	t.Run("concurrent_deploys", func(t *testing.T) {
		api, ep := setup(t)
		const n = 20
		var wg sync.WaitGroup
		errs := make([]error, n)
		for i := range n {
			wg.Go(func() {
				errs[i] = api.Deploy(context.Background(), ep, deployment(id(i+1), "web"))
			})
		}
		wg.Wait()
		for i, err := range errs {
			if err != nil {
				t.Errorf("Deploy #%d error = %v, want nil", i, err)
			}
		}
		got, err := api.Status(context.Background(), ep, "web")
		if err != nil || len(got.Deployments) != n {
			t.Errorf("Status(web) = %d deployments, %v; want %d, nil", len(got.Deployments), err, n)
		}
	})
}

// id returns the n-th deployment id of a test: a lower-case ULID.
func id(n int) string { return fmt.Sprintf("01hz00000000000000000000%02d", n) }

// deployment returns a valid deploy request of app.
func deployment(id, app string) core.DeployRequest {
	t := core.DeployTarget{Name: app, Server: "porttest.example.com", Image: &core.DeployImage{Repository: "ghcr.io/example/" + app, Tag: "v1"}}
	return core.DeployRequest{DeploymentID: id, TargetConfig: t, RollbackDeployConfig: core.RollbackConfig{DeployTarget: t}}
}

func kindOf(err error) core.Kind {
	var ce *core.Error
	if errors.As(err, &ce) {
		return ce.Kind
	}
	return -1
}

// checkError compares err with want and checks that it never shows a token.
func checkError(t *testing.T, call string, want *core.Error, err error, opts ...cmp.Option) {
	t.Helper()
	var got *core.Error
	if !errors.As(err, &got) {
		t.Errorf("%s() error = %v, want %v", call, err, want)
		return
	}
	if diff := cmp.Diff(want, got, opts...); diff != "" {
		t.Errorf("%s() error mismatch (-want +got):\n%s", call, diff)
	}
	for _, tok := range []core.Secret{goodToken, otherToken, badToken} {
		if s := fmt.Sprintf("%v %+v %s %s", err, got, got.Why, got.Fix); strings.Contains(s, string(tok)) {
			t.Errorf("%s() error shows a token: %s", call, s)
		}
	}
}
