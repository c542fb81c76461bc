package e2e

import (
	"encoding/json"
	"net"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// TestTokenStaysWithItsServer checks that a server's token is never sent
// to another server: not to a second configured server, not to a server
// another target or app uses, and not along a redirect to another host.
func TestTokenStaysWithItsServer(t *testing.T) {
	needBinary(t)

	t.Run("deploy_and_check_with_two_servers", func(t *testing.T) {
		t.Parallel()
		a := startServer(t, serverOpts{})
		b := newRecorder(t, recorderOpts{}) // plays server B and records every Authorization header
		c := newClient(t)
		c.Add(t, a.Name, a.First)
		tokB := a.Token(t, "token-for-b") // a real token, so that the shape check cannot hide a mix-up
		c.Add(t, b.Name(), tokB)
		c.Write(t, "a.haloy.yaml", appYAML("app-a", a.Name, ""))
		// app-b's env holds a secret from the environment: Haloy's server
		// needs its value in targetConfig, and nowhere else (the leak scan
		// reads every body without targetConfig's env values)
		c.Env = []string{"DATABASE_URL=postgres://app:" + a.First + "@db/app"}
		c.Write(t, "b.haloy.yaml", appYAML("app-b", b.Name(), "")+"env:\n  - name: DATABASE_URL\n    from: {env: DATABASE_URL}\n")
		c.Write(t, "multi.haloy.yaml", "name: multi\nimage: {repository: ghcr.io/example/multi}\n"+
			"targets:\n  a: {server: \""+a.Name+"\"}\n  b: {server: \""+b.Name()+"\"}\n")

		c.Must(t, "deploy", "-c", "a.haloy.yaml")
		if seen := b.Seen(); len(seen) != 0 {
			t.Errorf("deploying to A sent %d requests to B: %+v", len(seen), seen)
		}
		c.Must(t, "deploy", "-c", "b.haloy.yaml")
		c.Must(t, "deploy", "-c", "multi.haloy.yaml", "--all")
		c.Must(t, "server", "check")
		c.Must(t, "status", "-c", "multi.haloy.yaml", "-t", "a")

		seen := b.Seen()
		if len(seen) == 0 {
			t.Fatal("B received no request")
		}
		for _, r := range seen {
			switch {
			case r.Path == "/health" && r.Authorization != "":
				t.Errorf("B got a token on %s %s; /health takes none", r.Method, r.Path)
			case r.Path != "/health" && r.Authorization != "Bearer "+tokB:
				t.Errorf("B got Authorization %q on %s %s, want B's own token", redact(r.Authorization, a.First, tokB), r.Method, r.Path)
			}
		}
		var deploys int
		for _, r := range seen {
			if r.Path == "/v1/deploy" {
				deploys++
				if strings.Contains(r.Body, `"name":"app-b"`) {
					wantIn(t, "deployment of app-b sent to B", r.Body, `{"name":"DATABASE_URL","value":"postgres://app:`,
						`"rollbackDeployConfig":{"name":"app-b"`, `{"name":"DATABASE_URL","from":{"env":"DATABASE_URL"}}`)
				}
			}
		}
		if deploys != 2 { // app-b, and multi's target b
			t.Errorf("B received %d deployments, want 2", deploys)
		}
		wantDeployed(t, a, "app-a", a.FirstName, 1)
		wantDeployed(t, a, "a", a.FirstName, 1) // target a of multi.haloy.yaml: named after its key, as in Haloy
		wantNoAuthFailure(t, a)
	})

	t.Run("redirect_to_another_host", func(t *testing.T) {
		t.Parallel()
		s := startServer(t, serverOpts{})
		tok := s.Token(t, "redirected")
		elsewhere := newRecorder(t, recorderOpts{})
		// "localhost:<port>" redirects to "127.0.0.1:<other port>": another host
		front := newRecorder(t, recorderOpts{Redirect: elsewhere.URL})
		name := "localhost:" + front.Name()[strings.LastIndex(front.Name(), ":")+1:]
		c := newClient(t)
		c.Add(t, name, tok)
		c.Write(t, "haloy.yaml", appYAML("my-app", "", ""))
		r := c.Run(t, "deploy")
		if r.code == 0 {
			t.Errorf("haloy deploy through a cross-host redirect = exit 0, want a failure\n%s", r.output())
		}
		wantIn(t, "haloy deploy stderr", r.stderr, "redirected")
		for _, req := range elsewhere.Seen() {
			if req.Authorization != "" {
				t.Errorf("the redirect target got Authorization on %s %s", req.Method, req.Path)
			}
		}
		if seen := front.Seen(); len(seen) == 0 || seen[len(seen)-1].Authorization != "Bearer "+tok {
			t.Errorf("the configured server got %d requests, the last without its token; want its token on /v1/version", len(seen))
		}
	})
}

// redact replaces known tokens in s by their role, for messages.
func redact(s, a, b string) string {
	return strings.NewReplacer(a, "<token of A>", b, "<token of B>").Replace(s)
}

// TestServerCommands drives haloy server add --verify, check and version,
// and haloy status, against real servers.
func TestServerCommands(t *testing.T) {
	needBinary(t)

	t.Run("ipv6_loopback", func(t *testing.T) {
		t.Parallel()
		ln, err := net.Listen("tcp", "[::1]:0")
		if err != nil {
			t.Skipf("no IPv6 loopback here: %v", err)
		}
		ln.Close()
		s := startServer(t, serverOpts{Listen: "[::1]:0"})
		if !strings.HasPrefix(s.Name, "[::1]:") {
			t.Fatalf("serve on [::1]:0 announced %s", s.URL)
		}
		c := newClient(t)
		c.Add(t, s.Name, s.First, "--verify")
		c.Write(t, "haloy.yaml", appYAML("my-app", "", ""))
		c.Must(t, "deploy")
		wantDeployed(t, s, "my-app", s.FirstName, 1)
	})

	t.Run("add_verify_accepted", func(t *testing.T) {
		t.Parallel()
		s := startServer(t, serverOpts{})
		c := newClient(t)
		c.Add(t, s.Name, s.First, "--verify")
		r := c.Must(t, "server", "list")
		wantIn(t, "haloy server list", r.stdout, s.Name, "yes (config .env)")
	})

	t.Run("add_verify_rejected_saves_nothing", func(t *testing.T) {
		t.Parallel()
		s := startServer(t, serverOpts{})
		tok := s.Token(t, "soon-revoked")
		s.Revoke(t, "soon-revoked")
		c := newClient(t)
		r := c.RunIn(t, tok+"\n", nil, "server", "add", s.Name, "--token-stdin", "--verify")
		wantExit(t, "haloy server add --verify with a revoked token", r, 3)
		wantIn(t, "haloy server add --verify stderr", r.stderr, "authentication failed", s.Name)
		r = c.Must(t, "server", "list")
		wantIn(t, "haloy server list", r.stdout, "No servers yet")
		if _, err := os.Stat(filepath.Join(c.Config, ".env")); err == nil {
			env, _ := os.ReadFile(filepath.Join(c.Config, ".env"))
			if strings.Contains(string(env), tok) {
				t.Errorf("the rejected token was saved in .env")
			}
		}
	})

	t.Run("add_verify_unreachable_saves_nothing", func(t *testing.T) {
		t.Parallel()
		s := startServer(t, serverOpts{})
		tok := s.Token(t, "unreachable")
		c := newClient(t)
		r := c.RunIn(t, tok+"\n", nil, "server", "add", "127.0.0.1:9", "--token-stdin", "--verify")
		wantExit(t, "haloy server add --verify for a closed port", r, 1)
		wantIn(t, "haloy server add --verify stderr", r.stderr, "http://127.0.0.1:9")
		r = c.Must(t, "server", "list")
		wantIn(t, "haloy server list", r.stdout, "No servers yet")
	})

	t.Run("check_version_and_status", func(t *testing.T) {
		t.Parallel()
		good, bad := startServer(t, serverOpts{}), startServer(t, serverOpts{})
		c := newClient(t)
		c.Add(t, good.Name, good.First)
		c.Add(t, bad.Name, bad.First)

		r := c.Must(t, "server", "check")
		wantIn(t, "haloy server check", r.stdout, good.Name, bad.Name, "accepted ("+good.FirstName+")", "accepted ("+bad.FirstName+")")

		r = c.Must(t, "server", "version", "--server", good.Name)
		wantIn(t, "haloy server version", r.stdout, good.Name+": haloyd dev", good.FirstName)

		r = c.Run(t, "server", "version")
		wantExit(t, "haloy server version with two servers and no --server", r, 2)

		bad.Revoke(t, bad.FirstName)
		r = c.Run(t, "server", "check", "--json")
		if r.code == 0 {
			t.Errorf("haloy server check --json with a revoked token = exit 0, want non-zero\n%s", r.output())
		}
		var checks []struct {
			Server        string `json:"server"`
			Reachable     bool   `json:"reachable"`
			TokenAccepted bool   `json:"token_accepted"`
			Problem       string `json:"problem"`
		}
		if err := json.Unmarshal([]byte(r.stdout), &checks); err != nil {
			t.Fatalf("haloy server check --json printed invalid JSON: %v\n%s", err, r.stdout)
		}
		got := map[string]bool{}
		for _, ch := range checks {
			got[ch.Server] = ch.Reachable && ch.TokenAccepted
		}
		if len(got) != 2 || !got[good.Name] || got[bad.Name] {
			t.Errorf("haloy server check --json = %+v, want %s accepted and %s rejected", checks, good.Name, bad.Name)
		}

		r = c.Run(t, "server", "check", good.Name)
		wantExit(t, "haloy server check "+good.Name, r, 0)

		c.Write(t, "haloy.yaml", appYAML("my-app", good.Name, ""))
		r = c.Must(t, "status")
		wantIn(t, "haloy status before any deployment", r.output(), "my-app")
		d := c.Must(t, "deploy")
		r = c.Must(t, "status")
		wantIn(t, "haloy status", r.stdout, ulid.FindString(d.stdout), "ghcr.io/example/my-app", good.FirstName)
	})
}
