package httpclient

import (
	"context"
	"fmt"
	"hash/fnv"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/haloy-auth/haloy/adapters/memory"
	"github.com/haloy-auth/haloy/core"
)

// request returns a valid deploy request of app, with an env value.
func request(app string) core.DeployRequest {
	h := fnv.New32a()
	h.Write([]byte(app))
	id := fmt.Sprintf("01jdz3t4q9w2v1s6m8k%07d", h.Sum32()%10000000)
	return core.NewDeployRequest(id, app, "localhost",
		core.TargetConfig{Image: &core.Image{Repository: "ghcr.io/acme/" + app, Tag: "v1"},
			Env: []core.EnvVar{{Name: "DB_PASSWORD", From: &core.ValueFrom{Env: "DB_PASSWORD"}}}},
		[]core.ResolvedEnvVar{{Name: "DB_PASSWORD", Resolved: core.Resolved{Value: "hunter2-env-value"}}}, nil)
}

// follow collects a deployment's log messages until an entry ends it.
func follow(t *testing.T, c *Client, ep core.Endpoint, id string) ([]core.LogEntry, error) {
	t.Helper()
	var got []core.LogEntry
	err := c.DeployLog(context.Background(), ep, id, func(e core.LogEntry) bool {
		got = append(got, e)
		return !e.Ends()
	})
	return got, err
}

// TestAgainstHaloyFake runs the client against a server that behaves like
// Haloy's, over plain HTTP and over HTTPS with a per-server CA file (on
// 127.0.0.2: a loopback address that is not one of the plain-HTTP names).
func TestAgainstHaloyFake(t *testing.T) {
	ca := newTestCA(t)
	for _, scheme := range []string{"http", "https"} {
		t.Run(scheme, func(t *testing.T) {
			f := newFakeAPI("0.9.1", map[string]string{token.Reveal(): "ci"})
			ep := endpoint(startPlain(t, f))
			if scheme == "https" {
				ep = endpoint(startTLS(t, f, "127.0.0.2:0", ca.leaf(t, "127.0.0.2")))
				ep.CACert = ca.file
			}
			againstHaloyFake(t, f, ep)
		})
	}
}

