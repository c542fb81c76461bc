package e2e

import (
	"context"
	"errors"
	"os"
	"os/exec"
	"strings"
	"testing"
	"time"
)

// TestHaloyProtocol runs the same deploy scenarios against a server that
// behaves like Haloy's own (the recorder) and against haloyadm serve: one
// target, then --all on two servers in parallel, each deployment followed
// to the end of its log, then haloy status reading each server's answer.
func TestHaloyProtocol(t *testing.T) {
	needBinary(t)
	// a server of either kind, and the token the client adds for it
	type target struct{ name, token string }
	kinds := []struct {
		name     string
		start    func(t *testing.T) target
		complete string // the log's last line
		state    string // what haloy status shows
	}{
		{"haloyd_like", func(t *testing.T) target {
			// any well-formed token: the recorder records, and the leak scan knows it
			return target{newRecorder(t, recorderOpts{}).Name(), startServer(t, serverOpts{}).Token(t, "for-recorder")}
		}, "Deployment complete", "running"},
		{"haloyadm_serve", func(t *testing.T) target {
			s := startServer(t, serverOpts{})
			return target{s.Name, s.First}
		}, "deployment complete: recorded; haloyadm serve runs no containers", "recorded"},
	}
	for _, k := range kinds {
		t.Run(k.name, func(t *testing.T) {
			t.Parallel()
			a, b := k.start(t), k.start(t)
			c := newClient(t)
			c.Add(t, a.name, a.token)
			c.Add(t, b.name, b.token)
			c.Env = []string{"DB_PASSWORD=e2e-db-password-value"}
			env := "env:\n  - name: DB_PASSWORD\n    from: {env: DB_PASSWORD}\n"
			c.Write(t, "one.haloy.yaml", appYAML("one", a.name, "")+env)
			c.Write(t, "two.haloy.yaml", "name: two\nimage: {repository: ghcr.io/example/two, tag: v2}\n"+env+
				"targets:\n  left: {server: \""+a.name+"\", name: two-left}\n  right: {server: \""+b.name+"\", name: two-right}\n")

			r := c.Run(t, "deploy", "-c", "one.haloy.yaml")
			wantExit(t, "haloy deploy (one target)", r, 0)
			wantIn(t, "haloy deploy (one target)", r.stdout, "one | "+k.complete, "1 of 1 targets deployed")
			id := ulid.FindString(r.stdout)

			r = c.Run(t, "deploy", "-c", "two.haloy.yaml", "--all")
			wantExit(t, "haloy deploy --all", r, 0)
			wantIn(t, "haloy deploy --all", r.stdout, "left  | "+k.complete, "right | "+k.complete, "2 of 2 targets deployed")

			st := c.Run(t, "status", "-c", "one.haloy.yaml")
			wantExit(t, "haloy status", st, 0)
			wantIn(t, "haloy status", st.stdout, "STATE", k.state, id)
			st = c.Run(t, "status", "-c", "two.haloy.yaml", "--all")
			wantExit(t, "haloy status --all", st, 0)
			if n := strings.Count(st.stdout, k.state); n < 2 {
				t.Errorf("haloy status --all shows %d targets %s, want 2:\n%s", n, k.state, st.stdout)
			}
			if k.name == "haloyd_like" {
				wantIn(t, "haloy status of a Haloy server", st.stdout, "4f1c2a9e7b3d", "two-left.example.com")
			}
			r = c.Run(t, "server", "version", "--server", a.name)
			wantExit(t, "haloy server version", r, 0)
			if k.name == "haloyd_like" {
				wantIn(t, "haloy server version of a Haloy server", r.stdout, "layer-upload, image-disk-preflight")
			}
		})
	}

	t.Run("haloyd_like_failed_deployment", func(t *testing.T) {
		t.Parallel()
		good := newRecorder(t, recorderOpts{})
		bad := newRecorder(t, recorderOpts{FailWith: "container exited with code 1"})
		tok := startServer(t, serverOpts{}).Token(t, "for-recorders")
		c := newClient(t)
		c.Add(t, good.Name(), tok)
		c.Add(t, bad.Name(), tok)
		c.Write(t, "haloy.yaml", "name: app\nimage: {repository: ghcr.io/example/app}\n"+
			"targets:\n  good: {server: \""+good.Name()+"\", name: app-good}\n  bad: {server: \""+bad.Name()+"\", name: app-bad}\n")
		r := c.Run(t, "deploy", "--all")
		// Haloy's own client exits 0 here; haloy does not
		wantExit(t, "haloy deploy with a failed deployment", r, 1)
		wantIn(t, "haloy deploy with a failed deployment", r.stdout, "1 of 2 targets deployed", "FAILED",
			"bad  | error: Deployment failed error=container exited with code 1")
		wantIn(t, "haloy deploy stderr", r.stderr, "failed on "+bad.Name(), "1 of 2 targets failed: bad")
	})
}

// Ctrl-C while following a deployment stops following, says the
// deployment goes on on the server, and exits 130 (interrupted).
func TestDeployInterrupted(t *testing.T) {
	needBinary(t)
	slow := newRecorder(t, recorderOpts{Hang: true})
	c := newClient(t)
	c.Add(t, slow.Name(), startServer(t, serverOpts{}).Token(t, "for-slow"))
	c.Write(t, "haloy.yaml", appYAML("slow", slow.Name(), ""))
	ctx, cancel := context.WithTimeout(context.Background(), cmdTimeout)
	defer cancel()
	cmd := exec.CommandContext(ctx, haloyBin, "deploy")
	cmd.Dir, cmd.Env = c.Dir, c.env()
	var stdout, stderr syncBuffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	deadline := time.Now().Add(10 * time.Second)
	for !strings.Contains(stdout.String(), "Pulling image") && time.Now().Before(deadline) {
		time.Sleep(20 * time.Millisecond)
	}
	if err := cmd.Process.Signal(os.Interrupt); err != nil {
		t.Fatal(err)
	}
	err := cmd.Wait()
	var ee *exec.ExitError
	if !errors.As(err, &ee) || ee.ExitCode() != 130 {
		t.Errorf("haloy deploy after Ctrl-C = %v, want exit 130 (interrupted)\n%s%s", err, stdout.String(), stderr.String())
	}
	leaks.Capture(t, "haloy deploy interrupted (stdout)", stdout.String())
	leaks.Capture(t, "haloy deploy interrupted (stderr)", stderr.String())
	wantIn(t, "haloy deploy interrupted", stdout.String(), "Pulling image", "INTERRUPTED")
	wantIn(t, "haloy deploy interrupted stderr", stderr.String(), "stopped following deployment", "the deployment goes on on "+slow.Name(), "haloy status")
}
