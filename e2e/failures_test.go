package e2e

import (
	"encoding/json"
	"testing"
	"time"
)

// TestFailures drives the failures a user meets against real servers: each
// must say what failed, where, and what to do, with the documented exit code.
func TestFailures(t *testing.T) {
	needBinary(t)

	t.Run("token_of_another_server", func(t *testing.T) {
		t.Parallel()
		a, b := startServer(t, serverOpts{}), startServer(t, serverOpts{})
		c := newClient(t)
		c.Add(t, a.Name, b.First) // the guide's "invalid token"
		c.Write(t, "haloy.yaml", appYAML("my-app", "", ""))
		r := c.Run(t, "deploy")
		wantExit(t, "haloy deploy with another server's token", r, 3)
		wantIn(t, "haloy deploy stderr", r.stderr, "authentication failed for", a.Name, "haloy server add "+a.Name+" --force --token-stdin")
		wantIn(t, "server log", a.WaitLog("reason=unknown token"), "reason=unknown token")
		wantNoAuthFailure(t, b)
	})

	t.Run("expired_token", func(t *testing.T) {
		t.Parallel()
		s := startServer(t, serverOpts{})
		tok := s.Token(t, "short-lived", "--expires", "1s")
		c := newClient(t)
		c.Add(t, s.Name, tok)
		c.Write(t, "haloy.yaml", appYAML("my-app", "", ""))
		var list []struct {
			Name      string    `json:"name"`
			ExpiresAt time.Time `json:"expires_at"`
		}
		if err := json.Unmarshal([]byte(s.admin(t, "api", "token", "list", "--json").stdout), &list); err != nil {
			t.Fatal(err)
		}
		for _, tk := range list {
			if tk.Name == "short-lived" {
				time.Sleep(time.Until(tk.ExpiresAt) + 50*time.Millisecond) // time itself must pass
			}
		}
		r := c.Run(t, "deploy")
		wantExit(t, "haloy deploy with an expired token", r, 3)
		wantIn(t, "haloy deploy stderr", r.stderr, "authentication failed for", "expired")
		wantIn(t, "server log", s.WaitLog(`reason=expired token "short-lived"`), `reason=expired token "short-lived"`)
	})

	t.Run("one_target_fails_the_other_is_deployed", func(t *testing.T) {
		t.Parallel()
		s := startServer(t, serverOpts{})
		broken := newRecorder(t, recorderOpts{DeployError: "no space left on the recorder"})
		c := newClient(t)
		c.Add(t, s.Name, s.First)
		c.Add(t, broken.Name(), s.Token(t, "for-broken"))
		c.Write(t, "haloy.yaml", "name: my-app\nimage: {repository: ghcr.io/example/my-app}\n"+
			"targets:\n  good: {server: \""+s.Name+"\"}\n  broken: {server: \""+broken.Name()+"\"}\n")
		r := c.Run(t, "deploy", "--all")
		wantExit(t, "haloy deploy --all with one failing target", r, 1)
		wantIn(t, "haloy deploy output", r.output(), "no space left on the recorder", "1 of 2 targets failed: broken")
		wantDeployed(t, s, "good", s.FirstName, 1) // a target's app is named after its key, as in Haloy
	})

	t.Run("stopped_server", func(t *testing.T) {
		t.Parallel()
		s := startServer(t, serverOpts{})
		c := newClient(t)
		c.Add(t, s.Name, s.First)
		c.Write(t, "haloy.yaml", appYAML("my-app", "", ""))
		s.Stop(t)
		r := c.Run(t, "deploy")
		wantExit(t, "haloy deploy to a stopped server", r, 1)
		wantIn(t, "haloy deploy stderr", r.stderr, "http://"+s.Name, "nothing was deployed")
		r = c.Run(t, "server", "check")
		if r.code == 0 {
			t.Errorf("haloy server check with a stopped server = exit 0, want non-zero\n%s", r.output())
		}
		wantIn(t, "haloy server check", r.stdout, s.Name+"  no")
	})

	t.Run("rate_limited_after_failed_attempts", func(t *testing.T) {
		t.Parallel()
		s := startServer(t, serverOpts{})
		bad := newClient(t)
		bad.Add(t, s.Name, s.Token(t, "revoked"))
		s.Revoke(t, "revoked")
		// every rejected call spends one of the address's failed attempts
		for i := 0; i < 10; i++ {
			wantExit(t, "haloy server version with a revoked token", bad.Run(t, "server", "version"), 3)
		}
		c := newClient(t)
		c.Add(t, s.Name, s.First)
		c.Write(t, "haloy.yaml", appYAML("my-app", "", ""))
		start := time.Now()
		r := c.Must(t, "deploy") // waits as Retry-After says, then goes through
		wantIn(t, "haloy deploy stderr", r.stderr, "rate-limited; retrying in")
		if waited := time.Since(start); waited < time.Second {
			t.Errorf("haloy deploy went through a 429 in %s, without waiting", waited)
		}
		wantDeployed(t, s, "my-app", s.FirstName, 1)
		wantIn(t, "server log", s.Log(), "reason=revoked token")
	})
}