func againstHaloyFake(t *testing.T, f *fakeAPI, ep core.Endpoint) {
	c, ctx := New(&memory.Notes{}), context.Background()

	t.Run("version_with_capabilities", func(t *testing.T) {
		v, err := c.Version(ctx, ep)
		if err != nil {
			t.Fatal(err)
		}
		if diff := cmp.Diff(core.VersionResponse{Haloyd: "0.9.1", Capabilities: []string{"layer-upload", "image-disk-preflight"}}, v); diff != "" {
			t.Errorf("Version() mismatch (-want +got):\n%s", diff)
		}
	})

	t.Run("deploy_202_and_follow_through_keepalives", func(t *testing.T) {
		r := request("web")
		if err := c.Deploy(ctx, ep, r); err != nil {
			t.Fatalf("Deploy() error = %v, want nil (Haloy's 202 has no body)", err)
		}
		got, err := follow(t, c, ep, r.DeploymentID)
		if err != nil {
			t.Fatalf("DeployLog() error = %v", err)
		}
		var msgs []string
		for _, e := range got {
			msgs = append(msgs, e.Message)
		}
		if diff := cmp.Diff([]string{"Pulling image", "Starting container", "Deployment complete"}, msgs); diff != "" {
			t.Errorf("messages mismatch (-want +got):\n%s", diff)
		}
		last := got[len(got)-1]
		if !last.IsDeploymentSuccess || last.Failed() || got[0].Fields["image"] != "ghcr.io/acme/web" {
			t.Errorf("entries = %+v", got)
		}
		st, err := c.Status(ctx, ep, "web")
		if err != nil {
			t.Fatal(err)
		}
		want := core.StatusResponse{State: "running", DeploymentID: r.DeploymentID, ContainerIDs: []string{"c0ffee"}, Domains: []core.Domain{{Domain: "web.example.com"}}}
		if diff := cmp.Diff(want, st); diff != "" {
			t.Errorf("Status() mismatch (-want +got):\n%s", diff)
		}
	})

	t.Run("failure_entry", func(t *testing.T) {
		r := request("fail-web")
		if err := c.Deploy(ctx, ep, r); err != nil {
			t.Fatal(err)
		}
		got, err := follow(t, c, ep, r.DeploymentID)
		if err != nil {
			t.Fatalf("DeployLog() error = %v", err)
		}
		last := got[len(got)-1]
		// Haloy marks a failure complete too: the failed flag is what counts
		if !last.Failed() || !last.IsDeploymentComplete || last.Fields["error"] != "container exited with code 1" {
			t.Errorf("last entry = %+v, want Haloy's failure entry", last)
		}
	})

	t.Run("dropped_stream", func(t *testing.T) {
		r := request("drop-web")
		if err := c.Deploy(ctx, ep, r); err != nil {
			t.Fatal(err)
		}
		got, err := follow(t, c, ep, r.DeploymentID)
		ce := errorOf(t, err)
		if ce.Kind != core.Unavailable || !strings.Contains(ce.What, "log stream") || !strings.Contains(ce.What, "dropped") || len(got) != 1 {
			t.Errorf("DeployLog() = %d entries, %+v; want 1, a dropped log stream", len(got), ce)
		}
		// the second connection gets the whole log
		if got, err := follow(t, c, ep, r.DeploymentID); err != nil || len(got) != 3 {
			t.Errorf("DeployLog() again = %d entries, %v; want 3, nil", len(got), err)
		}
	})

	t.Run("400_plain_text", func(t *testing.T) {
		r := request("web")
		r.TargetConfig.Name = ""
		err := c.Deploy(ctx, ep, r)
		ce := errorOf(t, err)
		if want := "the server answered 400 Bad Request: Invalid deploy configuration: app 'name' is required"; ce.Kind != core.Invalid || ce.Why != want {
			t.Errorf("Deploy(no name) = %+v, want Kind Invalid, Why %q", ce, want)
		}
	})

	t.Run("no_token_in_any_body", func(t *testing.T) {
		bodies := f.deployBodies()
		if len(bodies) == 0 {
			t.Fatal("no body recorded")
		}
		for _, b := range bodies {
			if strings.Contains(b, token.Reveal()) || strings.Contains(b, "apiToken") {
				t.Errorf("body %s carries the API token", b)
			}
			// the env value goes in targetConfig, and only there
			if strings.Count(b, "hunter2-env-value") != 1 || !strings.Contains(b, `"port"`) == strings.Contains(b, `"port":8`) {
				t.Errorf("body %s: want the env value once (targetConfig), a port as a string if any", b)
			}
			if _, rollback, _ := strings.Cut(b, `"rollbackDeployConfig"`); strings.Contains(rollback, "hunter2") {
				t.Errorf("rollbackDeployConfig of %s carries a resolved value", b)
			}
		}
	})
}

func TestDeployLogSilentStream(t *testing.T) {
	// a server that sends headers and then nothing, not even keepalives
	server := startPlain(t, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "text/event-stream")
		w.WriteHeader(200)
		w.(http.Flusher).Flush()
		<-r.Context().Done()
	}))
	c := New(&memory.Notes{})
	c.StreamIdle = 100 * time.Millisecond
	start := time.Now()
	_, err := follow(t, c, endpoint(server), "01jdz3t4q9w2v1s6m8k0r5n7xb")
	ce := errorOf(t, err)
	if !strings.Contains(ce.What, "log stream") || !strings.Contains(ce.Why, "silent") {
		t.Errorf("DeployLog(silent) = %+v, want a dropped log stream that went silent", ce)
	}
	if d := time.Since(start); d > 5*time.Second {
		t.Errorf("DeployLog(silent) took %s", d)
	}
}

func TestDeployLogOutlivesTotalTimeout(t *testing.T) {
	// a deployment longer than a whole ordinary call is followed to its end
	f := newFakeAPI("0.9.1", map[string]string{token.Reveal(): "ci"})
	// the log takes 6 keepalive pauses (1.5 s), six times the calls' total
	// timeout; margins wide enough for a loaded machine (100 ms, 60 ms and
	// 200 ms once failed there)
	f.keepalive = 250 * time.Millisecond
	server := startPlain(t, f)
	c, ep := New(&memory.Notes{}), endpoint(server)
	c.Timeouts.Total = 250 * time.Millisecond
	c.StreamIdle = time.Second
	r := request("web")
	if err := c.Deploy(context.Background(), ep, r); err != nil {
		t.Fatal(err)
	}
	if got, err := follow(t, c, ep, r.DeploymentID); err != nil || len(got) != 3 {
		t.Errorf("DeployLog() = %d entries, %v; want 3, nil", len(got), err)
	}
}
